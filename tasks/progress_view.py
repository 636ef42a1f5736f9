"""/tiendo: a leader's progress screen, its drill-down into sub-units, the overdue list and the chart.

Every entry point takes the viewer and a unit id (from a command or from callback data, which the client
sends back and could forge) and checks permission first: a leader sees their unit and everything below
it, an administrator everything (unit id None = all units), anyone else nothing. Counting follows the
report of docs/cli.md §4 (`tasks.reporting.unit_report`: a task counts for its lead unit and every unit above);
KPI as defined in `tasks.kpi`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from tasks.access import can_view_unit, unit_subtree_ids
from tasks.charts import progress_chart_png
from tasks.errors import NotFound, PermissionDenied
from tasks.kpi import KpiParts, format_kpi, kpi_by_lead_unit, unit_kpis
from tasks.models import Official, Task, Unit, overdue_condition
from tasks.normalize import Role, format_date
from tasks.reachability import unreachable_lines
from tasks.reporting import UnitProgress, unit_report
from tasks.ui import (
    NOT_LINKED,
    Keyboard,
    Screen,
    button,
    chart_data,
    esc,
    manage_data,
    overdue_data,
    report_data,
    shorten,
    unit_data,
)

CHILDREN_PER_PAGE = 8
OVERDUE_PER_PAGE = 10

LEADERS_ONLY = (
    "Theo dõi tiến độ đơn vị là chức năng dành cho lãnh đạo. "
    "Bạn có thể xem các việc của mình bằng lệnh /viec."
)


def pct(rate: float) -> str:
    """0.4567 → "45,7%" (Vietnamese decimal comma; "50%" rather than "50,0%")."""
    return f"{rate * 100:.1f}".replace(".", ",").removesuffix(",0") + "%"


def resolve_scope(session: Session, viewer: Official | None, unit_id: int | None) -> Unit | None:
    """The unit `viewer` asks about (None = all units, administrators only), or `PermissionDenied` /
    `NotFound` with a Vietnamese message. Without a unit id, a leader gets their own unit."""
    if viewer is None or not viewer.active:
        raise PermissionDenied(NOT_LINKED)
    if viewer.role not in (Role.LANH_DAO, Role.QUAN_TRI):
        raise PermissionDenied(LEADERS_ONLY)
    if unit_id is None:
        return None if viewer.role == Role.QUAN_TRI else viewer.unit
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("Không tìm thấy đơn vị này (có thể danh sách đơn vị vừa được cập nhật).")
    if not can_view_unit(viewer, unit):
        raise PermissionDenied(f"Bạn chỉ xem được tiến độ của {viewer.unit.name} và các đơn vị trực thuộc.")
    return unit


def node_kpi(node: UnitProgress, subtree: dict[int | None, KpiParts], own: dict[int, KpiParts]) -> KpiParts:
    """The KPI of a report row: the unit's subtree, or only the tasks it leads itself for a direct row."""
    if node.direct:
        return own.get(node.unit_id or -1, KpiParts())
    return subtree.get(node.unit_id, KpiParts())


@dataclass
class Progress:
    """What /tiendo computes for one scope (also used by free-text answers and reports)."""

    unit: Unit | None
    report: UnitProgress
    kpi: KpiParts
    kpis: dict[int | None, KpiParts]  # every unit's subtree KPI
    own_kpis: dict[int, KpiParts]  # KPI of the tasks each unit leads itself

    def kpi_of(self, node: UnitProgress) -> KpiParts:
        return node_kpi(node, self.kpis, self.own_kpis)


def compute_progress(session: Session, unit: Unit | None, today: date) -> Progress:
    """Report + KPI of a scope: three aggregate queries whatever the number of tasks."""
    report = unit_report(session, unit, today=today)
    kpis = unit_kpis(session, today)
    own = kpis.get(unit.id if unit is not None else None)
    return Progress(unit, report, own or KpiParts(), kpis, kpi_by_lead_unit(session, today))


