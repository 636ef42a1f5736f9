"""Use cases of the "6 rõ" cycle (`tasks.workflow`) on SQLite and PostgreSQL: who may assign, acknowledge,
ask for and decide more time, hand in and review a product; what changes, what is audited, whom to notify;
and that a refusal changes nothing."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks.models import AuditLog, ExtensionRequest, Reminder, Task, TaskProduct
from tasks.normalize import TaskStatus
from tasks.product_files import MAX_PRODUCT_BYTES
from tasks.workdays import load_calendar
from tasks.workflow import (
    Acknowledged,
    Assigned,
    ExtensionDecided,
    ExtensionRequested,
    ProductItem,
    ProductReviewed,
    ProductSubmitted,
    Refused,
    acknowledge,
    approvers,
    assign_task,
    decide_extension,
    next_task_code,
    pending_extensions,
    request_extension,
    review_product,
    submit_product,
    waiting_reviews,
)
from tests.db_fixtures import T0, Org

TODAY = date(2026, 11, 1)  # T0 is 09:00 on 1/11/2026 in Hà Nội (a Sunday)
CAL = load_calendar()
PDF = b"%PDF-1.4\n% bao cao\n" + b"x" * 100


def audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditLog)) or 0


def assign(
    session: Session, actor, code: str = "SA11", deadline: date | None = None, **kw
) -> Assigned | Refused:
    return assign_task(
        session, actor, assignee_code=code, content="Báo cáo tình hình triển khai KL 221",
        deadline=deadline or TODAY + timedelta(days=10), product="Báo cáo bằng văn bản", now=T0, **kw,
    )  # fmt: skip


def test_a_leader_assigns_within_the_subtree_and_codes_follow_the_year(session: Session, org: Org) -> None:
    first = assign(session, org.leader_a, document="Kết luận 221-KL/TW")
    assert isinstance(first, Assigned) and first.ok
    task = first.task
    assert task.code == "NV-2026-0001" and first.notify == [org.staff_a1]
    assert (task.assignee_id, task.lead_unit_id, task.assigner_official_id) == (
        org.staff_a1.id, org.phong_a1.id, org.leader_a.id
    )  # fmt: skip
    assert task.assigned_by == org.leader_a.full_name and task.source_document == "Kết luận 221-KL/TW"
    assert task.status == TaskStatus.CHUA_BAT_DAU and task.original_deadline is None
    note = session.scalar(select(AuditLog.note).where(AuditLog.entity_key == task.code))
    assert note is not None and note.startswith("Tạo mới (giao việc)")
    second = assign(session, org.leader_a, code="sa01", lead_unit="Sở Nội vụ")
    assert isinstance(second, Assigned) and second.task.code == "NV-2026-0002"
    session.add(
        Task(code="NV-2026-0041", content="x", assignee=org.staff_b, lead_unit=org.xa_b, deadline=TODAY,
             product="p", assigned_by="a", created_at=T0, updated_at=T0, progress_updated_at=T0)
    )  # fmt: skip
    session.commit()
    assert next_task_code(session, 2026) == "NV-2026-0042" and next_task_code(session, 2027) == "NV-2027-0001"
    by_admin = assign(session, org.admin, code="SB01")
    assert isinstance(by_admin, Assigned) and by_admin.task.code == "NV-2026-0042"


@pytest.mark.parametrize(
    ("who", "code", "deadline", "lead_unit", "words"),
    [
        ("staff_a", "SA11", None, None, "Chỉ lãnh đạo"),
        ("leader_a", "SB01", None, None, "không thuộc Sở Nội vụ"),
        ("leader_a", "SA11", date(2026, 10, 31), None, "đã qua"),
        ("leader_a", "XX99", None, None, "Không có cán bộ mã “XX99”"),
        ("leader_a", "SA11", None, "UBND xã Hợp Tiến", "không thuộc Sở Nội vụ"),
        ("leader_a", "SA11", None, "Sở Không Có", "Không tìm thấy đơn vị"),
    ],
)
def test_refused_assignments_change_nothing(
    session: Session, org: Org, who: str, code: str, deadline: date | None, lead_unit: str | None, words: str
) -> None:
    before = audit_count(session)
    result = assign(session, getattr(org, who), code=code, deadline=deadline, lead_unit=lead_unit)
    assert isinstance(result, Refused) and not result.ok and words in result.reason
    assert session.scalar(select(func.count()).select_from(Task)) == 0
    assert audit_count(session) == before


@pytest.fixture
def task(session: Session, org: Org) -> Task:
    result = assign(session, org.leader_a)
    assert isinstance(result, Assigned)
    return result.task


def test_acknowledge_sets_in_progress_and_tells_the_assigner(session: Session, org: Org, task: Task) -> None:
    assert isinstance(acknowledge(session, org.staff_a, task.id, now=T0), Refused)
    done = acknowledge(session, org.staff_a1, task.code, now=T0)
    assert isinstance(done, Acknowledged) and done.notify == [org.leader_a]
    assert done.task.status == TaskStatus.DANG_THUC_HIEN
    again = acknowledge(session, org.staff_a1, task.id, now=T0)
    assert isinstance(again, Refused) and "đã nhận" in again.reason
    assert isinstance(acknowledge(session, org.staff_a1, "NV-0000", now=T0), Refused)


def test_without_an_assigner_the_leader_of_the_lead_unit_or_above_decides(session: Session, org: Org) -> None:
    imported = Task(code="NV-001", content="x", assignee=org.staff_a1, lead_unit=org.phong_a1, deadline=TODAY,
                    product="p", assigned_by="Phó Chủ tịch UBND tỉnh", created_at=T0, updated_at=T0,
                    progress_updated_at=T0)  # fmt: skip
    session.add(imported)
    session.commit()
    assert approvers(session, imported) == [org.leader_a]  # Phòng A1 has no leader: Sở A's
    org.leader_a.active = False
    session.commit()
    assert approvers(session, imported) == []


def test_nobody_decides_their_own_request_the_leaders_above_do(session: Session, org: Org) -> None:
    """A department head's own task: their product and their extension go up to the province's leaders."""
    own = Task(code="NV-002", content="x", assignee=org.leader_a, lead_unit=org.so_a, deadline=TODAY,
               product="p", assigned_by="UBND tỉnh", created_at=T0, updated_at=T0,
               progress_updated_at=T0)  # fmt: skip
    session.add(own)
    session.commit()
    assert approvers(session, own) == [org.leader_a]
    assert approvers(session, own, exclude=org.leader_a) == []  # the test tree has no leader above Sở A
    top = Task(code="NV-003", content="x", assignee=org.staff_b, lead_unit=org.xa_b, deadline=TODAY,
               product="p", assigned_by="x", created_at=T0, updated_at=T0, progress_updated_at=T0)  # fmt: skip
    session.add(top)
    session.commit()
    assert approvers(session, top, exclude=org.staff_b) == [org.leader_b]
    assert approvers(session, top, exclude=org.leader_b) == []


def pending_reminder_deadlines(session: Session, task: Task) -> set[date | None]:
    rows = session.scalars(
        select(Reminder.deadline).where(
            Reminder.task_id == task.id, Reminder.cancelled_at.is_(None), Reminder.sent_at.is_(None)
        )
    )
    return set(rows)


def test_extension_is_decided_by_the_right_person_only(session: Session, org: Org, task: Task) -> None:
    from tasks.reminders import plan_reminders

    org.staff_a1.telegram_user_id = 501  # linked: reminders are planned for them
    task.deadline = first = TODAY + timedelta(days=1)  # due tomorrow: reminders within the planning horizon
    session.commit()
    plan_reminders(session, T0)
    assert pending_reminder_deadlines(session, task) == {first}
    assert isinstance(
        request_extension(session, org.staff_a, task.id, first + timedelta(days=5), "x", now=T0), Refused
    )
    for bad_date, words in ((first, "phải sau"), (first - timedelta(days=1), "phải sau")):
        refused = request_extension(session, org.staff_a1, task.id, bad_date, "Chờ số liệu", now=T0)
        assert isinstance(refused, Refused) and words in refused.reason
    no_reason = request_extension(session, org.staff_a1, task.id, first + timedelta(days=5), "  ", now=T0)
    assert isinstance(no_reason, Refused) and "lý do" in no_reason.reason
    asked = request_extension(
        session, org.staff_a1, task.id, first + timedelta(days=5), "Chờ số liệu Sở TC", now=T0
    )
    assert isinstance(asked, ExtensionRequested) and asked.notify == [org.leader_a]
    twice = request_extension(session, org.staff_a1, task.id, first + timedelta(days=6), "Thêm", now=T0)
    assert isinstance(twice, Refused) and "đang chờ" in twice.reason
    assert [r.id for r in pending_extensions(session, org.leader_a)] == [asked.request.id]
    assert pending_extensions(session, org.leader_b) == []
    before = audit_count(session)
    for wrong in (org.leader_b, org.staff_a, org.staff_a1):
        refused = decide_extension(session, wrong, asked.request.id, True, now=T0)
        assert isinstance(refused, Refused)
    assert audit_count(session) == before
    decided = decide_extension(session, org.leader_a, asked.request.id, True, "Đồng ý", now=T0)
    assert isinstance(decided, ExtensionDecided) and decided.approved and decided.notify == [org.staff_a1]
    session.refresh(task)
    assert (task.deadline, task.original_deadline) == (first + timedelta(days=5), first)
    # reminders re-planned: none left for the old deadline (the new one's fall after the planning horizon)
    assert pending_reminder_deadlines(session, task) <= {first + timedelta(days=5)}
    late = decide_extension(session, org.admin, asked.request.id, False, now=T0)
    assert isinstance(late, Refused) and "đã được" in late.reason
    # a second extension keeps the FIRST deadline; the admin (or a leader above) may decide too
    again = request_extension(session, org.staff_a1, task.id, first + timedelta(days=9), "Lý do khác", now=T0)
    assert isinstance(again, ExtensionRequested)
    refused = decide_extension(session, org.admin, again.request.id, False, "Không đủ căn cứ", now=T0)
    assert isinstance(refused, ExtensionDecided) and not refused.approved
    session.refresh(task)
    assert (task.deadline, task.original_deadline) == (first + timedelta(days=5), first)
    third = request_extension(session, org.staff_a1, task.id, first + timedelta(days=9), "Lần nữa", now=T0)
    assert isinstance(third, ExtensionRequested)
    assert isinstance(decide_extension(session, org.admin, third.request.id, True, now=T0), ExtensionDecided)
    session.refresh(task)
    assert (task.deadline, task.original_deadline) == (first + timedelta(days=9), first)
    states = session.scalars(select(ExtensionRequest.status).order_by(ExtensionRequest.id)).all()
    assert states == ["approved", "rejected", "approved"]


def test_products_are_stored_by_content_hash_with_limits(
    session: Session, org: Org, task: Task, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    for item, words in (
        (ProductItem("file", "bao-cao.exe", PDF), "chỉ nhận văn bản"),
        (ProductItem("file", "bao-cao.pdf", b"MZ\x90\x00"), "chương trình"),
        (ProductItem("file", "lon.pdf", b"%PDF" + b"0" * MAX_PRODUCT_BYTES), "tối đa 20 MB"),
        (ProductItem("file", "rong.pdf", b""), "rỗng"),
        (ProductItem("link", text="ftp://x"), "không hợp lệ"),
        (ProductItem("text", text="   "), "để trống"),
    ):
        refused = submit_product(session, org.staff_a1, task.id, [item], data_dir, now=T0)
        assert isinstance(refused, Refused) and words in refused.reason, item.name
    assert not data_dir.exists() and session.scalar(select(func.count()).select_from(TaskProduct)) == 0
    assert isinstance(
        submit_product(session, org.staff_a, task.id, [ProductItem("text", text="x")], data_dir), Refused
    )
    items = [
        ProductItem("file", "Báo cáo KL 221.pdf", PDF, mime_type="application/pdf"),
        ProductItem("photo", "", b"\xff\xd8\xff\xe0 anh"),
        ProductItem("link", text="https://drive.example.vn/bc221"),
    ]
    handed = submit_product(session, org.staff_a1, task.id, items, data_dir, now=T0)
    assert isinstance(handed, ProductSubmitted) and handed.notify == [org.leader_a]
    sha = hashlib.sha256(PDF).hexdigest()
    first = handed.products[0]
    assert (first.kind, first.size, first.sha256, first.path) == (
        "file",
        len(PDF),
        sha,
        f"products/{sha[:2]}/{sha}.pdf",
    )
    assert (data_dir / first.path).read_bytes() == PDF
    assert handed.products[1].name == "Ảnh" and handed.products[1].path.endswith(".jpg")
    assert handed.products[2].body == "https://drive.example.vn/bc221"
    session.refresh(task)
    assert task.status == TaskStatus.CHO_DUYET and task.submitted_on == TODAY
    more = submit_product(session, org.staff_a1, task.id, [ProductItem("file", "ban-sao.pdf", PDF)], data_dir,
                          now=T0 + timedelta(days=2))  # fmt: skip
    assert isinstance(more, ProductSubmitted) and more.products[0].path == first.path  # stored once
    session.refresh(task)
    assert task.submitted_on == TODAY  # the first hand-in date counts


def test_review_accepts_with_the_hand_in_date_or_sends_back(
    session: Session, org: Org, task: Task, tmp_path: Path
) -> None:
    handed_at = T0 + timedelta(days=2)
    submit_product(session, org.staff_a1, task.id, [ProductItem("text", text="Đã báo cáo bằng văn bản số 12/BC")],
                   tmp_path, now=handed_at)  # fmt: skip
    for wrong in (org.leader_b, org.staff_a, org.staff_a1):
        assert isinstance(review_product(session, wrong, task.id, "đạt", now=handed_at), Refused)
    assert isinstance(review_product(session, org.leader_a, task.id, "tốt", now=handed_at), Refused)
    back = review_product(session, org.leader_a, task.id, "Chưa đạt", "Thiếu số liệu quý IV", now=handed_at)
    assert isinstance(back, ProductReviewed) and not back.accepted and back.notify == [org.staff_a1]
    session.refresh(task)
    assert (task.status, task.submitted_on) == (TaskStatus.DANG_THUC_HIEN, None)
    product = session.scalars(select(TaskProduct)).one()
    assert (product.verdict, product.review_comment, product.reviewer_id) == (
        "chua_dat", "Thiếu số liệu quý IV", org.leader_a.id
    )  # fmt: skip
    assert isinstance(review_product(session, org.leader_a, task.id, "đạt", now=handed_at), Refused)
    submit_product(session, org.staff_a1, task.id, [ProductItem("text", text="Bổ sung số liệu")], tmp_path,
                   now=handed_at + timedelta(days=1))  # fmt: skip
    ok = review_product(session, org.admin, task.id, "dat", now=handed_at + timedelta(days=6))
    assert isinstance(ok, ProductReviewed) and ok.accepted
    session.refresh(task)
    assert task.status == TaskStatus.HOAN_THANH and task.progress == 100
    assert task.completed_on == TODAY + timedelta(days=3)  # when it was handed in, not when it was judged
    verdicts = session.scalars(select(TaskProduct.verdict).order_by(TaskProduct.id)).all()
    assert verdicts == ["chua_dat", "dat"]


def test_a_review_waiting_more_than_three_working_days_is_the_approvers(
    session: Session, org: Org, task: Task, tmp_path: Path
) -> None:
    handed = date(2026, 11, 2)  # Monday
    task.deadline = handed
    session.commit()
    submit_product(session, org.staff_a1, task.id, [ProductItem("text", text="Báo cáo")], tmp_path,
                   now=T0 + timedelta(days=1))  # fmt: skip
    assert waiting_reviews(session, date(2026, 11, 5), CAL) == []  # 3 working days: still on time
    flagged = waiting_reviews(session, date(2026, 11, 6), CAL)
    assert [(w.task.code, w.approvers, w.working_days) for w in flagged] == [(task.code, [org.leader_a], 4)]
    assert waiting_reviews(session, date(2026, 11, 6), CAL, approver=org.leader_b) == []
    assert len(waiting_reviews(session, date(2026, 11, 6), CAL, approver=org.leader_a)) == 1
    session.refresh(task)
    assert not task.is_overdue(date(2026, 11, 20))  # handed in by the deadline: not the official's delay
