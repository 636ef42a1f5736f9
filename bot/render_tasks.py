"""Tasks → Telegram HTML. Pure functions: no Telegram objects, no I/O, no database.

A task card shows the "6 rõ" compactly — rõ việc (nội dung), rõ người (người thực hiện), rõ trách nhiệm
(đơn vị chủ trì), rõ thời gian (hạn, flagged "quá hạn N ngày"), rõ sản phẩm, rõ thẩm quyền (người giao) —
plus progress and status. Every value from the database is escaped and long fields are shortened, so a card
(with a change note under it) always stays far below Telegram's 4096 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import messages
from bot.render import escape
from tasks.messages_reminders import time_left

CONTENT_LIMIT = 700
FIELD_LIMIT = 300
RESULT_LIMIT = 600
EXCERPT_LIMIT = 280
BAR_CELLS = 10


def shorten(text: str | None, limit: int) -> str:
    """``text`` (not yet escaped) cut at a word boundary with "…" when longer than ``limit`` characters."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;.:") + "…"


def format_day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_moment(moment: datetime, tz: ZoneInfo) -> str:
    """ "09:15 ngày 22/11/2026" in the office's time zone."""
    local = moment.astimezone(tz)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def progress_bar(percent: int) -> str:
    filled = max(0, min(BAR_CELLS, round(percent / 100 * BAR_CELLS)))
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def overdue_days(task: Any, today: date) -> int:
    """Days past the deadline for an unfinished task (0 when not overdue, done or cancelled)."""
    if task.is_done or getattr(task, "is_cancelled", False):
        return 0
    return max(0, (today - task.deadline).days)


def _deadline_line(task: Any, today: date) -> str:
    when = format_day(task.deadline)
    if task.is_done:
        done_on = task.completed_on
        if done_on is None:
            return f"{when} (đã xong, không rõ ngày hoàn thành)"
        late = (done_on - task.deadline).days
        status = "đúng hạn" if late <= 0 else f"trễ {late} ngày"
        return f"{when} (xong ngày {format_day(done_on)}, {status})"
    late = overdue_days(task, today)
    if late:
        return f"{when} — <b>quá hạn {late} ngày</b>"
    return f"{when} ({time_left(task.deadline, today)})"


def task_card(task: Any, today: date, *, note: str | None = None, number: int | None = None) -> str:
    """One task as compact HTML; ``note`` (HTML, already escaped) is added under it (who changed what)."""
    late = overdue_days(task, today)
    head = f"<b>{escape(task.code)}</b>"
    if number is not None:
        head = f"{number}. {head}"
    if late:
        head = f"⚠️ {head} · <b>QUÁ HẠN {late} NGÀY</b>"
    elif task.is_done:
        head = f"✅ {head}"
    elif getattr(task, "is_cancelled", False):
        head = f"🗑 {head} · đã hủy"
    assignee = task.assignee
    assigned_by = escape(shorten(task.assigned_by, FIELD_LIMIT))
    if task.source_document:
        assigned_by += f" · 📄 {escape(shorten(task.source_document, 200))}"
    lines = [
        head,
        f"📝 <b>Việc:</b> {escape(shorten(task.content, CONTENT_LIMIT))}",
        f"👤 <b>Người thực hiện:</b> {escape(shorten(assignee.full_name, 120))} ({escape(assignee.code)})",
        f"🏢 <b>Chủ trì:</b> {escape(shorten(task.lead_unit.name, 200))}",
        f"📅 <b>Hạn:</b> {_deadline_line(task, today)}",
        f"📦 <b>Sản phẩm:</b> {escape(shorten(task.product, FIELD_LIMIT))}",
        f"✍️ <b>Người giao:</b> {assigned_by}",
        f"📊 <b>Tiến độ:</b> {progress_bar(task.progress)} {task.progress}% · {escape(task.status.label)}",
    ]
    if task.result_note:
        lines.append(f"🏁 <b>Kết quả:</b> {escape(shorten(task.result_note, RESULT_LIMIT))}")
    if note:
        lines += ["", note]
    return "\n".join(lines)


def actor_label(official: Any) -> str:
    """ "Đặng Hữu Tâm (CB007)", escaped."""
    return f"{escape(shorten(official.full_name, 120))} ({escape(official.code)})"


def progress_note(actor: Any, old: int, new: int, at: datetime, tz: ZoneInfo) -> str:
    return messages.PROGRESS_CHANGED_NOTE.format(
        who=actor_label(actor), old=old, new=new, at=escape(format_moment(at, tz))
    )


def completed_note(actor: Any, at: datetime, tz: ZoneInfo) -> str:
    return messages.COMPLETED_NOTE.format(who=actor_label(actor), at=escape(format_moment(at, tz)))


def list_header(name: str, total: int, overdue: int, page: int, page_count: int) -> str:
    """ "📋 Việc của …: N việc chưa hoàn thành, trong đó M việc quá hạn (trang p/n)"."""
    text = messages.TASKS_HEADER.format(name=escape(name), total=total)
    if overdue:
        text += messages.TASKS_HEADER_OVERDUE.format(overdue=overdue)
    text += "."
    if page_count > 1:
        text += messages.TASKS_HEADER_PAGE.format(page=page, pages=page_count)
    return text + "\n" + messages.TASKS_HEADER_HINT


def completion_prompt(task: Any, minutes: int) -> str:
    return messages.DONE_ASK.format(
        code=escape(task.code),
        content=escape(shorten(task.content, 300)),
        product=escape(shorten(task.product, 200)),
        minutes=minutes,
    )


def completion_reply(actor: Any, task: Any, at: datetime, tz: ZoneInfo) -> str:
    text = messages.DONE_REPLY.format(
        code=escape(task.code), day=format_day(task.completed_on), who=actor_label(actor),
        at=escape(format_moment(at, tz)),
    )  # fmt: skip
    if task.result_note:
        text += "\n" + messages.DONE_REPLY_RESULT.format(
            result=escape(shorten(task.result_note, RESULT_LIMIT))
        )
    else:
        text += "\n" + messages.DONE_REPLY_NO_RESULT
    return text


def document_reply(task: Any, labelled_excerpts: Sequence[tuple[str, str]], *, known: bool) -> str:
    """The "Văn bản giao" answer: the citation labels (and a short excerpt) of the hits that belong to the
    task's assigning document, or a sentence saying the corpus does not hold it."""
    code = escape(task.code)
    if not task.source_document:
        return messages.DOCUMENT_NONE.format(code=code)
    document = escape(shorten(task.source_document, 200))
    if not known:
        return messages.DOCUMENT_UNREADABLE.format(code=code, document=document)
    if not labelled_excerpts:
        return messages.DOCUMENT_NOT_IN_CORPUS.format(code=code, document=document)
    lines = [messages.DOCUMENT_HEADER.format(code=code, document=document)]
    for i, (label, excerpt) in enumerate(labelled_excerpts, 1):
        lines.append(f"[{i}] <b>{escape(label)}</b>")
        if excerpt:
            lines.append(f"<i>{escape(shorten(excerpt, EXCERPT_LIMIT))}</i>")
    return "\n".join(lines)
