"""Progress of a unit subtree (`troly tasks report`, /tiendo, charts, report files).

Figures add up: a unit that leads tasks of its own *and* has child units gets, as the first of its rows,
a synthetic row "<unit> (trực tiếp)" (`direct=True`) with the tasks it leads itself, so its rows always
sum to its total. Cancelled tasks (`đã hủy`) are counted nowhere.

One aggregate query counts tasks per lead unit; one query reads the unit tree; the roll-up to parent
units is done in Python. That stays well under a second for 100,000 tasks in 500 units, where one query
per unit (or loading every task) would not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from tasks.models import Task, Unit, overdue_condition
from tasks.normalize import TaskStatus
from tasks.units import find_unit

ALL_UNITS = "Tất cả đơn vị"
DIRECT_SUFFIX = " (trực tiếp)"


def direct_name(unit_name: str) -> str:
    """ "Sở Nội vụ" → "Sở Nội vụ (trực tiếp)": the row of the tasks a unit leads itself."""
    return unit_name + DIRECT_SUFFIX


@dataclass
class Counts:
    total: int = 0
    done: int = 0
    done_on_time: int = 0
    overdue: int = 0

    def add(self, other: Counts) -> None:
        self.total += other.total
        self.done += other.done
        self.done_on_time += other.done_on_time
        self.overdue += other.overdue


@dataclass
class UnitProgress:
    """One node of the report; a unit's numbers include every unit below it.

    `direct` marks the synthetic row of the tasks a unit leads itself (see the module docstring); it has
    the unit's id, no children, and is always the first of its parent's `units`.
    """

    unit: str
    total: int
    done: int
    done_on_time: int
    in_progress: int
    overdue: int
    completion_rate: float
    units: list[UnitProgress] = field(default_factory=list)
    unit_id: int | None = None  # None for the synthetic "Tất cả đơn vị" root
    direct: bool = False

    @classmethod
    def build(
        cls,
        name: str,
        counts: Counts,
        children: list[UnitProgress],
        unit_id: int | None,
        *,
        direct: bool = False,
    ) -> UnitProgress:
        return cls(
            unit=name,
            total=counts.total,
            done=counts.done,
            done_on_time=counts.done_on_time,
            in_progress=counts.total - counts.done - counts.overdue,
            overdue=counts.overdue,
            completion_rate=round(counts.done / counts.total, 4) if counts.total else 0.0,
            units=children,
            unit_id=unit_id,
            direct=direct,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `troly tasks report`: keys unit, total, done, done_on_time, in_progress, overdue,
        completion_rate, units; a direct row has `"direct": true` right after `unit` (and `units: []`)."""
        head: dict[str, Any] = {"unit": self.unit}
        if self.direct:
            head["direct"] = True
        return {
            **head,
            "total": self.total,
            "done": self.done,
            "done_on_time": self.done_on_time,
            "in_progress": self.in_progress,
            "overdue": self.overdue,
            "completion_rate": self.completion_rate,
            "units": [child.to_dict() for child in self.units],
        }


def _counts_by_unit(
    session: Session, today: date, only: ColumnElement[bool] | None = None
) -> dict[int, Counts]:
    done = Task.status == TaskStatus.HOAN_THANH
    query = (
        select(
            Task.lead_unit_id,
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((and_(done, Task.completed_on <= Task.deadline), 1), else_=0)),
            func.sum(case((overdue_condition(today), 1), else_=0)),
        )
        .where(Task.status != TaskStatus.DA_HUY, *(() if only is None else (only,)))
        .group_by(Task.lead_unit_id)
    )
    return {
        unit_id: Counts(int(total), int(n_done or 0), int(on_time or 0), int(overdue or 0))
        for unit_id, total, n_done, on_time, overdue in session.execute(query)
    }


def unit_report(
    session: Session,
    unit: str | Unit | None = None,
    *,
    today: date,
    only: ColumnElement[bool] | None = None,
    skip_empty: bool = False,
) -> UnitProgress:
    """The report for `unit` (a name, loosely matched, or a `Unit`) and its subtree.

    With no unit: a synthetic root "Tất cả đơn vị" whose children are the top units. An unknown name
    raises `UnitNotFound` carrying close names. `only`: count just the tasks meeting this condition (e.g.
    those of one document); `skip_empty`: leave out units with no such task (the root stays).
    """
    if isinstance(unit, str):
        unit = find_unit(session, unit, allow_abbreviation=True)
    own = _counts_by_unit(session, today, only)
    rows = session.execute(select(Unit.id, Unit.name, Unit.parent_id).order_by(Unit.id)).all()
    names = {uid: name for uid, name, _ in rows}
    children: dict[int | None, list[int]] = {}
    for uid, _name, parent_id in rows:
        children.setdefault(parent_id if parent_id in names else None, []).append(uid)

    def build(uid: int) -> tuple[UnitProgress, Counts]:
        # Iterative post-order would avoid recursion limits; unit trees are a few levels deep.
        mine = own.get(uid, Counts())
        totals = Counts()
        totals.add(mine)
        nodes = []
        for child in children.get(uid, []):
            node, sub = build(child)
            if sub.total or not skip_empty:
                nodes.append(node)
            totals.add(sub)
        if nodes and mine.total:
            nodes.insert(0, UnitProgress.build(direct_name(names[uid]), mine, [], uid, direct=True))
        return UnitProgress.build(names[uid], totals, nodes, uid), totals

    if unit is not None:
        return build(unit.id)[0]
    totals = Counts()
    nodes = []
    for top in children.get(None, []):
        node, sub = build(top)
        if sub.total or not skip_empty:
            nodes.append(node)
        totals.add(sub)
    return UnitProgress.build(ALL_UNITS, totals, nodes, None)
