"""Operations the bot calls: listing my tasks, reporting progress, completing; permission and audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.feedback import rate, record_answer
from tasks.models import AuditLog, Feedback, Task
from tasks.normalize import TaskStatus, Via
from tasks.service import (
    complete_task,
    get_official_by_telegram,
    get_task,
    my_open_tasks,
    set_progress,
    visible_tasks,
)
from tests.db_fixtures import T0, Org
from tests.tasks.test_tasks_access import make_task


def test_get_official_by_telegram(session: Session, org: Org) -> None:
    org.staff_a.telegram_user_id = 111
    session.commit()
    assert get_official_by_telegram(session, 111) is org.staff_a
    assert get_official_by_telegram(session, 222) is None
    org.staff_a.active = False
    session.commit()
    assert get_official_by_telegram(session, 111) is None


def test_my_open_tasks_earliest_deadline_first_and_paged(session: Session, org: Org) -> None:
    deadlines = [
        date(2026, 12, 1),
        date(2026, 10, 1),
        date(2027, 1, 15),
        date(2026, 11, 20),
        date(2026, 9, 5),
    ]
    for n, deadline in enumerate(deadlines):
        make_task(session, f"T{n}", org.staff_a, org.so_a).deadline = deadline
    done = make_task(session, "DONE", org.staff_a, org.so_a)
    done.status, done.progress, done.completed_on = TaskStatus.HOAN_THANH, 100, date(2026, 10, 1)
    make_task(session, "OTHER", org.staff_b, org.xa_b)
    session.commit()

    first = my_open_tasks(session, org.staff_a, page=1, page_size=2)
    assert [t.code for t in first.items] == ["T4", "T1"]  # overdue first: 05/09, 01/10
    assert (first.total, first.page_count, first.has_next) == (5, 3, True)
    last = my_open_tasks(session, org.staff_a, page=3, page_size=2)
    assert [t.code for t in last.items] == ["T2"] and not last.has_next
    assert last.items[0].lead_unit.name == "Sở Nội vụ"


def test_visible_tasks_for_a_leader(session: Session, org: Org) -> None:
    make_task(session, "A", org.staff_a1, org.phong_a1)
    make_task(session, "B", org.staff_b, org.xa_b)
    session.commit()
    assert [t.code for t in visible_tasks(session, org.leader_a).items] == ["A"]
    assert {t.code for t in visible_tasks(session, org.admin).items} == {"A", "B"}
    assert visible_tasks(session, None).total == 0


def test_set_progress_audits_and_starts_the_task(session: Session, org: Org) -> None:
    task = make_task(session, "T1", org.staff_a1, org.phong_a1)
    session.commit()
    when = T0 + timedelta(hours=3)
    updated = set_progress(session, org.staff_a1, task.id, "40%", now=when)
    assert (updated.progress, updated.status) == (40, TaskStatus.DANG_THUC_HIEN)
    assert (updated.updated_via, updated.updated_at, updated.progress_updated_at) == (Via.BOT, when, when)
    rows = session.scalars(select(AuditLog).where(AuditLog.entity_key == "T1").order_by(AuditLog.field)).all()
    assert [(a.actor, a.via, a.field, a.old, a.new, a.at) for a in rows] == [
        ("SA11", "bot", "progress", "0", "40", when),
        ("SA11", "bot", "status", "chua_bat_dau", "dang_thuc_hien", when),
    ]


def test_leader_may_update_a_subtree_task(session: Session, org: Org) -> None:
    task = make_task(session, "T1", org.staff_a1, org.phong_a1)
    session.commit()
    assert set_progress(session, org.leader_a, task.id, 70, via="cli", now=T0).progress == 70
    audits = session.scalars(select(AuditLog)).all()
    assert {(a.actor, a.via, a.field) for a in audits} == {
        ("LA01", "cli", "progress"),
        ("LA01", "cli", "status"),
    }
    assert session.get(Task, task.id).updated_via == Via.CLI


@pytest.mark.parametrize("intruder", ["staff_b", "leader_b", "staff_a", None])
def test_forged_change_is_refused_and_audited(intruder: str | None, session: Session, org: Org) -> None:
    task = make_task(session, "T1", org.staff_a1, org.phong_a1)
    session.commit()
    actor = getattr(org, intruder) if intruder else None
    with pytest.raises(PermissionDenied, match="không có quyền"):
        set_progress(session, actor, task.id, 90, now=T0)
    with pytest.raises(PermissionDenied):
        complete_task(session, actor, task.id, "Giả mạo", now=T0)
    session.expire_all()
    task = session.get(Task, task.id)
    assert (task.progress, task.status) == (0, TaskStatus.CHUA_BAT_DAU)
    refused = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(a.actor, a.field, a.new) for a in refused] == [
        (actor.code if actor else "unlinked", "progress", "90"),
        (actor.code if actor else "unlinked", "status", "hoan_thanh"),
    ]
    assert all(a.note and a.note.startswith("Từ chối") for a in refused)


def test_complete_task(session: Session, org: Org) -> None:
    task = make_task(session, "T1", org.staff_a, org.so_a)
    session.commit()
    done = complete_task(session, org.staff_a, task.id, "  Đã ban hành Quyết định 12/QĐ-UBND ", now=T0)
    assert (done.status, done.progress, done.completed_on) == (TaskStatus.HOAN_THANH, 100, date(2026, 11, 1))
    assert done.result_note == "Đã ban hành Quyết định 12/QĐ-UBND"
    fields = set(session.scalars(select(AuditLog.field)))
    assert fields == {"status", "progress", "completed_on", "result_note"}
    with pytest.raises(InvalidOperation, match="đã hoàn thành"):
        complete_task(session, org.staff_a, task.id, "lần hai", now=T0)
    with pytest.raises(InvalidOperation, match="đã hoàn thành"):
        set_progress(session, org.staff_a, task.id, 50, now=T0)


def test_complete_uses_the_local_date(session: Session, org: Org) -> None:
    task = make_task(session, "T1", org.staff_a, org.so_a)
    session.commit()
    # 18:30 UTC on 1 November is already 2 November in Hà Nội
    done = complete_task(session, org.staff_a, task.id, None, now=T0.replace(hour=18, minute=30))
    assert done.completed_on == date(2026, 11, 2)


def test_bad_progress_and_missing_task(session: Session, org: Org) -> None:
    task = make_task(session, "T1", org.staff_a, org.so_a)
    session.commit()
    with pytest.raises(InvalidOperation, match="0–100"):
        set_progress(session, org.staff_a, task.id, 150)
    with pytest.raises(NotFound):
        set_progress(session, org.staff_a, 99999, 10)
    with pytest.raises(PermissionDenied):
        get_task(session, org.staff_b, task.id)
    assert get_task(session, org.staff_a, task.id) is task


def test_feedback_is_stored_and_rated(session: Session) -> None:
    row = record_answer(
        session, question="Kết luận 221 ban hành ngày nào?", answer="Ngày 28/11/2025.",
        sources=[{"source": "kl-221-KL-TW-2025-11-28.md"}], telegram_user_id=5, chat_id=5, now=T0,
    )  # fmt: skip
    assert row.rating is None
    rate(session, row.token, -1)
    rate(session, row.token, 1)
    session.expire_all()
    stored = session.get(Feedback, row.id)
    assert (stored.rating, stored.sources, stored.at) == (1, [{"source": "kl-221-KL-TW-2025-11-28.md"}], T0)
    with pytest.raises(ValueError, match="👍"):
        rate(session, row.token, 5)
