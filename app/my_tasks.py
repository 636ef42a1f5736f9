"""The task chat's use cases: /viec (my open tasks), a task card, progress, "Hoàn thành", "Văn bản giao".

Each function runs inside a session (``fn(session, viewer, ...)``) and returns screens (`tasks.ui.Screen`).
Changes go through `tasks.service` (checks, audit via "bot", commit); views and first steps through
`tasks.authorization.authorize_task` (a forged button with someone else's task id is refused and audited).
Errors are the domain's (`NotFound`, `PermissionDenied`, `InvalidOperation`, Vietnamese messages) and
`app.viewer.NotLinked`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import task_replies, texts
from app.viewer import Viewer, official_of
from tasks.authorization import authorize_task
from tasks.errors import InvalidOperation, NotFound
from tasks.models import Official, Task, overdue_condition
from tasks.service import complete_task, my_open_tasks
from tasks.service import set_progress as record_progress
from tasks.task_card import task_screen
from tasks.ui import Keyboard, Screen, button, format_date, page_data, skip_data, stop_completing_data

PAGE_SIZE = 5
RESULT_TTL_SECONDS = 10 * 60
BUTTON_SKIP_RESULT = "⏭ Bỏ qua"
BUTTON_STOP = "✖️ Hủy"
BUTTON_PREV_PAGE = "◀️ Trang trước"
BUTTON_NEXT_PAGE = "Trang sau ▶️"


@dataclass(frozen=True)
class TaskChange:
    """The outcome of a progress change or a completion: the card to show (edited in place), whether
    anything changed, who did it ("Name (CODE)", for the logs) and, for a completion, the reply."""

    code: str
    card: Screen
    changed: bool
    actor: str
    reply: Screen = field(default_factory=lambda: Screen(""))


@dataclass(frozen=True)
class CompletionStart:
    """ "Hoàn thành" pressed: the task's code and the "send me the result" prompt (with Bỏ qua / Hủy)."""

    code: str
    prompt: Screen


def count_open_overdue(session: Session, official: Official, today: date) -> int:
    """How many of the official's own unfinished tasks are past their deadline (docs/cli.md §4 "overdue")."""
    query = (
        select(func.count())
        .select_from(Task)
        .where(Task.assignee_id == official.id, overdue_condition(today))
    )
    return session.scalar(query) or 0


def pages_buttons(page: int, page_count: int) -> Keyboard:
    """◀️ / ▶️ between pages of /viec (no row when everything fits on one page)."""
    row = []
    if page > 1:
        row.append(button(BUTTON_PREV_PAGE, page_data(page - 1)))
    if page < page_count:
        row.append(button(BUTTON_NEXT_PAGE, page_data(page + 1)))
    return [row] if row else []


def my_tasks(session: Session, viewer: Viewer, page: int = 1, page_size: int = PAGE_SIZE) -> list[Screen]:
    """/viec: a header, one card per open task of this page (nearest deadline first), and a footer with
    ◀️ / ▶️ when there are more pages; one screen when there is nothing to do."""
    official = official_of(session, viewer)
    result = my_open_tasks(session, official, page=page, page_size=page_size)
    if not result.items and result.total and page > result.page_count:  # tasks were closed meanwhile
        result = my_open_tasks(session, official, page=result.page_count, page_size=page_size)
    if not result.total:
        return [Screen(texts.TASKS_EMPTY.format(name=task_replies.escape(official.full_name)))]
    overdue = count_open_overdue(session, official, viewer.today)
    header = task_replies.list_header(
        official.full_name, result.total, overdue, result.page, result.page_count
    )
    first = (result.page - 1) * result.page_size
    screens = [Screen(header)]
    screens += [task_screen(t, viewer.today, number=first + i) for i, t in enumerate(result.items, 1)]
    nav = pages_buttons(result.page, result.page_count)
    if nav:
        rest = result.total - len(result.items)
        footer = texts.TASKS_PAGE_FOOTER.format(page=result.page, pages=result.page_count, rest=rest)
        screens.append(Screen(footer, nav))
    return screens


def view_task(session: Session, viewer: Viewer, task_id: int) -> Screen:
    """``t:v``: the task's card, if the viewer may see it."""
    official = official_of(session, viewer, task_id=task_id, action="xem nhiệm vụ")
    task = authorize_task(session, official, task_id, change=False, action="xem nhiệm vụ", now=viewer.now)
    return task_screen(task, viewer.today)


def _actor(official: Official) -> str:
    return f"{official.full_name} ({official.code})"


def set_progress(session: Session, viewer: Viewer, task_id: int, percent: int) -> TaskChange:
    """``t:p``: record `percent` (0–100) on the task; the card gets a note saying who changed what."""
    actor = official_of(session, viewer, task_id=task_id, action="cập nhật tiến độ")
    current = session.get(Task, task_id)
    if current is None:
        raise NotFound(f"Không tìm thấy nhiệm vụ số {task_id}.")
    old_progress, old_status = current.progress, current.status
    task = record_progress(session, actor, task_id, percent, via="bot", now=viewer.now)  # audits, commits
    changed = (task.progress, task.status) != (old_progress, old_status)
    note = (
        task_replies.progress_note(actor, old_progress, task.progress, viewer.now, viewer.tz)
        if changed
        else None
    )
    return TaskChange(task.code, task_screen(task, viewer.today, note=note), changed, _actor(actor))


def start_completion(session: Session, viewer: Viewer, task_id: int) -> CompletionStart:
    """``t:done``: the "send me the result" prompt, if the viewer may complete the task now."""
    official = official_of(session, viewer, task_id=task_id, action="hoàn thành")
    task = authorize_task(session, official, task_id, change=True, action="hoàn thành", now=viewer.now)
    if task.is_done:
        since = (
            f"từ ngày {format_date(task.completed_on)}" if task.completed_on else "(không rõ ngày hoàn thành)"
        )
        raise InvalidOperation(f"Nhiệm vụ {task.code} đã hoàn thành {since}.")
    prompt = task_replies.completion_prompt(task, int(RESULT_TTL_SECONDS // 60))
    buttons = [
        [button(BUTTON_SKIP_RESULT, skip_data(task.id)), button(BUTTON_STOP, stop_completing_data(task.id))]
    ]
    return CompletionStart(task.code, Screen(prompt, buttons))


def complete(session: Session, viewer: Viewer, task_id: int, product: str | None) -> TaskChange:
    """Complete the task with `product` (the result the official sent; None: without one)."""
    actor = official_of(session, viewer, task_id=task_id, action="hoàn thành")
    task = complete_task(session, actor, task_id, product, via="bot", now=viewer.now, tz=viewer.tz)
    note = task_replies.completed_note(actor, viewer.now, viewer.tz)
    reply = Screen(task_replies.completion_reply(actor, task, viewer.now, viewer.tz))
    return TaskChange(task.code, task_screen(task, viewer.today, note=note), True, _actor(actor), reply)
