"""KPI: the per-task rule, SQL aggregates = the rule in Python on both backends, roll-up up the tree."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from tasks.kpi import KpiParts, format_kpi, official_kpi, official_kpis, task_points, unit_kpis
from tasks.models import Official, Unit
from tasks.normalize import TaskStatus
from tests.db_fixtures import Org
from tests.tasks.test_tasks_reminders import add_task

TODAY = date(2026, 11, 22)
DONE, OPEN, PAUSED = TaskStatus.HOAN_THANH, TaskStatus.DANG_THUC_HIEN, TaskStatus.TAM_DUNG


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def build_work(session: Session, org: Org) -> Org:
    """Tasks with known outcomes (codes say what they are), used by the KPI, report and answer tests.

    Phòng A1 (staff_a1): on time, 7 days late, overdue 10 days, due in 2 days.
    Sở A (staff_a): overdue 45 days (paused), done without a date, 40 days late; leader_a: due tomorrow.
    Xã B (staff_b): due in 5 days, on time.
    """
    spec = [
        ("A1-ONTIME", org.staff_a1, org.phong_a1, days(-10), DONE, days(-12), 100),
        ("A1-LATE7", org.staff_a1, org.phong_a1, days(-20), DONE, days(-13), 100),
        ("A1-OVER10", org.staff_a1, org.phong_a1, days(-10), OPEN, None, 40),
        ("A1-SOON2", org.staff_a1, org.phong_a1, days(2), OPEN, None, 10),
        ("A-OVER45", org.staff_a, org.so_a, days(-45), PAUSED, None, 20),
        ("A-NODATE", org.staff_a, org.so_a, days(-5), DONE, None, 100),
        ("A-LATE40", org.staff_a, org.so_a, days(-50), DONE, days(-10), 100),
        ("A-LEADER1", org.leader_a, org.so_a, days(1), OPEN, None, 0),
        ("B-SOON5", org.staff_b, org.xa_b, days(5), OPEN, None, 30),
        ("B-ONTIME", org.staff_b, org.xa_b, days(-3), DONE, days(-3), 100),
    ]
    for code, who, unit, deadline, status, completed, progress in spec:
        add_task(session, code, who, deadline, unit, status=status, completed_on=completed, progress=progress,
                 content=f"Nhiệm vụ {code}")  # fmt: skip
    return org


@pytest.fixture
def work(session: Session, org: Org) -> Org:
    return build_work(session, org)


@pytest.mark.parametrize(
    ("status", "deadline", "completed", "points"),
    [
        (DONE, days(-5), days(-5), 1.0),  # on the deadline day = on time
        (DONE, days(-5), days(-6), 1.0),
        (DONE, days(-30), days(-15), 0.25),  # 15 days late: half of 0.5
        (DONE, days(-60), days(-10), 0.0),  # 50 days late: nothing
        (DONE, days(-5), None, 0.5),
        (OPEN, days(-15), None, -0.25),  # 15 days overdue: half of the penalty
        (PAUSED, days(-100), None, -0.5),  # capped
        (OPEN, TODAY, None, 0.0),  # due today: not overdue yet
        (OPEN, days(3), None, 0.0),
    ],
)
def test_points_of_one_task(
    status: TaskStatus, deadline: date, completed: date | None, points: float
) -> None:
    assert task_points(status, deadline, completed, TODAY) == pytest.approx(points)


def test_score_is_clamped_and_undefined_without_judged_tasks() -> None:
    assert KpiParts().score is None and format_kpi(None) == "—"
    assert KpiParts(judged=2, overdue=2, points=-1.0).score == 0.0
    assert KpiParts(judged=3, on_time=2, late=1, points=2.5).score == 83.3
    assert format_kpi(83.3) == "83,3" and format_kpi(100.0) == "100"


def test_unit_and_official_kpis_from_sql(session: Session, work: Org) -> None:
    kpis = unit_kpis(session, TODAY)
    phong = kpis[work.phong_a1.id]
    # on time 1 + late 7 days 0.5·(23/30) − overdue 10 days 0.5·(10/30); judged 3 (the task due in 2 days is not)
    assert (phong.judged, phong.on_time, phong.late, phong.overdue) == (3, 1, 1, 1)
    assert phong.points == pytest.approx(1 + 0.5 * 23 / 30 - 0.5 * 10 / 30)
    so_a = kpis[work.so_a.id]  # its own three judged tasks + Phòng A1's
    assert (so_a.judged, so_a.on_time, so_a.late, so_a.overdue) == (6, 1, 2, 2)
    assert so_a.undated == 1  # done without a date: neither on time nor late
    assert so_a.points == pytest.approx(phong.points - 0.5 + 0.5 + 0.0)
    assert so_a.score == round(100 * so_a.points / 6, 1)
    everything = kpis[None]
    assert everything.judged == kpis[work.tinh.id].judged == 7
    assert kpis[work.xa_b.id].score == 100.0
    staff_a1 = official_kpi(session, work.staff_a1.id, TODAY)
    assert staff_a1.points == pytest.approx(phong.points)
    leader = official_kpi(session, work.leader_a.id, TODAY)
    assert (leader.judged, leader.score) == (0, None)
    ranked = official_kpis(session, TODAY)
    assert [k.code for k in ranked][:1] == ["SB01"] and {k.code for k in ranked} == {
        "SA11",
        "SA01",
        "LA01",
        "SB01",
    }
    only_b = official_kpis(session, TODAY, unit_ids=[work.xa_b.id])
    assert [(k.code, k.total, k.score) for k in only_b] == [("SB01", 2, 100.0)]


def test_sql_aggregates_equal_the_rule_in_python(session: Session, org: Org) -> None:
    rng = random.Random(7)
    people = [org.staff_a, org.staff_a1, org.staff_b]
    expected: dict[int, float] = {}
    for i in range(120):
        who = rng.choice(people)
        deadline = days(rng.randint(-90, 30))
        status = rng.choice([DONE, DONE, OPEN, PAUSED, TaskStatus.CHUA_BAT_DAU])
        completed = (
            deadline + timedelta(days=rng.randint(-10, 60)) if status == DONE and rng.random() > 0.1 else None
        )
        add_task(session, f"R{i}", who, deadline, status=status, completed_on=completed)
        expected[who.id] = expected.get(who.id, 0.0) + task_points(status, deadline, completed, TODAY)
    for who in people:
        assert official_kpi(session, who.id, TODAY).points == pytest.approx(expected[who.id])


def test_units_of_any_depth_roll_up(session: Session, org: Org) -> None:
    parent: Unit = org.phong_a1
    for depth in range(30):  # a deep chain must not hit a recursion limit
        parent = Unit(name=f"Tổ {depth}", parent=parent)
    session.add(parent)
    someone = Official(code="DEEP", full_name="Người ở sâu", unit=parent)
    session.add(someone)
    session.commit()
    add_task(session, "DEEP-1", someone, days(-3), status=DONE, completed_on=days(-4))
    kpis = unit_kpis(session, TODAY)
    assert kpis[org.tinh.id].judged == kpis[parent.id].judged == 1
