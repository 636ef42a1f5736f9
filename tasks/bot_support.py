"""Small read helpers and permission checks that chat front ends need on top of `tasks.service`.

`tasks.service` audits refused *changes*; a chat also shows tasks (a card, the assigning document) and asks
questions before changing anything ("send me the result"). A forged button with someone else's task id must
be refused and leave a trace for those too: `authorize_task` checks and audits the refusal.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks import audit
from tasks.access import can_change_task, can_view_task
from tasks.errors import NotFound, PermissionDenied
from tasks.models import Official, Task, overdue_condition
from tasks.normalize import Via
from tasks.timeutil import as_utc, utcnow


def authorize_task(
    session: Session,
    viewer: Official | None,
    task_id: int,
    *,
    change: bool,
    action: str,
    via: str = Via.BOT,
    now: datetime | None = None,
) -> Task:
    """The task if `viewer` may see it (`change=False`) or change it (`change=True`).

    Otherwise `NotFound`, or `PermissionDenied` after committing an audit row that names `action`
    (e.g. "xem", "văn bản giao", "hoàn thành") and the viewer.
    """
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"Không tìm thấy nhiệm vụ số {task_id}.")
    allowed = can_change_task(viewer, task) if change else can_view_task(viewer, task)
    if allowed:
        return task
    record_refusal(session, audit.actor_name(viewer), task_id, action, via=via, now=now)
    raise PermissionDenied(f"Bạn không có quyền với nhiệm vụ {task.code}.")


def record_refusal(
    session: Session,
    actor: str,
    task_id: int,
    action: str,
    *,
    via: str = Via.BOT,
    now: datetime | None = None,
) -> None:
    """Audit (and commit) a refused attempt on a task by `actor` — a Mã cán bộ, or e.g. "telegram:123" for
    an account that is not linked. Nothing is written for a task id that does not exist."""
    task = session.get(Task, task_id)
    if task is None:
        return
    audit.record(
        session, actor=actor, via=via, entity="task", key=task.code, field=None,
        at=as_utc(now) if now else utcnow(), note=f"Từ chối: không có quyền ({action})",
    )  # fmt: skip
    session.commit()


def count_open_overdue(session: Session, official: Official, today: date) -> int:
    """How many of the official's own unfinished tasks are past their deadline (docs/cli.md §4 "overdue")."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Task)
            .where(
                Task.assignee_id == official.id,
                overdue_condition(today),
            )
        )
        or 0
    )
