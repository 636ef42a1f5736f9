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
from tasks.access import can_change_task, can_view_task, can_view_unit, visible_tasks_query
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.models import AuditLog, Official, Task
from tasks.normalize import CLOSED_STATUSES, Role, TaskStatus, Via, format_date, nfc, parse_progress
from tasks.timeutil import DEFAULT_TZ, as_utc, local_date, utcnow
from tasks.writes import change_task, is_locked, lock_task


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
    query = select(Task).where(Task.assignee_id == official.id, Task.status.not_in(CLOSED_STATUSES))
    return _page(session, query, page, page_size)


def visible_tasks(
    session: Session, viewer: Official | None, *, open_only: bool = True, page: int = 1, page_size: int = 10
) -> TaskPage:
    """Tasks `viewer` may see (a leader: the whole subtree), earliest deadline first."""
    query = visible_tasks_query(viewer)
    if open_only:
        query = query.where(Task.status.not_in(CLOSED_STATUSES))
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
    _deny(
        session, actor, task, field, attempted, via, now,
        note="Từ chối: không có quyền thay đổi nhiệm vụ này",
        message=f"Bạn không có quyền cập nhật nhiệm vụ {task.code}: chỉ người thực hiện, lãnh đạo đơn vị "
        "phụ trách hoặc quản trị viên mới được cập nhật.",
    )  # fmt: skip


def _deny(
    session: Session,
    actor: Official | None,
    task: Task,
    field: str,
    attempted: object,
    via: str,
    now: datetime,
    *,
    note: str,
    message: str,
) -> NoReturn:
    """A refused change: one audit row (committed, so the refusal is on record) and `PermissionDenied`."""
    audit.record(
        session, actor=audit.actor_name(actor), via=via, entity="task", key=task.code, field=field,
        old=getattr(task, field, None), new=attempted, at=now, note=note,
    )  # fmt: skip
    session.commit()
    raise PermissionDenied(message)


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
    if task.is_cancelled:
        _refuse(session, f"Nhiệm vụ {task.code} đã bị hủy; không cập nhật tiến độ nữa.")
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
    if task.is_cancelled:
        _refuse(session, f"Nhiệm vụ {task.code} đã bị hủy; không đánh dấu hoàn thành được.")
    note = (result_note or "").strip() or None
    values = {"status": TaskStatus.HOAN_THANH, "progress": 100, "completed_on": today, "result_note": note}
    change_task(session, task, values, actor=actor.code, via=via, now=now, stamp=True)
    session.commit()
    return task


# --- people move: reassign, cancel ---------------------------------------------------------------------------

CANCEL_REASON_MAX = 500


def _find_task(session: Session, task: int | str) -> Task:
    """A task by id (bot buttons) or by code (CLI), re-read under the write lock of `tasks.writes` (the checks
    below see the newest row and nobody writes it before this transaction ends); `NotFound` otherwise."""
    if isinstance(task, int):
        return _load_locked(session, task)
    code = nfc(task).strip()
    task_id = session.scalar(select(Task.id).where(Task.code == code))
    if task_id is None:  # case-insensitive, as the import matches codes ("th-nv-023" is TH-NV-023)
        variants = {code, code.upper(), code.lower()}
        pairs = session.execute(select(Task.id, Task.code).where(Task.code.in_(variants))).all()
        found = [tid for tid, stored in pairs if stored.casefold() == code.casefold()]
        task_id = found[0] if len(found) == 1 else None
    if task_id is None:
        raise NotFound(f"Không có nhiệm vụ mã “{code}”.")
    return _load_locked(session, task_id)


def find_task_locked(session: Session, task: int | str) -> Task:
    """A task by id or code (any case), re-read under the write lock; `NotFound` (Vietnamese) otherwise.

    The public form of the lookup `reassign_task` and `cancel_task` use, for the use cases of
    `tasks.workflow`."""
    return _find_task(session, task)


def can_manage_task(actor: Official | None, task: Task) -> bool:
    """Whether `actor` may reassign or cancel `task`: an administrator, or a leader whose subtree holds
    the task's lead unit (an official cannot hand their own task away)."""
    if actor is None or not actor.active:
        return False
    if actor.role == Role.QUAN_TRI:
        return True
    return actor.role == Role.LANH_DAO and can_view_unit(actor, task.lead_unit)


def _authorize_manage(
    session: Session,
    actor: Official | None,
    task: Task,
    field: str,
    attempted: object,
    via: str,
    now: datetime,
) -> None:
    if via == Via.CLI or can_manage_task(actor, task):
        return
    _deny(
        session, actor, task, field, attempted, via, now,
        note="Từ chối: chỉ lãnh đạo đơn vị chủ trì (hoặc cấp trên) mới được giao lại hoặc hủy nhiệm vụ",
        message=f"Chỉ lãnh đạo {task.lead_unit.name} (hoặc đơn vị cấp trên) và quản trị viên mới được giao "
        f"lại hoặc hủy nhiệm vụ {task.code}.",
    )  # fmt: skip