def summary_lines(report: UnitProgress, kpi: KpiParts) -> list[str]:
    """The six figures of docs/cli.md §2 plus KPI, as HTML lines."""
    return [
        f"Tổng số: <b>{report.total}</b> nhiệm vụ",
        f"✅ Hoàn thành: <b>{report.done}</b> ({pct(report.completion_rate)}), đúng hạn {report.done_on_time}",
        f"🔄 Đang thực hiện (chưa đến hạn): <b>{report.in_progress}</b>",
        f"⚠️ Quá hạn: <b>{report.overdue}</b>",
        f"🎯 KPI: <b>{format_kpi(kpi.score)}</b>/100",
    ]


def sorted_rows(report: UnitProgress) -> list[UnitProgress]:
    """The rows of a unit's breakdown as /tiendo lists them: its direct row first (the tasks it leads
    itself), then the sub-units, most overdue first. They add up to the unit's figures."""
    direct = [c for c in report.units if c.direct]
    others = sorted(
        (c for c in report.units if not c.direct), key=lambda c: (-c.overdue, c.completion_rate, c.unit)
    )
    return direct + others


def row_line(node: UnitProgress, kpi: KpiParts) -> str:
    """ "• Sở Nội vụ (trực tiếp): 5 nhiệm vụ · hoàn thành 40% · 2 quá hạn · KPI 50" (HTML)."""
    return (
        f"• {esc(shorten(node.unit, 60))}: {node.total} nhiệm vụ · hoàn thành {pct(node.completion_rate)}"
        f" · {node.overdue} quá hạn · KPI {format_kpi(kpi.score)}"
    )


