"""Who may see and change which task. Every reader and writer of tasks goes through these rules.

- cán bộ: only the tasks assigned to them;
- lãnh đạo: tasks led by a unit of their subtree, or assigned to someone in it (themselves included);
- quản trị: everything;
- no linked official (None) or a deactivated one: nothing.
Viewing and changing follow the same rules today; they are separate functions so they can diverge.
"""

from __future__ import annotations

from sqlalchemy import CTE, Select, false, or_, select, true
from sqlalchemy.orm import Session, aliased

from tasks.models import Official, Task, Unit
from tasks.normalize import Role


def _subtree_cte(unit_id: int) -> CTE:
    """Recursive CTE of `unit_id` and every unit below it (UNION, not UNION ALL: stops on a cycle)."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("unit_subtree", recursive=True)
    child = aliased(Unit)
    return tree.union(select(child.id).where(child.parent_id == tree.c.id))


def unit_subtree_ids(session: Session, unit_id: int) -> set[int]:
    """Ids of `unit_id` and all units below it, in one recursive query."""
    tree = _subtree_cte(unit_id)
    return set(session.scalars(select(tree.c.id)))


def _active(viewer: Official | None) -> bool:
    return viewer is not None and viewer.active


def visible_tasks_query(viewer: Official | None) -> Select[tuple[Task]]:
    """`select(Task)` restricted to what `viewer` may see; add ordering, filters and paging to it."""
    query = select(Task)
    if not _active(viewer):
        return query.where(false())
    assert viewer is not None
    if viewer.role == Role.QUAN_TRI:
        return query.where(true())
    if viewer.role == Role.LANH_DAO:
        tree = _subtree_cte(viewer.unit_id)
        members = select(Official.id).where(Official.unit_id.in_(select(tree.c.id)))
        return query.where(or_(Task.lead_unit_id.in_(select(tree.c.id)), Task.assignee_id.in_(members)))
    return query.where(Task.assignee_id == viewer.id)


def _within(unit: Unit | None, ancestor_id: int) -> bool:
    """True when `unit` is `ancestor_id` or below it (walks up the loaded tree; units are few)."""
    return unit is not None and any(u.id == ancestor_id for u in unit.ancestors_and_self())


def can_view_task(viewer: Official | None, task: Task) -> bool:
    """The rule of `visible_tasks_query`, for one task already loaded."""
    if not _active(viewer):
        return False
    assert viewer is not None
    if viewer.role == Role.QUAN_TRI or task.assignee_id == viewer.id:
        return True
    if viewer.role == Role.LANH_DAO:
        return _within(task.lead_unit, viewer.unit_id) or _within(task.assignee.unit, viewer.unit_id)
    return False


def can_change_task(viewer: Official | None, task: Task) -> bool:
    """Whether `viewer` may report progress on or complete `task` (same scope as viewing)."""
    return can_view_task(viewer, task)


def can_view_unit(viewer: Official | None, unit: Unit) -> bool:
    """Whether `viewer` may see the progress report of `unit`: admins all, leaders their subtree."""
    if not _active(viewer):
        return False
    assert viewer is not None
    if viewer.role == Role.QUAN_TRI:
        return True
    return viewer.role == Role.LANH_DAO and _within(unit, viewer.unit_id)
