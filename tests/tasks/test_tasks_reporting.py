"""Progress reports: numbers on a hand-made tree (done on time, done late, overdue, roll-up), names, speed."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import bindparam, insert, text
from sqlalchemy.orm import Session

from tasks.db import Database
from tasks.errors import UnitNotFound
from tasks.models import Official, Task, Unit, UTCDateTime
from tasks.normalize import Role, TaskStatus
from tasks.reporting import ALL_UNITS, unit_report
from tests.db_fixtures import T0, Org
from tests.tasks.test_tasks_access import make_task

TODAY = date(2026, 11, 22)
KEYS = {"unit", "total", "done", "done_on_time", "in_progress", "overdue", "completion_rate", "units"}


def add(
    session: Session, org: Org, unit: Unit, deadline: date, status: TaskStatus, completed: date | None = None
):
    task = make_task(session, f"T{len(session.new) + session.query(Task).count()}", org.staff_a, unit)
    task.deadline, task.status, task.completed_on = deadline, status, completed
    task.progress = 100 if status == TaskStatus.HOAN_THANH else 50
    session.flush()
    return task


@pytest.fixture
def tree(session: Session, org: Org) -> Org:
    past, future = TODAY - timedelta(days=10), TODAY + timedelta(days=10)
    # Phòng A1: done on time, done late, overdue, in progress (deadline today is not overdue)
    add(session, org, org.phong_a1, past, TaskStatus.HOAN_THANH, past)
    add(session, org, org.phong_a1, past, TaskStatus.HOAN_THANH, past + timedelta(days=3))
    add(session, org, org.phong_a1, past, TaskStatus.DANG_THUC_HIEN)
    add(session, org, org.phong_a1, TODAY, TaskStatus.CHUA_BAT_DAU)
    # Sở A itself: paused but overdue, and done early
    add(session, org, org.so_a, past, TaskStatus.TAM_DUNG)
    add(session, org, org.so_a, future, TaskStatus.HOAN_THANH, TODAY)
    # Xã B: one in progress
    add(session, org, org.xa_b, future, TaskStatus.DANG_THUC_HIEN)
    session.commit()
    return org


def test_report_of_the_whole_tree(session: Session, tree: Org) -> None:
    report = unit_report(session, today=TODAY).to_dict()
    assert report["unit"] == ALL_UNITS
    assert [u["unit"] for u in report["units"]] == ["UBND tỉnh Thử Nghiệm"]
    tinh = report["units"][0]
    assert {k: tinh[k] for k in KEYS - {"units", "unit"}} == {
        "total": 7, "done": 3, "done_on_time": 2, "overdue": 2, "in_progress": 2, "completion_rate": round(3 / 7, 4),
    }  # fmt: skip
    so_a, xa_b = tinh["units"]
    assert (so_a["unit"], xa_b["unit"]) == ("Sở Nội vụ", "UBND xã Hợp Tiến")
    assert (so_a["total"], so_a["done"], so_a["done_on_time"], so_a["overdue"], so_a["in_progress"]) == (
        6,
        3,
        2,
        2,
        1,
    )
    # Sở Nội vụ leads 2 tasks itself and has a child unit: its own tasks are a row of their own, first.
    direct, phong = so_a["units"]
    assert direct == {
        "unit": "Sở Nội vụ (trực tiếp)", "direct": True, "total": 2, "done": 1, "done_on_time": 1, "in_progress": 0,
        "overdue": 1, "completion_rate": 0.5, "units": [],
    }  # fmt: skip
    assert list(direct)[:2] == ["unit", "direct"]
    assert (phong["total"], phong["done"], phong["done_on_time"], phong["overdue"], phong["in_progress"]) == (
        4,
        2,
        1,
        1,
        1,
    )
    assert phong["completion_rate"] == 0.5 and phong["units"] == []
    assert (xa_b["total"], xa_b["in_progress"], xa_b["completion_rate"]) == (1, 1, 0.0)
    assert report["total"] == 7

    def check_keys(node: dict) -> None:
        assert set(node) - {"direct"} == KEYS
        for child in node["units"]:
            check_keys(child)

    check_keys(report)


def test_report_for_one_unit_by_loose_name(session: Session, tree: Org) -> None:
    for name in ("Sở Nội vụ", "SỞ NỘI VỤ", "so noi vu", "Sở NV"):
        report = unit_report(session, name, today=TODAY)
        assert (report.unit, report.total, report.overdue) == ("Sở Nội vụ", 6, 2)
        assert [u.unit for u in report.units] == ["Sở Nội vụ (trực tiếp)", "Phòng Công chức - Sở Nội vụ"]
        assert [u.direct for u in report.units] == [True, False]
    assert unit_report(session, tree.xa_b, today=TODAY).total == 1


def test_overdue_depends_on_today(session: Session, tree: Org) -> None:
    later = unit_report(session, "UBND xã Hợp Tiến", today=TODAY + timedelta(days=11))
    assert (later.overdue, later.in_progress) == (1, 0)


def test_unknown_unit_suggests_close_names(session: Session, tree: Org) -> None:
    with pytest.raises(UnitNotFound) as caught:
        unit_report(session, "Sở Nội", today=TODAY)
    assert "Sở Nội vụ" in caught.value.suggestions
    assert "Có phải ý bạn là" in str(caught.value)
    with pytest.raises(UnitNotFound) as caught:
        unit_report(session, "xa hop tienn", today=TODAY)
    assert caught.value.suggestions == ["UBND xã Hợp Tiến"]


def test_empty_database_report(session: Session) -> None:
    report = unit_report(session, today=TODAY)
    assert (report.unit, report.total, report.completion_rate, report.units) == (ALL_UNITS, 0, 0.0, [])


def _generate_tasks(db: Database, n: int) -> None:
    """Insert `n` tasks generated inside the database (a recursive CTE): the ORM would take ~20 s."""
    if db.engine.dialect.name == "sqlite":
        deadline, completed = "date(:today, (n % 61 - 30) || ' days')", "date(:today, (-(n % 7)) || ' days')"
    else:
        deadline, completed = "CAST(:today AS date) + (n % 61 - 30)", "CAST(:today AS date) - (n % 7)"
    sql = text(
        f"""
        WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :last)
        INSERT INTO tasks (code, content, assignee_id, lead_unit_id, deadline, product, assigned_by, status,
                           progress, completed_on, created_at, updated_at, updated_via, progress_updated_at,
                           progress_updated_via)
        SELECT 'N' || n, 'Việc', 1, 1 + n % 500, {deadline}, 'P', 'A',
               CASE n % 4 WHEN 0 THEN 'chua_bat_dau' WHEN 1 THEN 'dang_thuc_hien' WHEN 2 THEN 'hoan_thanh'
                          ELSE 'tam_dung' END,
               CASE WHEN n % 4 = 2 THEN 100 ELSE 0 END,
               CASE WHEN n % 4 = 2 THEN {completed} END,
               :t0, :t0, 'import', :t0, 'import'
        FROM seq
        """
    ).bindparams(bindparam("t0", T0, type_=UTCDateTime()))
    with db.engine.begin() as conn:
        conn.execute(sql, {"last": n - 1, "today": TODAY.isoformat()})


@pytest.mark.parametrize(
    "db", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_report_scales_to_100k_tasks_in_500_units(db: Database) -> None:
    with db.session() as session:
        session.execute(insert(Unit), [{"id": 1, "name": "Tỉnh", "name_folded": "tinh", "created_at": T0}])
        session.execute(
            insert(Unit),
            [
                {
                    "id": i,
                    "name": f"Đơn vị {i}",
                    "name_folded": f"don vi {i}",
                    "parent_id": 1 + (i - 2) // 20,
                    "created_at": T0,
                }
                for i in range(2, 501)
            ],
        )
        session.execute(
            insert(Official),
            [{"id": 1, "code": "X", "full_name": "X", "unit_id": 1, "role": Role.CAN_BO, "active": True,
              "created_at": T0, "updated_at": T0}],
        )  # fmt: skip
        session.commit()
    _generate_tasks(db, 100_000)
    with db.session() as session:
        start = time.perf_counter()
        report = unit_report(session, today=TODAY)
        elapsed = time.perf_counter() - start
    assert report.total == 100_000 and report.done == 25_000
    assert report.done_on_time + report.overdue > 0
    assert report.units[0].total == 100_000 and len([u for u in report.units[0].units if not u.direct]) == 20
    assert elapsed < 1.0, f"report took {elapsed:.2f}s"
