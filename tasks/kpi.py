"""KPI of officials and units: one number from 0 to 100 that rewards finishing on time and penalises
lateness, growing with the number of days late.

Formula (also in docs/tasks.md). Only tasks that can already be judged count: finished tasks, and
unfinished tasks whose deadline has passed (overdue). Unfinished tasks not yet due are left out (nobody is
late yet). Each judged task earns points:

    finished on or before the deadline                    +1
    finished L days late                                  +0.5 × max(0, 1 − L/30)
    finished, completion date unknown                     +0.5
    not finished, D days overdue (today − deadline)       −0.5 × min(D, 30)/30

    KPI = clamp(100 × Σ points / N, 0, 100)        N = number of judged tasks; no KPI when N = 0

So a unit that finishes everything on time scores 100; finishing a week late still earns about 38 % of a
task's worth; an open task 30 days or more overdue costs half a task. "Today" is the office's date
(TROLY_TIMEZONE), as for every overdue figure (docs/cli.md §4). A unit's KPI counts the tasks its unit leads
and every unit below it leads (same rule as the progress report); an official's counts the tasks
assigned to them.

Everything is computed by SQL aggregates (one GROUP BY per call) and rolled up the unit tree in Python,
so 100,000 tasks take well under a second.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, Integer, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from tasks.models import Official, Task, Unit, overdue_condition
from tasks.normalize import TaskStatus

GRACE_DAYS = 30  # days of lateness after which a late completion earns nothing / the penalty is full
LATE_CREDIT = 0.5
OVERDUE_PENALTY = 0.5


class days_between(FunctionElement[int]):
    """`a − b` in whole days for two DATE expressions, on PostgreSQL and SQLite alike."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element: days_between, compiler, **kw) -> str:
    a, b = list(element.clauses)
    return f"({compiler.process(a, **kw)} - {compiler.process(b, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler, **kw) -> str:
    a, b = list(element.clauses)
    return f"CAST(julianday({compiler.process(a, **kw)}) - julianday({compiler.process(b, **kw)}) AS INTEGER)"


@dataclass
class KpiParts:
    """The sums behind a KPI; add them up the unit tree, then read `score`."""

    judged: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    points: float = 0.0
    undated: int = 0  # done without a completion date: neither on time nor late ("không rõ ngày")

    def add(self, other: KpiParts) -> None:
        self.undated += other.undated
        self.judged += other.judged
        self.on_time += other.on_time
        self.late += other.late
        self.overdue += other.overdue
        self.points += other.points

    @property
    def score(self) -> float | None:
        """0–100 with one decimal; None when no task can be judged yet."""
        if not self.judged:
            return None
        return round(min(100.0, max(0.0, 100.0 * self.points / self.judged)), 1)


def format_kpi(score: float | None) -> str:
    """ "72,5" (Vietnamese decimal comma) or "—" when there is nothing to judge."""
    if score is None:
        return "—"
    return f"{score:.1f}".replace(".", ",").removesuffix(",0")


def task_points(
    status: TaskStatus,
    deadline: date,
    completed_on: date | None,
    today: date,
    submitted_on: date | None = None,
) -> float:
    """The same rule in Python for one task (tests and explanations; the aggregates use SQL).

    A product handed in by the deadline and waiting for review (`submitted_on`, status chờ duyệt) is not
    overdue: the wait is the approver's."""
    if status == TaskStatus.HOAN_THANH:
        if completed_on is None:
            return LATE_CREDIT
        late = (completed_on - deadline).days
        if late <= 0:
            return 1.0
        return LATE_CREDIT * max(0.0, 1 - late / GRACE_DAYS)
    waiting_on_time = status == TaskStatus.CHO_DUYET and submitted_on is not None and submitted_on <= deadline
    if deadline < today and not waiting_on_time:
        return -OVERDUE_PENALTY * min((today - deadline).days, GRACE_DAYS) / GRACE_DAYS
    return 0.0


