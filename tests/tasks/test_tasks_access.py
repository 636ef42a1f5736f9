"""The access matrix: official / leader / admin / unlinked × own / subtree / other-unit tasks."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tasks.access import (
    can_change_task,
    can_view_task,
    can_view_unit,
    unit_subtree_ids,
    visible_tasks_query,
)
from tasks.models import Official, Task, Unit
from tests.db_fixtures import T0, Org


def make_task(session: Session, code: str, assignee: Official, unit: Unit) -> Task:
    task = Task(
        code=code, content=f"Việc {code}", assignee=assignee, lead_unit=unit, deadline=date(2026, 12, 31),
        product="Báo cáo", assigned_by="Chủ tịch UBND tỉnh", created_at=T0, updated_at=T0, progress_updated_at=T0,
    )  # fmt: skip
    session.add(task)
    return task


@pytest.fixture
def tasks(session: Session, org: Org) -> dict[str, Task]:
    """One task per situation, named by who holds it and which unit leads it."""
    made = {
        "staff_a1@phong_a1": make_task(session, "T1", org.staff_a1, org.phong_a1),
        "staff_a@so_a": make_task(session, "T2", org.staff_a, org.so_a),
        "staff_b@xa_b": make_task(session, "T3", org.staff_b, org.xa_b),
        # assignee inside Sở A's subtree, but led by Xã B
        "staff_a1@xa_b": make_task(session, "T4", org.staff_a1, org.xa_b),
        # led by Phòng A1, assigned to someone in Xã B
        "staff_b@phong_a1": make_task(session, "T5", org.staff_b, org.phong_a1),
        "admin@tinh": make_task(session, "T6", org.admin, org.tinh),
    }
    session.commit()
    return made


ALL = {"staff_a1@phong_a1", "staff_a@so_a", "staff_b@xa_b", "staff_a1@xa_b", "staff_b@phong_a1", "admin@tinh"}
EXPECTED_VISIBLE = {
    "unlinked": set(),
    "staff_a1": {"staff_a1@phong_a1", "staff_a1@xa_b"},
    "staff_b": {"staff_b@xa_b", "staff_b@phong_a1"},
    "leader_a": {"staff_a1@phong_a1", "staff_a@so_a", "staff_a1@xa_b", "staff_b@phong_a1"},
    "leader_b": {"staff_b@xa_b", "staff_a1@xa_b", "staff_b@phong_a1"},
    "admin": ALL,
}


def viewer(org: Org, name: str) -> Official | None:
    return None if name == "unlinked" else getattr(org, name)


@pytest.mark.parametrize("who", list(EXPECTED_VISIBLE))
def test_access_matrix(who: str, session: Session, org: Org, tasks: dict[str, Task]) -> None:
    person = viewer(org, who)
    by_code = {t.code: name for name, t in tasks.items()}
    listed = {by_code[t.code] for t in session.scalars(visible_tasks_query(person))}
    assert listed == EXPECTED_VISIBLE[who]
    for name, task in tasks.items():
        allowed = name in EXPECTED_VISIBLE[who]
        assert can_view_task(person, task) is allowed, (who, name)
        assert can_change_task(person, task) is allowed, (who, name)


def test_deactivated_official_sees_nothing(session: Session, org: Org, tasks: dict[str, Task]) -> None:
    org.leader_a.active = False
    session.commit()
    assert session.scalars(visible_tasks_query(org.leader_a)).all() == []
    assert not can_view_task(org.leader_a, tasks["staff_a@so_a"])


def test_unit_subtree_ids(session: Session, org: Org) -> None:
    assert unit_subtree_ids(session, org.so_a.id) == {org.so_a.id, org.phong_a1.id}
    assert unit_subtree_ids(session, org.tinh.id) == {org.tinh.id, org.so_a.id, org.phong_a1.id, org.xa_b.id}
    assert unit_subtree_ids(session, org.xa_b.id) == {org.xa_b.id}


def test_visible_query_composes_with_filters(session: Session, org: Org, tasks: dict[str, Task]) -> None:
    query = visible_tasks_query(org.leader_a).where(Task.lead_unit_id == org.phong_a1.id).order_by(Task.code)
    assert [t.code for t in session.scalars(query)] == ["T1", "T5"]


def test_unit_reports_visible_to_leaders_of_the_subtree_and_admins(org: Org) -> None:
    assert can_view_unit(org.leader_a, org.phong_a1) and can_view_unit(org.leader_a, org.so_a)
    assert not can_view_unit(org.leader_a, org.xa_b) and not can_view_unit(org.leader_a, org.tinh)
    assert can_view_unit(org.admin, org.xa_b)
    assert not can_view_unit(org.staff_a, org.so_a) and not can_view_unit(None, org.so_a)
