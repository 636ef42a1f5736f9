"""The leaders' use cases: /tiendo (a unit's progress, overdue list, chart), /baocao (report files), the task
view of /tiendo with "Giao lại" / "Hủy nhiệm vụ", and /nhacviec (reminder settings).

The screens and the permission rules are the domain's (`tasks.progress_view`, `tasks.manage_view`,
`tasks.report_files`, `tasks.settings_view`); these functions resolve who is asking once and call them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app import document_progress, texts
from app.viewer import Viewer, official_of
from tasks import manage_view, progress_view, report_files
from tasks.intents import Intent, IntentKind
from tasks.normalize import Role
from tasks.reminders import ReminderPolicy
from tasks.reminders.settings import apply_change, get_prefs, parse_settings_args
from tasks.settings_view import handle_settings_callback, settings_screen
from tasks.ui import Callback, Screen, esc, format_date, unit_id_arg
from tasks.units import find_unit
from tasks.work_answers import answer as work_answer

CANCEL_TTL_SECONDS = 10 * 60


def unit_progress(session: Session, viewer: Viewer, unit_name: str | None = None) -> Screen:
    """/tiendo [đơn vị | văn bản]: the progress screen; for an official who leads nothing, the refusal and
    their own figures. Text that reads as a document reference ("KL 221") means the tasks assigned under
    that document (`app.document_progress`). `UnitNotFound` (Vietnamese) for a name that is no unit."""
    if unit_name and document_progress.names_document(session, unit_name):
        return document_progress.progress_screen(session, viewer, unit_name)
    official = official_of(session, viewer)
    if official.role not in (Role.LANH_DAO, Role.QUAN_TRI):
        own = work_answer(session, official, Intent(IntentKind.PROGRESS, mine=True), today=viewer.today)
        screen = Screen(f"{esc(progress_view.LEADERS_ONLY)}\n\n{own.html}", own.buttons)
        return _with_waiting_reviews(session, official, viewer, screen)
    unit_id = find_unit(session, unit_name, allow_abbreviation=True).id if unit_name else None
    screen = progress_view.progress_screen(session, official, unit_id, today=viewer.today)
    return _with_waiting_reviews(session, official, viewer, screen)


def _with_waiting_reviews(session: Session, official, viewer: Viewer, screen: Screen) -> Screen:
    """Products waiting for this viewer's review too long go on top of their /tiendo (the delay is theirs)."""
    from app.products import waiting_reviews_html

    waiting = waiting_reviews_html(session, official, viewer.today)
    return Screen(f"{waiting}\n\n{screen.html}", screen.buttons) if waiting else screen


def unit_screen(session: Session, viewer: Viewer, callback: Callback) -> Screen:
    """``td:u`` / ``td:o``: a unit's progress / overdue page (permission checked by the domain)."""
    official = official_of(session, viewer)
    unit_id, page = unit_id_arg(callback.args[0]), callback.args[1]
    if callback.action == "o":
        return progress_view.overdue_screen(session, official, unit_id, today=viewer.today, page=page)
    return progress_view.progress_screen(session, official, unit_id, today=viewer.today, page=page)


def unit_chart(session: Session, viewer: Viewer, unit_id: int | None) -> tuple[bytes, str]:
    """``td:c``: (PNG bytes, HTML caption) of the chart of a unit's sub-units."""
    return progress_view.chart_photo(session, official_of(session, viewer), unit_id, today=viewer.today)


def report_scope(
    session: Session, viewer: Viewer, unit_id: int | None, unit_name: str | None = None
) -> int | None:
    """The unit id a report or chart will be about, after the /tiendo permission check (raises otherwise)."""
    official = official_of(session, viewer)
    if unit_name:
        unit_id = find_unit(session, unit_name, allow_abbreviation=True).id
    unit = progress_view.resolve_scope(session, official, unit_id)
    return unit.id if unit is not None else None


@dataclass(frozen=True)
class ReportFile:
    filename: str
    content: bytes
    caption: str  # HTML


def report_files_for(
    session: Session, viewer: Viewer, unit_id: int | None, formats: tuple[str, ...], place: str | None
) -> list[ReportFile]:
    """/baocao, ``bc:x`` / ``bc:d``: the report of a unit subtree as .xlsx and/or .docx (`formats`)."""
    data = report_files.report_for_viewer(session, official_of(session, viewer), unit_id, today=viewer.today)
    unit, day = esc(data.unit_name), format_date(data.today)
    files = []
    for fmt in formats:
        if fmt == "xlsx":
            content, caption = report_files.xlsx_bytes(data), texts.REPORT_CAPTION_XLSX
        else:
            content, caption = report_files.docx_bytes(data, place=place), texts.REPORT_CAPTION_DOCX
        files.append(
            ReportFile(report_files.report_filename(data, fmt), content, caption.format(unit=unit, day=day))
        )
    return files


def manage_task(session: Session, viewer: Viewer, callback: Callback) -> Screen:
    """``td:t`` / ``td:ra`` / ``td:rp`` / ``td:ry``: the task view of /tiendo and the reassignment steps."""
    official = official_of(session, viewer)
    task_id, *rest = callback.args
    if callback.action == "t":
        return manage_view.task_view_screen(session, official, task_id, today=viewer.today)
    if callback.action == "ra":
        return manage_view.reassign_pick_screen(session, official, task_id, page=rest[0])
    if callback.action == "rp":
        return manage_view.reassign_confirm_screen(session, official, task_id, rest[0])
    return manage_view.do_reassign(session, official, task_id, rest[0], today=viewer.today, now=viewer.now)


def start_cancel(session: Session, viewer: Viewer, task_id: int) -> tuple[str, Screen]:
    """``td:x``: (task code, "send me the reason" screen)."""
    return manage_view.cancel_prompt(
        session, official_of(session, viewer), task_id, minutes=CANCEL_TTL_SECONDS // 60
    )


def confirm_cancel(session: Session, viewer: Viewer, task_id: int, reason: str) -> Screen:
    """The reason was given: the confirm screen (`InvalidOperation` for an empty or too long reason)."""
    return manage_view.cancel_confirm_screen(session, official_of(session, viewer), task_id, reason)


def cancel(session: Session, viewer: Viewer, task_id: int, reason: str) -> Screen:
    """``td:xy``: cancel the task with `reason` (audited via "bot")."""
    return manage_view.do_cancel(
        session, official_of(session, viewer), task_id, reason, today=viewer.today, now=viewer.now
    )


def reminder_settings(
    session: Session, viewer: Viewer, args_text: str, policy: ReminderPolicy
) -> tuple[Screen, bool]:
    """/nhacviec [lựa chọn]: (the settings screen, whether something was changed). `InvalidOperation`
    (Vietnamese, with examples) for choices it does not understand."""
    official = official_of(session, viewer)
    change = parse_settings_args(args_text)
    if change.empty:
        return settings_screen(official, get_prefs(session, official, policy), policy), False
    prefs = apply_change(session, official, change, now=viewer.now, policy=policy)  # audits, commits
    screen = settings_screen(official, prefs, policy)
    return Screen(f"{texts.SETTINGS_SAVED}\n\n{screen.html}", screen.buttons), True


def settings_button(session: Session, viewer: Viewer, callback: Callback, policy: ReminderPolicy) -> Screen:
    """``nv:*``: apply a settings button; the screen to show next."""
    official = official_of(session, viewer)
    return handle_settings_callback(session, official, callback, now=viewer.now, policy=policy)