def _write_people_change(
    session: Session,
    task: Task,
    *,
    actor: str,
    via: str,
    now: datetime,
    field: str,
    old: object,
    new: object,
    note: str | None = None,
    **values: object,
) -> None:
    """The one write of a reassignment or a cancellation: set `values`, audit one row, stamp, commit.

    Runs under the row lock taken by `_find_task` (`tasks.writes.lock_task`), like `change_task`; the audit row
    names people instead of ids, which is why it does not go through `change_task` itself.
    """
    if not is_locked(session, task):
        raise RuntimeError(
            f"Task {task.code} must be locked with tasks.writes.lock_task before it is changed"
        )
    audit.record(
        session, actor=actor, via=via, entity="task", key=task.code, field=field, old=old, new=new, at=now, note=note
    )  # fmt: skip
    for name, value in values.items():
        setattr(task, name, value)
    task.updated_at = now
    task.updated_via = Via(via)
    if "status" in values:
        task.progress_updated_at = now
        task.progress_updated_via = Via(via)
    session.commit()


def _actor_label(actor: Official | None, via: str) -> str:
    return actor.code if actor is not None else ("cli" if via == Via.CLI else "unlinked")


def reassign_task(
    session: Session,
    actor: Official | None,
    task: int | str,
    official_code: str,
    via: str = Via.BOT,
    *,
    now: datetime | None = None,
) -> tuple[Task, Official]:
    """Give `task` (id or code) to the official `official_code`; returns (task, previous assignee). Commits.

    Bot: `actor` must be a leader of the task's lead unit subtree (or an administrator), and the new
    assignee must be within the actor's reach. CLI (`via="cli"`, `actor` None): the operator may do it.
    The new assignee must be active; a finished or cancelled task cannot be reassigned. Reminders planned
    for the previous assignee become obsolete at the next planning sweep. Raises `NotFound`,
    `PermissionDenied` (audited), `InvalidOperation` — all with a Vietnamese message.
    """
    now = as_utc(now) if now else utcnow()
    found = _find_task(session, task)
    code = nfc(official_code)
    _authorize_manage(session, actor, found, "assignee", code, via, now)
    new = session.scalar(select(Official).where(Official.code == code))
    if new is None:
        session.rollback()
        raise NotFound(f"Không có cán bộ mã “{code}”.")
    if not new.active:
        _refuse(session, f"Cán bộ {new.full_name} ({new.code}) đã ngừng hoạt động; hãy giao cho người khác.")
    if (
        via != Via.CLI
        and actor is not None
        and actor.role != Role.QUAN_TRI
        and not can_view_unit(actor, new.unit)
    ):
        session.rollback()
        raise PermissionDenied(
            f"{new.full_name} ({new.code}) không thuộc {actor.unit.name} hoặc các đơn vị trực thuộc."
        )
    if found.is_closed:
        state = "đã bị hủy" if found.is_cancelled else f"đã {done_phrase(found)}"
        _refuse(session, f"Nhiệm vụ {found.code} {state}; không giao lại được.")
    previous = found.assignee
    if previous.id == new.id:
        _refuse(session, f"Nhiệm vụ {found.code} đang do {new.full_name} ({new.code}) thực hiện.")
    _write_people_change(
        session, found, actor=_actor_label(actor, via), via=via, now=now, field="assignee",
        old=previous, new=new, note="Giao lại", assignee_id=new.id,
    )  # fmt: skip
    session.refresh(found)
    return found, previous


def cancel_task(
    session: Session,
    actor: Official | None,
    task: int | str,
    reason: str,
    via: str = Via.BOT,
    *,
    now: datetime | None = None,
) -> Task:
    """Cancel `task` (status `đã hủy`) with a reason; it leaves every count, KPI and reminder. Commits.

    Same permission as `reassign_task`. The reason (required, ≤ 500 characters) is kept in the audit log.
    A finished task cannot be cancelled (its result is part of the record); cancelling twice is refused.
    """
    now = as_utc(now) if now else utcnow()
    found = _find_task(session, task)
    _authorize_manage(session, actor, found, "status", TaskStatus.DA_HUY, via, now)
    text = " ".join(nfc(reason or "").split())
    if not any(ch.isalnum() for ch in text):
        _refuse(session, "Hãy ghi lý do hủy nhiệm vụ (ví dụ: “văn bản giao đã được thay thế”).")
    if len(text) > CANCEL_REASON_MAX:
        _refuse(session, f"Lý do hủy dài {len(text)} ký tự; tối đa {CANCEL_REASON_MAX} ký tự.")
    if found.is_cancelled:
        _refuse(session, f"Nhiệm vụ {found.code} đã bị hủy trước đó.")
    if found.is_done:
        _refuse(session, f"Nhiệm vụ {found.code} đã {done_phrase(found)}; không hủy được.")
    _write_people_change(
        session, found, actor=_actor_label(actor, via), via=via, now=now, field="status",
        old=found.status, new=TaskStatus.DA_HUY, note=f"Hủy nhiệm vụ. Lý do: {text}", status=TaskStatus.DA_HUY,
    )  # fmt: skip
    return found


def cancel_reason(session: Session, task: Task) -> str | None:
    """The reason given when `task` was cancelled (from the audit log), or None."""
    note = session.scalar(
        select(AuditLog.note)
        .where(
            AuditLog.entity == "task", AuditLog.entity_key == task.code, AuditLog.field == "status",
            AuditLog.new == TaskStatus.DA_HUY.value,
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(1)
    )  # fmt: skip
    return note.split("Lý do: ", 1)[1] if note and "Lý do: " in note else note
