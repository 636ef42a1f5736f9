"""The chat's additions to the extension use cases (`tasks.workflow`), on SQLite and PostgreSQL: the checks
asked before the questions (`extension_refusal`, `extension_date_problem`) and the decider's note sent after the
press (`annotate_extension`): only who decided, once, not empty; a refusal changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks.models import AuditLog, ExtensionRequest
from tasks.workflow import (
    Assigned,
    ExtensionDecided,
    ExtensionRequested,
    Refused,
    annotate_extension,
    assign_task,
    decide_extension,
    extension_date_problem,
    extension_refusal,
    request_extension,
)
from tests.db_fixtures import T0, Org

TODAY = date(2026, 11, 1)


def _audits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditLog)) or 0


def test_the_checks_before_asking_and_the_note_after_deciding(session: Session, org: Org) -> None:
    assigned = assign_task(
        session, org.leader_a, assignee_code="SA11", content="Báo cáo", deadline=TODAY + timedelta(days=10),
        product="Báo cáo bằng văn bản", now=T0,
    )  # fmt: skip
    assert isinstance(assigned, Assigned)
    task = assigned.task
    assert extension_refusal(session, org.staff_a1, task) is None
    assert extension_refusal(session, org.staff_a, task) == (
        f"Chỉ người được giao ({org.staff_a1.full_name}) mới xin gia hạn nhiệm vụ {task.code}."
    )
    assert "phải sau thời hạn hiện tại" in (extension_date_problem(task, task.deadline, TODAY) or "")
    assert extension_date_problem(task, task.deadline + timedelta(days=1), TODAY) is None
    asked = request_extension(
        session, org.staff_a1, task.id, task.deadline + timedelta(days=5), "Chờ số liệu", now=T0
    )
    assert isinstance(asked, ExtensionRequested)
    assert "đang chờ quyết định" in (extension_refusal(session, org.staff_a1, task) or "")
    decided = decide_extension(session, org.leader_a, asked.request.id, False, now=T0)
    assert isinstance(decided, ExtensionDecided)
    before = _audits(session)
    for actor, text in ((org.admin, "Ghi chú"), (org.staff_a1, "Ghi chú"), (org.leader_a, "  "),
                        (org.leader_a, "x" * 501)):  # fmt: skip
        assert isinstance(annotate_extension(session, actor, asked.request.id, text, now=T0), Refused)
    assert isinstance(annotate_extension(session, org.leader_a, 999_999, "Ghi chú", now=T0), Refused)
    assert _audits(session) == before
    assert session.scalar(select(ExtensionRequest.note)) is None
    noted = annotate_extension(session, org.leader_a, asked.request.id, "  Cần   số liệu từng xã ", now=T0)
    assert isinstance(noted, ExtensionDecided) and noted.notify == [org.staff_a1]
    assert noted.request.note == "Cần số liệu từng xã" and _audits(session) == before + 1
    entry = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert (entry.actor, entry.via, entry.field, entry.new) == (org.leader_a.code, "bot", "extension_note",
                                                                 "Cần số liệu từng xã")  # fmt: skip
    again = annotate_extension(session, org.leader_a, asked.request.id, "Lần hai", now=T0)
    assert isinstance(again, Refused) and again.reason == "Đề nghị gia hạn này đã có ghi chú."
