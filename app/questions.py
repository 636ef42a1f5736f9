"""Which domain answers a free-text question: the task database (a question about work) or document search.

A question about work ("việc của tôi tuần này", "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?", "KPI của tôi")
is recognised by the task domain's rules (`tasks.work_answers.route`) with guards that keep document
questions (`retrieval.docrefs`) away from the task database: the one place that needs both domains.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app import document_progress
from app.viewer import NotLinked, Viewer
from retrieval.docrefs import find_refs
from tasks.errors import UnitNotFound
from tasks.intents import Intent, match_unit_name
from tasks.service import get_official_by_telegram
from tasks.ui import NOT_LINKED, Screen, esc
from tasks.units import find_unit
from tasks.work_answers import answer as work_answer
from tasks.work_answers import route, unit_names


@dataclass(frozen=True)
class WorkReply:
    """A question about work: its kind (for the logs), the answer screen (empty in a group: no task detail is
    ever shown there) and whether it was a polite refusal."""

    kind: str
    screen: Screen
    refused: bool = False


def work_intent(session: Session, text: str) -> Intent | None:
    """The intent of `text` when it is a question about work, else None (document search answers it).

    The task domain's rules decide (`tasks.intents.classify` with the office's unit names, which is what
    `tasks.work_answers.route` does), with three guards that keep document questions away from the task
    database when that classification is only a guess:
    - no unit in the database: the task features are not in use, every question is about documents;
    - the text names a document ("NQ 70", "Kế hoạch 263/KH-UBND") and no unit of the database by its name;
    - the unit it seems to name is not one of the office's units ("tỉnh Phú Thọ", "Bộ Văn hóa…").
    """
    names = unit_names(session)
    if not names:
        return None
    intent = route(session, text, names)  # the office's unit names and officials' names
    if not intent.is_work:
        return None
    if find_refs(text) and match_unit_name(text, names) is None:
        return None
    if intent.unit_text and not (intent.own_unit or intent.all_units):
        try:
            find_unit(session, intent.unit_text, allow_abbreviation=True)
        except UnitNotFound:
            return None
    return intent


def route_question(session: Session, viewer: Viewer, text: str, *, group: bool) -> WorkReply | None:
    """None when `text` is not about work (document search answers it); in a group only the verdict (an
    empty screen); otherwise the answer within the viewer's permissions (the domain refuses politely when
    the account is not linked or may not see what was asked). "Tiến độ triển khai KL 221 đến đâu?" is
    the progress of the tasks assigned under that document, when there are any."""
    document = document_progress.asked_document(session, text)
    if document is not None:
        if group:
            return WorkReply("document_progress", Screen(""))
        try:
            return WorkReply(
                "document_progress", document_progress.progress_screen(session, viewer, document)
            )
        except NotLinked:
            return WorkReply("document_progress", Screen(esc(NOT_LINKED)), refused=True)
    intent = work_intent(session, text)
    if intent is None:
        return None
    if group:
        return WorkReply(str(intent.kind), Screen(""))
    asker = get_official_by_telegram(session, viewer.telegram_id)
    reply = work_answer(
        session, asker, intent, today=viewer.today
    )  # refuses politely (not linked, no permission)
    return WorkReply(str(intent.kind), Screen(reply.html, list(reply.buttons)), reply.refused)
