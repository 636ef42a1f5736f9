"""People move: an official who leaves (deactivated, e.g. missing from a complete roster import) must not leave
decisions hanging — their pending approvals pass to whoever the approval rule now names.

Who decides an extension request or reviews a product is `tasks.workflow.approvers`: the assigner when they
are a linked, active official, otherwise the leaders of the lead unit (or of the nearest unit above it that has
one). Deactivating the approver therefore moves the decision by that rule alone; this module makes the move
explicit: it finds the approvals that were waiting on the official *before* they leave, deactivates them, and
records on each task (audit log, field ``approver``) who decides now, so the new approvers find them in their
lists (`pending_extensions`, `waiting_reviews`) and anyone can read in the history why.

The task's assigner is left as it was: who assigned the work is a fact of its history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from tasks import audit
from tasks.models import ExtensionRequest, Official, Task
from tasks.normalize import TaskStatus
from tasks.workflow import approvers

EXTENSION, REVIEW = "gia hạn", "duyệt sản phẩm"


@dataclass(frozen=True)
class HandedOver:
    """One pending approval that passed on: the task, what waits (`EXTENSION` or `REVIEW`) and the officials
    who decide now (empty: nobody in the unit tree leads — a quản trị decides)."""

    task: Task
    kind: str
    to: list[Official]


def approvals_waiting_on(session: Session, official: Official) -> list[tuple[Task, str]]:
    """The pending approvals `official` is an approver of (extension requests, products waiting for review),
    by task code."""
    pending = select(ExtensionRequest.task_id).where(ExtensionRequest.status == "pending")
    tasks = session.scalars(
        select(Task)
        .where(or_(Task.status == TaskStatus.CHO_DUYET, Task.id.in_(pending)))
        .options(selectinload(Task.lead_unit), selectinload(Task.assigner))
        .order_by(Task.code)
    )
    extension_ids = set(session.scalars(pending))
    found = []
    for task in tasks:
        if any(a.id == official.id for a in approvers(session, task)):
            if task.id in extension_ids:
                found.append((task, EXTENSION))
            if task.status == TaskStatus.CHO_DUYET:
                found.append((task, REVIEW))
    return found


def deactivate_official(
    session: Session, official: Official, *, actor: str, via: str, now: datetime, note: str
) -> list[HandedOver]:
    """Deactivate `official` (audited with `note`) and pass their pending approvals to the approvers the rule
    names without them (each audited on its task). Flushes; the caller commits. Returns what passed on."""
    waiting = approvals_waiting_on(session, official)
    official.active = False
    official.updated_at = now
    audit.record(
        session, actor=actor, via=via, entity="official", key=official.code, field="active", old=True, new=False,
        at=now, note=note,
    )  # fmt: skip
    session.flush()
    moved = []
    for task, kind in waiting:
        now_deciding = approvers(session, task)
        audit.record(
            session, actor=actor, via=via, entity="task", key=task.code, field="approver", old=official.code,
            new=", ".join(o.code for o in now_deciding) or "quản trị", at=now,
            note=f"Chuyển {kind} do {official.full_name} thôi hoạt động",
        )  # fmt: skip
        moved.append(HandedOver(task, kind, now_deciding))
    session.flush()
    return moved
