"""Figures add up: on generated provinces, every breakdown's rows sum to its totals, for every unit and view.

A province is generated from a seed (a random unit tree, 0–4 levels; tasks of every status, cancelled ones
included, led by any unit, many by units that also have sub-units). For each unit (and for "all units"),
the rows of each view must sum to the figures shown above them:
- `troly tasks report --json` (`UnitProgress.to_dict`): at every node, the children (the "(trực tiếp)"
  row first when the unit leads tasks itself and has sub-units) sum to the node;
- the /tiendo screen (all pages of its breakdown, parsed from the HTML an official reads);
- the chart's bars (also when units beyond the limit are folded into "Các đơn vị khác");
- the .xlsx "Tổng hợp" sheet (every level of the tree, by the "Cấp" column);
- the .docx table II (rows vs. "Tổng cộng").
Cancelled tasks appear in no figure.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

import docx
import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks.charts import bars_for
from tasks.models import Official, Task, Unit
from tasks.normalize import Role, TaskStatus
from tasks.progress_view import progress_screen
from tasks.report_files import collect_report, docx_bytes, xlsx_bytes
from tasks.reporting import UnitProgress, unit_report
from tests.db_fixtures import T0

TODAY = date(2026, 11, 22)
FIELDS = ("total", "done", "done_on_time", "in_progress", "overdue")
ROW = re.compile(r"^• (.+): (\d+) nhiệm vụ · hoàn thành [\d,]+% · (\d+) quá hạn · KPI ")


@dataclass
class Province:
    units: list[Unit]
    admin: Official
    cancelled: int


def generate(session: Session, seed: int) -> Province:
    """A random province: a tree of units, one official per unit, tasks of every kind."""
    rng = random.Random(seed)
    top = Unit(name=f"UBND tỉnh Thử {seed}")
    units = [top]
    session.add(top)
    frontier = [(top, 0)]
    while frontier and len(units) < 14:
        parent, depth = frontier.pop(0)
        for i in range(rng.randint(0, 4) if depth < 3 else 0):
            child = Unit(name=f"{parent.name} / Đơn vị {depth + 1}.{i + 1}", parent=parent)
            session.add(child)
            units.append(child)
            frontier.append((child, depth + 1))
    if rng.random() < 0.5:  # sometimes a second top unit, so "all units" has several rows
        other = Unit(name=f"UBND tỉnh Khác {seed}")
        session.add(other)
        units.append(other)
    people = [
        Official(code=f"P{seed}-{i}", full_name=f"Cán bộ {i}", unit=u, role=Role.CAN_BO, active=True)
        for i, u in enumerate(units)
    ]
    admin = Official(code=f"ADM{seed}", full_name="Quản trị", unit=top, role=Role.QUAN_TRI, active=True)
    session.add_all([*people, admin])
    cancelled = 0
    for n in range(rng.randint(30, 160)):
        who = rng.choice(people)
        unit = rng.choice(units) if rng.random() < 0.4 else who.unit
        deadline = TODAY + timedelta(days=rng.randint(-40, 40))
        status = rng.choice(list(TaskStatus))
        completed = None
        if status == TaskStatus.HOAN_THANH and rng.random() < 0.85:
            completed = deadline + timedelta(days=rng.randint(-10, 10))
        cancelled += status == TaskStatus.DA_HUY
        session.add(
            Task(
                code=f"G{seed}-{n}", content=f"Việc {n}", assignee=who, lead_unit=unit, deadline=deadline,
                product="Báo cáo", assigned_by="Chủ tịch", status=status, completed_on=completed,
                progress=100 if status == TaskStatus.HOAN_THANH else rng.choice((0, 30, 60)),
                created_at=T0, updated_at=T0, progress_updated_at=T0,
            )
        )  # fmt: skip
    session.commit()
    return Province(units, admin, cancelled)


def figures(node: UnitProgress) -> tuple[int, ...]:
    return tuple(getattr(node, f) for f in FIELDS)


def summed(nodes: list[UnitProgress]) -> tuple[int, ...]:
    return tuple(sum(getattr(n, f) for n in nodes) for f in FIELDS)


def check_tree(node: UnitProgress) -> None:
    """Every node with rows: the rows add up; a direct row is first, childless, and of a unit with rows."""
    if node.units:
        assert summed(node.units) == figures(node), node.unit
        assert [c.direct for c in node.units].count(True) <= 1
        assert all(not c.direct for c in node.units[1:])
    for child in node.units:
        if child.direct:
            assert child.units == [] and child.unit == f"{node.unit} (trực tiếp)" and child.total > 0
        check_tree(child)


def check_json(data: dict) -> None:
    if data["units"]:
        for key in FIELDS:
            assert sum(c[key] for c in data["units"]) == data[key], (data["unit"], key)
    for child in data["units"]:
        assert child.get("direct", False) is (child is data["units"][0] and child.get("direct") is True)
        check_json(child)


def screen_rows(session: Session, viewer: Official, unit_id: int | None) -> list[tuple[str, int, int]]:
    """(name, total, overdue) of every breakdown row of the /tiendo screen, over all its pages."""
    out: list[tuple[str, int, int]] = []
    page = 1
    while True:
        screen = progress_screen(session, viewer, unit_id, today=TODAY, page=page)
        lines = [m.groups() for line in screen.html.split("\n") if (m := ROW.match(line))]
        out += [(name, int(total), int(overdue)) for name, total, overdue in lines]
        more = any(label.startswith("Trang sau") for row in screen.buttons for label, _ in row)
        if not more:
            return out
        page += 1


def xlsx_tree_sums(content: bytes) -> None:
    """In "Tổng hợp", the rows one level below each row (until the next row at its level) add up to it."""
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Tổng hợp"]
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0] is not None]
    for i, row in enumerate(rows):
        depth = row[2]
        children = []
        for later in rows[i + 1 :]:
            if later[2] <= depth:
                break
            if later[2] == depth + 1:
                children.append(later)
        if children:
            for col in range(3, 8):  # Tổng số, Hoàn thành, Đúng hạn, Đang thực hiện, Quá hạn
                assert sum(c[col] for c in children) == row[col], (row[1], col)


def docx_table_sums(content: bytes, report: UnitProgress) -> None:
    table = docx.Document(io.BytesIO(content)).tables[1]
    cells = [[c.text for c in r.cells] for r in table.rows][1:]
    if report.units:
        body, total = cells[:-1], cells[-1]
        assert total[1] == "Tổng cộng"
    else:
        body, total = cells, cells[0]
    for col in range(2, 7):
        assert sum(int(r[col]) for r in body) == int(total[col])
    assert int(total[2]) == report.total and int(total[6]) == report.overdue


@pytest.mark.parametrize("seed", [1, 2])
def test_rows_add_up_to_totals_in_every_view(session: Session, seed: int) -> None:
    province = generate(session, seed)
    counted = session.scalar(select(func.count()).select_from(Task).where(Task.status != TaskStatus.DA_HUY))
    whole = unit_report(session, today=TODAY)
    assert whole.total == counted  # cancelled tasks are in no figure
    scopes: list[Unit | None] = [None, *province.units]
    for unit in scopes:
        report = unit_report(session, unit, today=TODAY)
        check_tree(report)
        check_json(report.to_dict())

        rows = screen_rows(session, province.admin, unit.id if unit is not None else None)
        if report.units:
            names = [name for name, _, _ in rows]
            assert sorted(names) == sorted(c.unit for c in report.units)
            assert report.units[0].direct is (
                names[0] == report.units[0].unit and names[0].endswith("(trực tiếp)")
            )
            assert sum(t for _, t, _ in rows) == report.total
            assert sum(o for _, _, o in rows) == report.overdue
        else:
            assert rows == []

        for limit in (15, 3):
            bars = bars_for(report, limit)
            assert sum(b.total for b in bars) == report.total
            assert sum(b.overdue for b in bars) == report.overdue

        data = collect_report(session, unit, today=TODAY)
        xlsx_tree_sums(xlsx_bytes(data))
        docx_table_sums(docx_bytes(data), data.report)


def test_a_unit_with_own_tasks_and_sub_units_shows_a_direct_row(session: Session) -> None:
    """The case that did not add up: Sở Nội vụ leads 3 tasks itself (1 overdue), its Phòng leads 2."""
    so = Unit(name="Sở Nội vụ")
    phong = Unit(name="Phòng Công chức", parent=so)
    person = Official(code="A1", full_name="Người A", unit=phong, role=Role.CAN_BO, active=True)
    session.add_all([so, phong, person])
    specs = [(so, -5), (so, 5), (so, 6), (phong, -3), (phong, 4)]
    for n, (unit, days) in enumerate(specs):
        session.add(
            Task(code=f"S{n}", content="Việc", assignee=person, lead_unit=unit, deadline=TODAY + timedelta(days),
                 product="BC", assigned_by="CT", created_at=T0, updated_at=T0, progress_updated_at=T0)
        )  # fmt: skip
    session.add(
        Task(code="GONE", content="Việc đã hủy", assignee=person, lead_unit=so, deadline=TODAY - timedelta(9),
             product="BC", assigned_by="CT", status=TaskStatus.DA_HUY, created_at=T0, updated_at=T0,
             progress_updated_at=T0)
    )  # fmt: skip
    session.commit()
    report = unit_report(session, so, today=TODAY).to_dict()
    assert (report["total"], report["overdue"]) == (5, 2)
    direct, child = report["units"]
    assert (direct["unit"], direct["direct"], direct["total"], direct["overdue"], direct["units"]) == (
        "Sở Nội vụ (trực tiếp)",
        True,
        3,
        1,
        [],
    )
    assert (child["unit"], child["total"], child["overdue"], "direct" in child) == (
        "Phòng Công chức",
        2,
        1,
        False,
    )
    # A unit without sub-units gets no direct row; nor does one without tasks of its own.
    assert unit_report(session, phong, today=TODAY).units == []
