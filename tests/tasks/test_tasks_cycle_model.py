"""Data model of the "6 rõ" cycle (migration 0004_cycle): the status chờ duyệt, the first deadline, products,
extension requests and the dialogue store shared by processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tasks.db import Database, current_revision, downgrade, head_revision, make_engine, upgrade
from tasks.dialogue_state import DialogueStore, conversation_key
from tasks.kpi import task_points
from tasks.models import ExtensionRequest, Task, TaskProduct, overdue_condition
from tasks.normalize import TaskStatus, parse_status
from tests.db_fixtures import T0, Org, SheetWriter

TODAY = date(2026, 11, 1)
SEED = [
    "INSERT INTO units (id, name, name_folded, created_at) VALUES (1, 'U', 'u', :t)",
    "INSERT INTO officials (id, code, full_name, unit_id, role, active, created_at, updated_at) "
    "VALUES (1, 'A', 'A', 1, 'can_bo', true, :t, :t)",
    "INSERT INTO tasks (id, code, content, assignee_id, lead_unit_id, deadline, product, assigned_by, status, "
    "progress, created_at, updated_at, updated_via, progress_updated_at, progress_updated_via) VALUES "
    "(1, 'NV-1', 'x', 1, 1, '2026-12-01', 'p', 'a', 'dang_thuc_hien', 0, :t, :t, 'cli', :t, 'cli')",
    "INSERT INTO reminders (task_id, official_id, kind, deadline, due_at, next_attempt_at, attempts, created_at) "
    "VALUES (1, 1, 'due_day', '2026-12-01', :t, :t, 0, :t)",
]


def test_the_status_waiting_for_review_is_parsed_and_labelled() -> None:
    for text_ in ("chờ duyệt", "Cho duyet", "cho_duyet", "CHỜ PHÊ DUYỆT", "đã nộp"):
        assert parse_status(text_) == TaskStatus.CHO_DUYET
    assert TaskStatus.CHO_DUYET.label == "chờ duyệt"


def test_migration_keeps_reminders_and_round_trips(empty_db_url: str) -> None:
    """Upgrading copies `tasks` on SQLite (CHECK change): the reminders referencing it must survive; a task
    waiting for review goes back to "đang thực hiện" on downgrade."""
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0003_reliability")
        with engine.begin() as conn:
            for sql in SEED:
                conn.execute(text(sql), {"t": T0})
        upgrade(engine, "0004_cycle")
        assert current_revision(engine) == "0004_cycle" and head_revision() is not None
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM reminders")).scalar() == 1
            conn.execute(
                text("UPDATE tasks SET status = 'cho_duyet', submitted_on = '2026-11-20' WHERE id = 1")
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE tasks SET status = 'khong_ro' WHERE id = 1"))
        assert {"task_products", "extension_requests", "dialogue_states"} <= set(
            inspect(engine).get_table_names()
        )
        downgrade(engine, "0003_reliability")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT status FROM tasks WHERE id = 1")).scalar() == "dang_thuc_hien"
            assert conn.execute(text("SELECT count(*) FROM reminders")).scalar() == 1
        columns = {c["name"] for c in inspect(engine).get_columns("tasks")}
        assert not {"original_deadline", "assigner_official_id", "submitted_on"} & columns
        assert "task_products" not in inspect(engine).get_table_names()
        upgrade(engine, "0004_cycle")
        assert current_revision(engine) == "0004_cycle"
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def _task(org: Org, code: str, deadline: date, status: TaskStatus, submitted_on: date | None = None) -> Task:
    return Task(
        code=code, content="Báo cáo", assignee=org.staff_a, lead_unit=org.so_a, deadline=deadline, product="BC",
        assigned_by="GĐ", status=status, submitted_on=submitted_on, created_at=T0, updated_at=T0,
        progress_updated_at=T0,
    )  # fmt: skip


def test_a_product_handed_in_by_the_deadline_is_not_overdue_while_it_waits(
    session: Session, org: Org
) -> None:
    late = date(2026, 10, 20)
    tasks = [
        _task(org, "ON-TIME", late, TaskStatus.CHO_DUYET, submitted_on=late),
        _task(org, "HANDED-LATE", late, TaskStatus.CHO_DUYET, submitted_on=late + timedelta(days=3)),
        _task(org, "NO-DATE", late, TaskStatus.CHO_DUYET),
        _task(org, "OPEN", late, TaskStatus.DANG_THUC_HIEN),
        _task(org, "FUTURE", TODAY + timedelta(days=3), TaskStatus.CHO_DUYET, submitted_on=TODAY),
    ]
    session.add_all(tasks)
    session.commit()
    in_sql = set(session.scalars(select(Task.code).where(overdue_condition(TODAY))))
    in_python = {t.code for t in tasks if t.is_overdue(TODAY)}
    assert in_sql == in_python == {"HANDED-LATE", "NO-DATE", "OPEN"}
    assert task_points(TaskStatus.CHO_DUYET, late, None, TODAY, submitted_on=late) == 0.0
    assert task_points(TaskStatus.CHO_DUYET, late, None, TODAY, submitted_on=late + timedelta(days=1)) < 0


def test_one_pending_extension_per_task(session: Session, org: Org) -> None:
    task = _task(org, "EXT", date(2026, 12, 1), TaskStatus.DANG_THUC_HIEN)
    session.add(task)
    session.commit()

    def request(status: str = "pending") -> ExtensionRequest:
        return ExtensionRequest(
            task=task, requested_by=org.staff_a, old_deadline=task.deadline,
            requested_deadline=date(2026, 12, 15), reason="Chờ số liệu", status=status, created_at=T0,
        )  # fmt: skip

    session.add_all([request("rejected"), request()])
    session.commit()
    session.add(request())
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    product = TaskProduct(task=task, kind="movie", name="x", submitted_by=org.staff_a, submitted_at=T0)
    session.add(product)
    with pytest.raises(IntegrityError):
        session.commit()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_dialogue_store_get_put_pop_expire(db: Database) -> None:
    clock = Clock(T0)
    store = DialogueStore(db.sessions, clock)
    key = conversation_key(-100123, 42)
    assert key == "chat:-100123:user:42" and store.get(key) is None
    store.put(key, "giaoviec", {"step": "content", "assignee": "SA01"}, ttl=timedelta(minutes=10))
    store.put(key, "giaoviec", {"step": "deadline", "assignee": "SA01", "content": "Báo cáo"})
    other = DialogueStore(db.sessions, clock)  # another process: same database, nothing in memory
    found = other.get(key, "giaoviec")
    assert found is not None and found.data == {"step": "deadline", "assignee": "SA01", "content": "Báo cáo"}
    assert other.get(key, "giahan") is None
    assert other.pop(key, "giahan") is None and store.get(key) is not None
    assert store.pop(key) == found and store.pop(key) is None
    store.put(key, "giahan", {"task": 7}, ttl=timedelta(minutes=5))
    store.put("chat:1:user:1", "nopsanpham", [1, 2], ttl=timedelta(hours=1))
    clock.now = T0 + timedelta(minutes=6)
    assert store.get(key) is None and store.pop(key) is None  # expired: as good as absent
    assert store.keys() == ["chat:1:user:1"]
    assert store.expire() == 1
    with db.session() as session:
        assert session.scalar(text("SELECT count(*) FROM dialogue_states")) == 1


def test_only_one_process_pops_a_dialogue(db: Database) -> None:
    """Two processes handling the same final step: exactly one gets the state."""
    stores = [DialogueStore(db.sessions) for _ in range(4)]
    for round_ in range(5):
        key = f"chat:5:user:{round_}"
        stores[0].put(key, "giaoviec", {"round": round_})
        barrier = threading.Barrier(len(stores))
        got: list[object] = []

        def pop(
            store: DialogueStore, key: str = key, barrier: threading.Barrier = barrier, got: list = got
        ) -> None:
            barrier.wait()
            got.append(store.pop(key))

        threads = [threading.Thread(target=pop, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len([g for g in got if g is not None]) == 1


def test_an_imported_assigner_that_is_an_official_code_is_linked(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    from tasks import columns as C
    from tasks.importing import import_tasks

    rows = [
        ["NV-A", "Rà soát", "SA01", "Sở Nội vụ", "15/12/2026", "Báo cáo", "la01", None, None, None, None],
        ["NV-B", "Sắp xếp", "SA01", "Sở Nội vụ", "15/12/2026", "Đề án", "Chủ tịch UBND tỉnh", None, None, None, None],
        ["NV-C", "Tổng hợp", "SA01", "Sở Nội vụ", "15/12/2026", "Báo cáo", "XX99", None, "chờ duyệt", None, None],
    ]  # fmt: skip
    report = import_tasks(session, write_sheet("nv.xlsx", C.TASK_HEADERS, rows), now=T0)
    assert report.ok, report.errors
    tasks = {t.code: t for t in session.scalars(select(Task))}
    assert tasks["NV-A"].assigner_official_id == org.leader_a.id and tasks["NV-A"].assigned_by == "la01"
    assert tasks["NV-B"].assigner_official_id is None and tasks["NV-B"].assigned_by == "Chủ tịch UBND tỉnh"
    assert tasks["NV-C"].assigner_official_id is None and tasks["NV-C"].status == TaskStatus.CHO_DUYET
    # a later sheet with the text instead of the code does not unlink the official
    rows[0][6] = "Giám đốc Sở Nội vụ"
    assert import_tasks(
        session, write_sheet("nv2.xlsx", C.TASK_HEADERS, rows), now=T0 + timedelta(hours=1)
    ).ok
    session.refresh(tasks["NV-A"])
    assert tasks["NV-A"].assigner_official_id == org.leader_a.id
    rows[1][6] = "LB01"
    assert import_tasks(
        session, write_sheet("nv3.xlsx", C.TASK_HEADERS, rows), now=T0 + timedelta(hours=2)
    ).ok
    session.refresh(tasks["NV-B"])
    assert tasks["NV-B"].assigner_official_id == org.leader_b.id