def progress_screen(
    session: Session, viewer: Official | None, unit_id: int | None = None, *, today: date, page: int = 1
) -> Screen:
    """The /tiendo screen of a unit (default: the viewer's): figures, sub-units (most overdue first,
    paged), and buttons to drill into a sub-unit, list overdue tasks, see the chart or get a report."""
    unit = resolve_scope(session, viewer, unit_id)
    progress = compute_progress(session, unit, today)
    report = progress.report
    lines = [
        f"<b>📊 Tiến độ nhiệm vụ — {esc(report.unit)}</b>",
        f"<i>Tính đến ngày {format_date(today)}, gồm cả các đơn vị trực thuộc</i>",
        "",
        *summary_lines(report, progress.kpi),
        *unreachable_lines(session, unit),  # officials Telegram refuses to deliver to
    ]
    children = sorted_rows(report)
    pages = max(1, -(-len(children) // CHILDREN_PER_PAGE))
    page = min(max(1, page), pages)
    shown = children[(page - 1) * CHILDREN_PER_PAGE : page * CHILDREN_PER_PAGE]
    if children:
        heading = "Chi tiết theo đơn vị" + (f" (trang {page}/{pages})" if pages > 1 else "")
        lines += ["", f"<b>{heading}</b> — số nhiệm vụ · hoàn thành · quá hạn · KPI:"]
        lines += [row_line(child, progress.kpi_of(child)) for child in shown]
    rows: Keyboard = []
    unit_buttons = [
        button(shorten(c.unit, 24) + (f" · {c.overdue}⚠️" if c.overdue else ""), unit_data(c.unit_id))
        for c in shown
        if not c.direct  # the direct row is the unit itself: nothing below it to open
    ]
    rows += [unit_buttons[i : i + 2] for i in range(0, len(unit_buttons), 2)]
    uid = unit.id if unit is not None else None
    if pages > 1:
        nav = []
        if page > 1:
            nav.append(button("◀️ Trang trước", unit_data(uid, page - 1)))
        if page < pages:
            nav.append(button("Trang sau ▶️", unit_data(uid, page + 1)))
        rows.append(nav)
    rows.append(
        [button(f"⚠️ Quá hạn ({report.overdue})", overdue_data(uid)), button("📈 Biểu đồ", chart_data(uid))]
    )
    rows.append(
        [
            button("📄 Báo cáo Excel", report_data(uid, "xlsx")),
            button("📄 Báo cáo Word", report_data(uid, "docx")),
        ]
    )
    up = _parent_button(viewer, unit)
    if up is not None:
        rows.append([up])
    return Screen("\n".join(lines), rows)


def _parent_button(viewer: Official | None, unit: Unit | None):
    if unit is None or viewer is None:
        return None
    parent = unit.parent
    if parent is None:
        return button("⬆️ Tất cả đơn vị", unit_data(None)) if viewer.role == Role.QUAN_TRI else None
    if can_view_unit(viewer, parent):
        return button(f"⬆️ {shorten(parent.name, 30)}", unit_data(parent.id))
    return None


def overdue_query(session: Session, unit: Unit | None, today: date) -> Select[tuple[Task]]:
    """Overdue tasks counted for `unit` (led by it or a unit below it; all units for None), most late first."""
    query = select(Task).where(overdue_condition(today))
    if unit is not None:
        query = query.where(Task.lead_unit_id.in_(unit_subtree_ids(session, unit.id)))
    return query.order_by(Task.deadline, Task.id)


def overdue_screen(
    session: Session, viewer: Official | None, unit_id: int | None = None, *, today: date, page: int = 1
) -> Screen:
    """One page of overdue tasks: who, what, how late; numbered buttons open a task."""
    unit = resolve_scope(session, viewer, unit_id)
    name = unit.name if unit is not None else "Tất cả đơn vị"
    query = overdue_query(session, unit, today)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // OVERDUE_PER_PAGE))
    page = min(max(1, page), pages)
    tasks = session.scalars(
        query.options(selectinload(Task.assignee), selectinload(Task.lead_unit))
        .offset((page - 1) * OVERDUE_PER_PAGE)
        .limit(OVERDUE_PER_PAGE)
    ).all()
    uid = unit.id if unit is not None else None
    if not total:
        return Screen(
            f"<b>✅ {esc(name)}</b>: không có nhiệm vụ quá hạn (tính đến ngày {format_date(today)}).",
            [[button("↩️ Về tiến độ", unit_data(uid))]],
        )
    lines = [
        f"<b>⚠️ Nhiệm vụ quá hạn — {esc(name)}</b>",
        f"<i>{total} nhiệm vụ, tính đến ngày {format_date(today)}"
        + (f" · trang {page}/{pages}" if pages > 1 else "")
        + "</i>",
    ]
    first = (page - 1) * OVERDUE_PER_PAGE
    for i, task in enumerate(tasks, start=first + 1):
        late = (today - task.deadline).days
        lines += [
            "",
            f"{i}. <b>{esc(task.code)}</b> — quá hạn <b>{late} ngày</b> (hạn {format_date(task.deadline)})",
            f"   {esc(shorten(task.content, 160))}",
            f"   👤 {esc(task.assignee.full_name)} · {esc(shorten(task.lead_unit.name, 50))} · {task.progress}%",
        ]
    # A leader opens the task inside /tiendo (td:t: "Giao lại", "Hủy nhiệm vụ"); the screen is edited in place.
    numbered = [button(str(i), manage_data("t", t.id)) for i, t in enumerate(tasks, start=first + 1)]
    rows: Keyboard = [numbered[i : i + 5] for i in range(0, len(numbered), 5)]
    nav = []
    if page > 1:
        nav.append(button("◀️ Trước", overdue_data(uid, page - 1)))
    if page < pages:
        nav.append(button("Sau ▶️", overdue_data(uid, page + 1)))
    if nav:
        rows.append(nav)
    rows.append([button("↩️ Về tiến độ", unit_data(uid))])
    return Screen("\n".join(lines), rows)


def chart_photo(
    session: Session, viewer: Official | None, unit_id: int | None = None, *, today: date
) -> tuple[bytes, str]:
    """(PNG bytes, HTML caption ≤ 1024 characters) of a unit's sub-units, for `send_photo`."""
    unit = resolve_scope(session, viewer, unit_id)
    report = unit_report(session, unit, today=today)
    png = progress_chart_png(report, today=today)
    caption = (
        f"<b>{esc(shorten(report.unit, 200))}</b>: hoàn thành {pct(report.completion_rate)}, "
        f"{report.overdue} nhiệm vụ quá hạn (đến ngày {format_date(today)})."
    )
    return png, caption
