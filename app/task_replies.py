"""What the task chat says around a card: who changed what, the list header, the "send me the result" prompt,
the completion reply and the "Văn bản giao" answer. Pure functions: no Telegram objects, no I/O, no database.

The card itself is `tasks.task_card` (one card everywhere). Every value from the database is escaped and
long fields are shortened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app import texts
from tasks.task_card import RESULT_LIMIT
from vntext.display import esc as escape
from vntext.display import format_date as format_day
from vntext.display import shorten

EXCERPT_LIMIT = 280


def format_moment(moment: datetime, tz: ZoneInfo) -> str:
    """ "09:15 ngày 22/11/2026" in the office's time zone."""
    local = moment.astimezone(tz)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def actor_label(official: Any) -> str:
    """ "Đặng Hữu Tâm (CB007)", escaped."""
    return f"{escape(shorten(official.full_name, 120))} ({escape(official.code)})"


def progress_note(actor: Any, old: int, new: int, at: datetime, tz: ZoneInfo) -> str:
    return texts.PROGRESS_CHANGED_NOTE.format(
        who=actor_label(actor), old=old, new=new, at=escape(format_moment(at, tz))
    )


def completed_note(actor: Any, at: datetime, tz: ZoneInfo) -> str:
    return texts.COMPLETED_NOTE.format(who=actor_label(actor), at=escape(format_moment(at, tz)))


def list_header(name: str, total: int, overdue: int, page: int, page_count: int) -> str:
    """ "📋 Việc của …: N việc chưa hoàn thành, trong đó M việc quá hạn (trang p/n)"."""
    text = texts.TASKS_HEADER.format(name=escape(name), total=total)
    if overdue:
        text += texts.TASKS_HEADER_OVERDUE.format(overdue=overdue)
    text += "."
    if page_count > 1:
        text += texts.TASKS_HEADER_PAGE.format(page=page, pages=page_count)
    return text + "\n" + texts.TASKS_HEADER_HINT


def completion_prompt(task: Any, minutes: int) -> str:
    return texts.DONE_ASK.format(
        code=escape(task.code),
        content=escape(shorten(task.content, 300)),
        product=escape(shorten(task.product, 200)),
        minutes=minutes,
    )


def completion_reply(actor: Any, task: Any, at: datetime, tz: ZoneInfo) -> str:
    text = texts.DONE_REPLY.format(
        code=escape(task.code), day=format_day(task.completed_on), who=actor_label(actor),
        at=escape(format_moment(at, tz)),
    )  # fmt: skip
    if task.result_note:
        text += "\n" + texts.DONE_REPLY_RESULT.format(result=escape(shorten(task.result_note, RESULT_LIMIT)))
    else:
        text += "\n" + texts.DONE_REPLY_NO_RESULT
    return text


def document_reply(task: Any, labelled_excerpts: Sequence[tuple[str, str]], *, known: bool) -> str:
    """The "Văn bản giao" answer: the citation labels (and a short excerpt) of the hits that belong to the
    task's assigning document, or a sentence saying the corpus does not hold it."""
    code = escape(task.code)
    if not task.source_document:
        return texts.DOCUMENT_NONE.format(code=code)
    document = escape(shorten(task.source_document, 200))
    if not known:
        return texts.DOCUMENT_UNREADABLE.format(code=code, document=document)
    if not labelled_excerpts:
        return texts.DOCUMENT_NOT_IN_CORPUS.format(code=code, document=document)
    lines = [texts.DOCUMENT_HEADER.format(code=code, document=document)]
    for i, (label, excerpt) in enumerate(labelled_excerpts, 1):
        lines.append(f"[{i}] <b>{escape(label)}</b>")
        if excerpt:
            lines.append(f"<i>{escape(shorten(excerpt, EXCERPT_LIMIT))}</i>")
    return "\n".join(lines)
