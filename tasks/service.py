"""Operations the bot (and any other front end) calls; no Telegram types here.

Each change re-checks permission against the database state (a button pressed in an old message, or a
forged callback, must not change someone else's task), is audited field by field, and commits its own
transaction. A refused attempt is audited too, then `PermissionDenied` is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from tasks import audit
from tasks.access import can_change_task, can_view_task, visible_tasks_query
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.models import Official, Task
from tasks.normalize import TaskStatus, Via, format_date, parse_progress
from tasks.timeutil import DEFAULT_TZ, as_utc, local_date, utcnow
from tasks.writes import change_task, lock_task


@dataclass(frozen=True)
class TaskPage:
    """One page of tasks (`page` starts at 1) and how many there are in all."""

    items: list[Task]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count


def get_official_by_telegram(session: Session, tg_user_id: int) -> Official | None:
    """The active official linked to this Telegram account, or None (then the bot offers /lienket)."""
    return session.scalar(
        select(Official)
        .where(Official.telegram_user_id == tg_user_id, Official.active.is_(True))
        .options(selectinload(Official.unit))
    )


def _page(session: Session, query: Select[tuple[Task]], page: int, page_size: int) -> TaskPage:
    page = max(1, page)
    page_size = max(1, min(page_size, 100))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = session.scalars(
        query.order_by(Task.deadline, Task.id)
        .options(selectinload(Task.lead_unit), selectinload(Task.assignee))
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return TaskPage(list(items), total, page, page_size)


def my_open_tasks(session: Session, official: Official, page: int = 1, page_size: int = 5) -> TaskPage:
    """The official's own unfinished tasks, earliest deadline first (so overdue ones come first)."""
    query = select(Task).where(Task.assignee_id == official.id, Task.status != TaskStatus.HOAN_THANH)
    return _page(session, query, page, page_size)


def visible_tasks(
    session: Session, viewer: Official | None, *, open_only: bool = True, page: int = 1, page_size: int = 10
) -> TaskPage:
    """Tasks `viewer` may see (a leader: the whole subtree), earliest deadline first."""
    query = visible_tasks_query(viewer)
    if open_only:
        query = query.where(Task.status != TaskStatus.HOAN_THANH)
    return _page(session, query, page, page_size)


def _load(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"Không tìm thấy nhiệm vụ số {task_id}.")
    return task


def get_task(session: Session, viewer: Official | None, task_id: int) -> Task:
    """The task if `viewer` may see it; `NotFound` / `PermissionDenied` otherwise."""
    task = _load(session, task_id)
    if not can_view_task(viewer, task):
        raise PermissionDenied(f"Bạn không có quyền xem nhiệm vụ {task.code}.")
    return task


def _authorize_change(
    session: Session,
    actor: Official | None,
    task: Task,
    field: str,
    attempted: object,
    via: str,
    now: datetime,
) -> None:
    """Raise `PermissionDenied` (after committing an audit row) unless `actor` may change `task`."""
    if can_change_task(actor, task):
        return
    audit.record(
        session, actor=audit.actor_name(actor), via=via, entity="task", key=task.code, field=field,
        old=getattr(task, field), new=attempted, at=now, note="Từ chối: không có quyền thay đổi nhiệm vụ này",
    )  # fmt: skip
    session.commit()
    raise PermissionDenied(
        f"Bạn không có quyền cập nhật nhiệm vụ {task.code}: chỉ người thực hiện, lãnh đạo đơn vị "
        "phụ trách hoặc quản trị viên mới được cập nhật."
    )


def _load_locked(session: Session, task_id: int) -> Task:
    """The task re-read under a write lock (`tasks.writes`): every check and change below sees the newest
    committed row, and no other writer can slip in before this transaction commits."""
    task = lock_task(session, task_id)
    if task is None:
        session.rollback()  # release the write lock at once
        raise NotFound(f"Không tìm thấy nhiệm vụ số {task_id}.")
    return task


def _refuse(session: Session, message: str) -> NoReturn:
    """Release the write lock (nothing was changed) and raise `InvalidOperation(message)`."""
    session.rollback()
    raise InvalidOperation(message)


def done_phrase(task: Task) -> str:
    """ "hoàn thành ngày 20/10/2026", or "hoàn thành (không rõ ngày hoàn thành)" when no date was recorded:
    a completion date is never invented."""
    if task.completed_on is None:
        return "hoàn thành (không rõ ngày hoàn thành)"
    return f"hoàn thành ngày {format_date(task.completed_on)}"


def set_progress(
    session: Session,
    actor: Official | None,
    task_id: int,
    percent: int | str,
    via: str = Via.BOT,
    *,
    now: datetime | None = None,
) -> Task:
    """Record progress (0–100 %) on a task; a not-started task becomes in progress. Commits.

    Completing goes through `complete_task` (it needs a result note), so 100 % alone does not close a task.
    """
    now = as_utc(now) if now else utcnow()
    task = _load_locked(session, task_id)
    _authorize_change(session, actor, task, "progress", percent, via, now)
    assert actor is not None
    try:
        value = parse_progress(percent)
    except ValueError as exc:
        _refuse(session, str(exc))
    if task.is_done:
        _refuse(session, f"Nhiệm vụ {task.code} đã {done_phrase(task)}; không cập nhật tiến độ nữa.")
    status = task.status
    if status == TaskStatus.CHUA_BAT_DAU and value > 0:
        status = TaskStatus.DANG_THUC_HIEN
    values = {"progress": value, "status": status}
    change_task(session, task, values, actor=actor.code, via=via, now=now, stamp=True)
    session.commit()
    return task


def complete_task(
    session: Session,
    actor: Official | None,
    task_id: int,
    result_note: str | None = None,
    via: str = Via.BOT,
    *,
    today: date | None = None,
    now: datetime | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
) -> Task:
    """Mark a task done today (in `tz`) at 100 %, with the result note (rõ sản phẩm). Commits."""
    now = as_utc(now) if now else utcnow()
    today = today or local_date(now, tz)
    task = _load_locked(session, task_id)
    _authorize_change(session, actor, task, "status", TaskStatus.HOAN_THANH, via, now)
    assert actor is not None
    if task.is_done:
        since = (
            f"từ ngày {format_date(task.completed_on)}" if task.completed_on else "(không rõ ngày hoàn thành)"
        )
        _refuse(session, f"Nhiệm vụ {task.code} đã hoàn thành {since}.")
    note = (result_note or "").strip() or None
    values = {"status": TaskStatus.HOAN_THANH, "progress": 100, "completed_on": today, "result_note": note}
    change_task(session, task, values, actor=actor.code, via=via, now=now, stamp=True)
    session.commit()
    return task
