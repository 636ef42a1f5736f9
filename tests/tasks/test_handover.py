"""People move: the pending approvals (extension requests, products waiting for review) of an official who
leaves pass to the leader of the lead unit — in the domain (`tasks.handover`) and through a complete roster
import (`--full`) — audited on each task, and the new approver can decide them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.handover import EXTENSION, REVIEW, approvals_waiting_on, deactivate_official
from tasks.importing import import_officials
from tasks.models import AuditLog, Official, Task
from tasks.normalize import TaskStatus
from tasks.product_files import ProductItem
from tasks.workflow import (
    ExtensionDecided,
    approvers,
    decide_extension,
    pending_extensions,
    request_extension,
    submit_product,
    waiting_reviews,
)
from tests.db_fixtures import T0, Org
from tests.tasks.test_tasks_import_sheets import ROSTER_HEADERS
from tests.tasks.test_tasks_reminders import add_task

DEADLINE = date(2026, 12, 31)


def _pending(session: Session, org: Org, tmp_path: Path) -> tuple[Task, Task, Task]:
    """Phòng A1's official has an extension request and a product waiting, both assigned by SA01 (Sở Nội vụ);
    a third task, assigned by Xã B's leader, waits on someone who stays."""
    ext = add_task(session, "A1-EXT", org.staff_a1, DEADLINE, assigner=org.staff_a)
    rev = add_task(session, "A1-REV", org.staff_a1, DEADLINE, assigner=org.staff_a)
    other = add_task(session, "B-EXT", org.staff_b, DEADLINE, assigner=org.leader_b)
    now = T0 + timedelta(days=1)
    assert request_extension(
        session, org.staff_a1, ext.id, DEADLINE + timedelta(days=10), "Chờ số liệu", now=now
    )
    assert request_extension(
        session, org.staff_b, other.id, DEADLINE + timedelta(days=5), "Chờ số liệu", now=now
    )
    submit_product(
        session, org.staff_a1, rev.id, [ProductItem("text", text="Báo cáo đã gửi")], tmp_path, now=now
    )
    session.commit()
    assert rev.status == TaskStatus.CHO_DUYET
    return ext, rev, other


def _approver_audit(session: Session, code: str) -> list[tuple]:
    rows = session.execute(
        select(AuditLog.field, AuditLog.old, AuditLog.new, AuditLog.note).where(
            AuditLog.entity_key == code, AuditLog.field == "approver"
        )
    )
    return [tuple(r) for r in rows]


def test_the_approvals_of_an_official_who_leaves_pass_to_the_leader_of_the_lead_unit(
    session: Session, org: Org, tmp_path: Path
):
    ext, _, other = _pending(session, org, tmp_path)
    assert [(t.code, k) for t, k in approvals_waiting_on(session, org.staff_a)] == [
        ("A1-EXT", EXTENSION),
        ("A1-REV", REVIEW),
    ]
    moved = deactivate_official(
        session, org.staff_a, actor="admin", via="cli", now=T0, note="Chuyển công tác"
    )
    session.commit()
    # Phòng A1 has no leader: the nearest one above it, Sở Nội vụ's, decides now
    assert [(m.task.code, m.kind, [o.code for o in m.to]) for m in moved] == [
        ("A1-EXT", EXTENSION, ["LA01"]),
        ("A1-REV", REVIEW, ["LA01"]),
    ]
    assert not org.staff_a.active and approvers(session, ext) == [org.leader_a]
    assert _approver_audit(session, "A1-EXT") == [
        ("approver", "SA01", "LA01", f"Chuyển gia hạn do {org.staff_a.full_name} thôi hoạt động")
    ]
    assert _approver_audit(session, "B-EXT") == []  # Xã B's leader stays: nothing moves there
    assert approvers(session, other) == [org.leader_b]
    # the leader finds them in their lists and decides
    assert [r.task.code for r in pending_extensions(session, org.leader_a)] == ["A1-EXT"]
    late = waiting_reviews(session, T0.date() + timedelta(days=30), approver=org.leader_a)
    assert [w.task.code for w in late] == ["A1-REV"]
    (request,) = pending_extensions(session, org.leader_a)
    decided = decide_extension(session, org.leader_a, request.id, True, now=T0 + timedelta(days=2))
    assert isinstance(decided, ExtensionDecided) and decided.approved
    # the task's history keeps who assigned it
    assert session.get(Task, ext.id).assigner.code == "SA01"


def test_a_complete_roster_import_hands_over_the_approvals_of_those_it_deactivates(
    session: Session, org: Org, tmp_path: Path, write_sheet
):
    _pending(session, org, tmp_path)
    everyone_but_sa01 = [
        [
            o.code,
            o.full_name,
            o.position,
            o.unit.name,
            o.unit.parent and o.unit.parent.name,
            o.phone,
            None,
            o.role.label,
        ]
        for o in (org.admin, org.leader_a, org.staff_a1, org.leader_b, org.staff_b)
    ]
    report = import_officials(
        session,
        write_sheet("f.xlsx", ROSTER_HEADERS, everyone_but_sa01),
        now=T0 + timedelta(days=3),
        full=True,
    )
    assert not report.errors
    session.commit()
    (gone,) = report.to_dict()["deactivated"]
    assert gone["code"] == "SA01"
    assert gone["handed_over"] == [
        {"task": "A1-EXT", "kind": "gia hạn", "to": ["LA01"]},
        {"task": "A1-REV", "kind": "duyệt sản phẩm", "to": ["LA01"]},
    ]
    assert session.scalar(select(Official.active).where(Official.code == "SA01")) is False
    assert [r[:3] for r in _approver_audit(session, "A1-REV")] == [("approver", "SA01", "LA01")]