def _aggregates(today: date) -> list[ColumnElement]:
    done = Task.status == TaskStatus.HOAN_THANH
    overdue = overdue_condition(today)
    on_time = and_(done, Task.completed_on <= Task.deadline)
    late_days = days_between(Task.completed_on, Task.deadline)
    overdue_days = days_between(literal(today, Date), Task.deadline)
    points = case(
        (on_time, 1.0),
        (and_(done, Task.completed_on.is_(None)), LATE_CREDIT),
        (and_(done, late_days >= GRACE_DAYS), 0.0),
        (done, LATE_CREDIT * (GRACE_DAYS - late_days) / float(GRACE_DAYS)),
        (and_(overdue, overdue_days >= GRACE_DAYS), -OVERDUE_PENALTY),
        (overdue, -OVERDUE_PENALTY * overdue_days / float(GRACE_DAYS)),
        else_=0.0,
    )
    return [
        func.sum(case((or_(done, overdue), 1), else_=0)),
        func.sum(case((on_time, 1), else_=0)),
        func.sum(case((overdue, 1), else_=0)),
        func.sum(points),
        func.sum(case((and_(done, Task.completed_on.is_(None)), 1), else_=0)),
    ]


def _counted() -> ColumnElement[bool]:
    """Cancelled tasks (đã hủy) are judged by nobody."""
    return Task.status != TaskStatus.DA_HUY


def _parts(row: tuple) -> KpiParts:
    judged, on_time, overdue, points, undated = (v or 0 for v in row)
    judged, on_time, overdue, undated = int(judged), int(on_time), int(overdue), int(undated)
    late = judged - on_time - overdue - undated
    return KpiParts(judged, on_time, late, overdue, float(points), undated)


def kpi_by_lead_unit(session: Session, today: date) -> dict[int, KpiParts]:
    """KPI sums of the tasks each unit leads itself (not yet rolled up)."""
    query = select(Task.lead_unit_id, *_aggregates(today)).where(_counted()).group_by(Task.lead_unit_id)
    return {row[0]: _parts(row[1:]) for row in session.execute(query)}


def unit_kpis(session: Session, today: date) -> dict[int | None, KpiParts]:
    """KPI sums of every unit including its subtree; key None = all units together."""
    own = kpi_by_lead_unit(session, today)
    rows = session.execute(select(Unit.id, Unit.parent_id)).all()
    ids = {uid for uid, _ in rows}
    children: dict[int | None, list[int]] = {}
    for uid, parent in rows:
        children.setdefault(parent if parent in ids else None, []).append(uid)
    totals: dict[int | None, KpiParts] = {}
    # Iterative post-order: children are summed before their parent, whatever the depth.
    stack: list[tuple[int, bool]] = [(uid, False) for uid in children.get(None, [])]
    while stack:
        uid, expanded = stack.pop()
        if expanded:
            parts = KpiParts()
            parts.add(own.get(uid, KpiParts()))
            for child in children.get(uid, []):
                parts.add(totals[child])
            totals[uid] = parts
        else:
            stack.append((uid, True))
            stack.extend((child, False) for child in children.get(uid, []) if child not in totals)
    everything = KpiParts()
    for top in children.get(None, []):
        everything.add(totals[top])
    totals[None] = everything
    return totals


def unit_kpi(session: Session, unit_id: int | None, today: date) -> KpiParts:
    """KPI sums of one unit subtree (None: all units)."""
    return unit_kpis(session, today).get(unit_id, KpiParts())


@dataclass
class OfficialKpi:
    official_id: int
    code: str
    full_name: str
    unit: str
    total: int
    parts: KpiParts

    @property
    def score(self) -> float | None:
        return self.parts.score


def official_kpis(
    session: Session, today: date, unit_ids: Collection[int] | None = None
) -> list[OfficialKpi]:
    """KPI of each official (of the given units, or all) over the tasks assigned to them, best first;
    officials without any task are left out."""
    query = (
        select(
            Official.id,
            Official.code,
            Official.full_name,
            Unit.name,
            func.count(Task.id),
            *_aggregates(today),
        )
        .join(Task, Task.assignee_id == Official.id)
        .join(Unit, Unit.id == Official.unit_id)
        .where(_counted())
        .group_by(Official.id, Official.code, Official.full_name, Unit.name)
    )
    if unit_ids is not None:
        query = query.where(Official.unit_id.in_(list(unit_ids)))
    out = [
        OfficialKpi(oid, code, name, unit, int(total), _parts(rest))
        for oid, code, name, unit, total, *rest in session.execute(query)
    ]
    out.sort(key=lambda k: (-(k.score if k.score is not None else -1), k.code))
    return out


def official_kpi(session: Session, official_id: int, today: date) -> KpiParts:
    """KPI sums of one official's tasks."""
    row = session.execute(
        select(*_aggregates(today)).where(Task.assignee_id == official_id, _counted())
    ).one()
    return _parts(tuple(row))
