"""Progress reports as files: `.xlsx` for working with the numbers, `.docx` in the Vietnamese administrative
layout (Nghị định 30/2020/NĐ-CP) for signing and filing.

Both come from one `ReportData` (collected with a few aggregate queries), so the two files and `/tiendo`
always agree. The spreadsheet holds everything: every unit of the subtree, every overdue task, every
official's KPI (write-only openpyxl, fast for 100,000 tasks). The Word document is what a leader prints:
the sub-units one level down, the most overdue tasks (`DOCX_OVERDUE_LIMIT`, the rest being in the
spreadsheet), and a signature block left for the signer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.access import unit_subtree_ids
from tasks.kpi import (
    GRACE_DAYS,
    KpiParts,
    OfficialKpi,
    format_kpi,
    kpi_by_lead_unit,
    official_kpis,
    unit_kpis,
)
from tasks.models import Official, Task, Unit
from tasks.normalize import TaskStatus, fold_key, format_date
from tasks.progress_view import node_kpi, overdue_query, pct, resolve_scope, sorted_rows
from tasks.reporting import Counts, UnitProgress, unit_report
from tasks.units import find_unit

TITLE = "BÁO CÁO TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ"
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
DOCX_OVERDUE_LIMIT = 100
PLACE_PLACEHOLDER = "……………"
KPI_EXPLANATION = (
    f"KPI (0–100) = 100 × tổng điểm ÷ số nhiệm vụ đã đến hạn hoặc đã hoàn thành. Điểm mỗi nhiệm vụ: hoàn thành "
    f"đúng hạn +1; hoàn thành trễ L ngày +0,5 × (1 − L/{GRACE_DAYS}), không âm; hoàn thành không rõ ngày hoàn "
    f"thành +0,5 (không tính đúng hạn, không tính trễ); chưa hoàn thành, quá hạn D ngày "
    f"−0,5 × min(D, {GRACE_DAYS})/{GRACE_DAYS}. Nhiệm vụ chưa đến hạn chưa tính."
)


@dataclass(frozen=True)
class OverdueRow:
    code: str
    content: str
    assignee: str
    assignee_code: str
    unit: str
    deadline: date
    days_late: int
    progress: int
    status: str


@dataclass
class ReportData:
    """Everything a report shows, for one unit subtree (`unit_id` None = all units)."""

    unit_name: str
    unit_id: int | None
    parent_name: str | None
    today: date
    report: UnitProgress
    kpis: dict[int | None, KpiParts]
    overdue: list[OverdueRow]
    officials: list[OfficialKpi]
    own_kpis: dict[int, KpiParts] = field(default_factory=dict)  # tasks each unit leads itself

    @property
    def kpi(self) -> KpiParts:
        return self.kpis.get(self.unit_id, KpiParts())

    def unit_kpi(self, node: UnitProgress) -> KpiParts:
        """A row's KPI: the unit's subtree, or its own tasks only for a "(trực tiếp)" row."""
        return node_kpi(node, self.kpis, self.own_kpis)


def collect_report(session: Session, unit: Unit | None, *, today: date) -> ReportData:
    """Gather a report's data: tree report, KPIs, overdue tasks, officials' KPIs (aggregate queries).

    With no unit and a single top unit (the usual case: one UBND tỉnh), the report is that unit's: a
    document titled after the real issuing body rather than "Tất cả đơn vị".
    """
    if unit is None:
        tops = session.scalars(select(Unit).where(Unit.parent_id.is_(None)).limit(2)).all()
        unit = tops[0] if len(tops) == 1 else None
    report = unit_report(session, unit, today=today)
    kpis = unit_kpis(session, today)
    ids = unit_subtree_ids(session, unit.id) if unit is not None else None
    rows = session.execute(
        overdue_query(session, unit, today)
        .with_only_columns(
            Task.code,
            Task.content,
            Official.full_name,
            Official.code,
            Unit.name,
            Task.deadline,
            Task.progress,
            Task.status,
        )
        .join(Official, Official.id == Task.assignee_id)
        .join(Unit, Unit.id == Task.lead_unit_id)
    )
    overdue = [
        OverdueRow(
            code,
            content,
            name,
            ocode,
            uname,
            deadline,
            (today - deadline).days,
            progress,
            TaskStatus(status).label,
        )
        for code, content, name, ocode, uname, deadline, progress, status in rows
    ]
    parent = unit.parent.name if unit is not None and unit.parent is not None else None
    return ReportData(
        unit_name=report.unit,
        unit_id=unit.id if unit is not None else None,
        parent_name=parent,
        today=today,
        report=report,
        kpis=kpis,
        overdue=overdue,
        officials=official_kpis(session, today, ids),
        own_kpis=kpi_by_lead_unit(session, today),
    )


def report_for_viewer(
    session: Session, viewer: Official | None, unit_id: int | None, *, today: date
) -> ReportData:
    """`collect_report` after the /tiendo permission check (leaders: their subtree; admins: anything)."""
    return collect_report(session, resolve_scope(session, viewer, unit_id), today=today)


def report_for_name(session: Session, name: str | None, *, today: date) -> ReportData:
    """For the CLI (an operator sees everything): a unit by loose name, or all units."""
    unit = find_unit(session, name, allow_abbreviation=True) if name else None
    return collect_report(session, unit, today=today)


def report_filename(data: ReportData, ext: str) -> str:
    """ "bao-cao-tien-do_so-noi-vu_2026-11-22.xlsx" — ASCII, safe on every system and in Telegram."""
    slug = re.sub(r"\s+", "-", fold_key(data.unit_name))[:60] or "don-vi"
    return f"bao-cao-tien-do_{slug}_{data.today.isoformat()}.{ext}"


def walk(node: UnitProgress, depth: int = 0) -> Iterator[tuple[int, UnitProgress]]:
    yield depth, node
    for child in node.units:
        yield from walk(child, depth + 1)


# --- xlsx --------------------------------------------------------------------------------------------------

HEADER_FILL = PatternFill(fill_type="solid", start_color="D9E1F2", end_color="D9E1F2")
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")


def _cells(sheet, values, *, font: Font | None = None, fill: PatternFill | None = None, formats=None) -> list:
    cells = []
    for i, value in enumerate(values):
        cell = WriteOnlyCell(sheet, value=value)
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if formats and formats.get(i):
            cell.number_format = formats[i]
        cells.append(cell)
    return cells


def _sheet(wb: Workbook, title: str, headers: list[str], widths: list[int], intro: list[str]):
    sheet = wb.create_sheet(title)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = f"A{len(intro) + 2}"
    for j, line in enumerate(intro):
        sheet.append(_cells(sheet, [line], font=TITLE_FONT if j == 0 else None))
    sheet.append(_cells(sheet, headers, font=BOLD, fill=HEADER_FILL))
    return sheet


def write_xlsx(data: ReportData, target: str | Path | BinaryIO) -> None:
    """Sheets "Tổng hợp" (every unit of the subtree), "Quá hạn" (every overdue task), "KPI cán bộ",
    "Cách tính KPI". Numbers are numbers (percentages with a % format, deadlines as dates)."""
    wb = Workbook(write_only=True)
    intro = [TITLE, f"{data.unit_name} — tính đến ngày {format_date(data.today)}"]
    summary = _sheet(
        wb, "Tổng hợp",
        ["STT", "Đơn vị", "Cấp", "Tổng số", "Hoàn thành", "Đúng hạn", "Đang thực hiện", "Quá hạn",
         "Tỷ lệ hoàn thành", "KPI"],
        [6, 55, 6, 10, 12, 11, 15, 10, 16, 8], intro,
    )  # fmt: skip
    for i, (depth, node) in enumerate(walk(data.report), start=1):
        score = data.unit_kpi(node).score
        summary.append(
            _cells(
                summary,
                [
                    i,
                    "    " * depth + node.unit,
                    depth,
                    node.total,
                    node.done,
                    node.done_on_time,
                    node.in_progress,
                    node.overdue,
                    node.completion_rate,
                    score,
                ],
                font=BOLD if depth == 0 else None,
                formats={8: "0.0%", 9: "0.0"},
            )
        )
    overdue = _sheet(
        wb, "Quá hạn",
        ["STT", "Mã nhiệm vụ", "Nội dung", "Người thực hiện", "Mã cán bộ", "Đơn vị chủ trì", "Thời hạn",
         "Số ngày quá hạn", "Tiến độ (%)", "Trạng thái"],
        [6, 14, 60, 26, 12, 36, 12, 15, 11, 16], [*intro, f"{len(data.overdue)} nhiệm vụ quá hạn"],
    )  # fmt: skip
    for i, r in enumerate(data.overdue, start=1):  # plain values (fast) except the date, which needs a format
        deadline = WriteOnlyCell(overdue, value=r.deadline)
        deadline.number_format = "dd/mm/yyyy"
        overdue.append([i, r.code, r.content, r.assignee, r.assignee_code, r.unit, deadline, r.days_late, r.progress,
                        r.status])  # fmt: skip
    people = _sheet(
        wb, "KPI cán bộ",
        ["STT", "Mã cán bộ", "Họ và tên", "Đơn vị", "Số nhiệm vụ", "Đã đến hạn/hoàn thành", "Đúng hạn",
         "Hoàn thành trễ", "Hoàn thành (không rõ ngày)", "Quá hạn", "KPI"],
        [6, 12, 28, 40, 12, 22, 10, 15, 26, 10, 8], intro,
    )  # fmt: skip
    for i, k in enumerate(data.officials, start=1):
        p = k.parts
        people.append(
            [
                i,
                k.code,
                k.full_name,
                k.unit,
                k.total,
                p.judged,
                p.on_time,
                p.late,
                p.undated,
                p.overdue,
                k.score,
            ]
        )
    notes = wb.create_sheet("Cách tính KPI")
    notes.column_dimensions["A"].width = 120
    notes.append(_cells(notes, ["Cách tính KPI"], font=TITLE_FONT))
    notes.append([KPI_EXPLANATION])
    notes.append(
        [
            "Quá hạn: chưa hoàn thành và thời hạn trước ngày báo cáo. Đúng hạn: hoàn thành không muộn hơn thời hạn."
        ]
    )
    wb.save(target)


def xlsx_bytes(data: ReportData) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(data, buffer)
    return buffer.getvalue()


# --- docx --------------------------------------------------------------------------------------------------


def administrative_date(place: str, day: date) -> str:
    """ "Hà Nội, ngày 05 tháng 02 năm 2026": days below 10 and months below 3 take a leading zero
    (Nghị định 30/2020/NĐ-CP, so a date cannot be altered by adding a digit)."""
    d = f"{day.day:02d}" if day.day < 10 else str(day.day)
    m = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {d} tháng {m} năm {day.year}"


def _run(paragraph, text: str, *, bold: bool = False, italic: bool = False, size: float | None = None,
         underline: bool = False):  # fmt: skip
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    if size:
        run.font.size = Pt(size)
    return run


def _para(container, text: str = "", *, align=WD_ALIGN_PARAGRAPH.LEFT, space_after: float = 0, **fmt):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    paragraph.paragraph_format.space_before = Pt(0)
    if text:
        _run(paragraph, text, **fmt)
    return paragraph


def _cell_paragraph(cell, text: str, *, align=WD_ALIGN_PARAGRAPH.CENTER, **fmt):
    """Write into a table cell's first (empty) paragraph, then add more paragraphs with `_para`."""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    _run(paragraph, text, **fmt)
    return paragraph


def _table(
    document, headers: list[str], rows: list[list[str]], widths: list[float], *, bold_last: bool = False
):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header, width in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = Cm(width)
        _cell_paragraph(cell, header, bold=True, size=11)
    for n, values in enumerate(rows):
        cells = table.add_row().cells
        last = bold_last and n == len(rows) - 1
        for i, (cell, value, width) in enumerate(zip(cells, values, widths, strict=True)):
            cell.width = Cm(width)
            align = WD_ALIGN_PARAGRAPH.LEFT if i in (1, 2) and len(value) > 8 else WD_ALIGN_PARAGRAPH.CENTER
            _cell_paragraph(cell, value, align=align, size=11, bold=last)
    return table


def _unit_row(index: str, node: UnitProgress, kpi: KpiParts) -> list[str]:
    return [index, node.unit, str(node.total), str(node.done), str(node.done_on_time), str(node.in_progress),
            str(node.overdue), pct(node.completion_rate), format_kpi(kpi.score)]  # fmt: skip


def write_docx(data: ReportData, target: str | Path | BinaryIO, *, place: str | None = None) -> None:
    """The report as a Word document: header (issuing body | quốc hiệu, tiêu ngữ, place and date), title,
    I. general situation, II. table per unit, III. overdue tasks, IV. proposals (to fill in), signature."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    style.font.size = Pt(13)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)

    header = document.add_table(rows=1, cols=2)
    left, right = header.rows[0].cells
    left.width, right.width = Cm(7), Cm(9.5)
    if data.parent_name:  # the governing body above the issuing unit, then the unit itself in bold
        _cell_paragraph(left, data.parent_name.upper(), size=12)
        _para(left, data.unit_name.upper(), align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=12)
    else:
        _cell_paragraph(left, data.unit_name.upper(), bold=True, size=12)
    _para(left, "―――――", align=WD_ALIGN_PARAGRAPH.CENTER, size=10)
    _para(left, "Số:       /BC-……", align=WD_ALIGN_PARAGRAPH.CENTER, size=13)
    _cell_paragraph(right, QUOC_HIEU, bold=True, size=12)
    _para(right, TIEU_NGU, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=13)
    _para(right, "―――――――――――", align=WD_ALIGN_PARAGRAPH.CENTER, size=10)
    _para(right, administrative_date(place or PLACE_PLACEHOLDER, data.today), align=WD_ALIGN_PARAGRAPH.CENTER,
          italic=True, size=13)  # fmt: skip

    _para(document, "", space_after=6)
    _para(document, TITLE, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=14)
    _para(
        document,
        (f"của {data.unit_name} và các đơn vị trực thuộc" if data.unit_id else "của các đơn vị")
        + f", tính đến ngày {format_date(data.today)}",
        align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=13, space_after=12,
    )  # fmt: skip

    r, kpi = data.report, data.kpi
    _para(document, "I. TÌNH HÌNH CHUNG", bold=True, space_after=6)
    _para(
        document,
        f"Tổng số nhiệm vụ được giao: {r.total}; đã hoàn thành: {r.done} ({pct(r.completion_rate)}), trong đó "
        f"hoàn thành đúng hạn: {r.done_on_time}; đang thực hiện, chưa đến hạn: {r.in_progress}; quá hạn chưa "
        f"hoàn thành: {r.overdue}. Chỉ số KPI: {format_kpi(kpi.score)}/100.",
        align=WD_ALIGN_PARAGRAPH.JUSTIFY, space_after=6,
    )  # fmt: skip
    _para(document, KPI_EXPLANATION, align=WD_ALIGN_PARAGRAPH.JUSTIFY, italic=True, size=12, space_after=12)

    _para(document, "II. TỔNG HỢP THEO ĐƠN VỊ", bold=True, space_after=6)
    nodes = sorted_rows(r) or [r]
    rows = [_unit_row(str(i), n, data.unit_kpi(n)) for i, n in enumerate(nodes, start=1)]
    if r.units:
        total = Counts(r.total, r.done, r.done_on_time, r.overdue)
        rows.append(_unit_row("", UnitProgress.build("Tổng cộng", total, [], r.unit_id), kpi))
    _table(
        document,
        ["STT", "Đơn vị", "Tổng số", "Hoàn thành", "Đúng hạn", "Đang thực hiện", "Quá hạn", "Tỷ lệ HT", "KPI"],
        rows, [1.0, 5.2, 1.4, 1.6, 1.5, 1.7, 1.4, 1.5, 1.2], bold_last=bool(r.units),
    )  # fmt: skip

    _para(document, "", space_after=6)
    _para(document, "III. DANH SÁCH NHIỆM VỤ QUÁ HẠN", bold=True, space_after=6)
    if not data.overdue:
        _para(document, "Không có nhiệm vụ quá hạn.", space_after=6)
    else:
        shown = data.overdue[:DOCX_OVERDUE_LIMIT]
        _table(
            document,
            ["STT", "Mã nhiệm vụ", "Nội dung", "Người thực hiện", "Đơn vị chủ trì", "Thời hạn", "Quá hạn (ngày)",
             "Tiến độ"],
            [[str(i), o.code, o.content if len(o.content) <= 300 else o.content[:299] + "…", o.assignee, o.unit,
              format_date(o.deadline), str(o.days_late), f"{o.progress}%"] for i, o in enumerate(shown, start=1)],
            [1.0, 2.0, 5.0, 2.6, 2.6, 2.0, 1.5, 1.4],
        )  # fmt: skip
        if len(data.overdue) > len(shown):
            _para(
                document,
                f"(Trên đây là {len(shown)} nhiệm vụ quá hạn lâu nhất; danh sách đầy đủ {len(data.overdue)} nhiệm vụ "
                "trong tệp Excel kèm theo.)",
                italic=True, size=12,
            )  # fmt: skip

    _para(document, "", space_after=6)
    _para(document, "IV. ĐỀ XUẤT, KIẾN NGHỊ", bold=True, space_after=6)
    for _ in range(2):
        _para(document, "……………………………………………………………………………………………………………", space_after=6)

    _para(document, "", space_after=6)
    signature = document.add_table(rows=1, cols=2)
    left, right = signature.rows[0].cells
    left.width, right.width = Cm(8), Cm(8.5)
    _cell_paragraph(left, "Nơi nhận:", align=WD_ALIGN_PARAGRAPH.LEFT, bold=True, italic=True, size=12)
    for line in ("- Như trên;", "- Lãnh đạo đơn vị;", "- Lưu: VT."):
        _para(left, line, size=11)
    _cell_paragraph(right, "THỦ TRƯỞNG ĐƠN VỊ", bold=True, size=13)
    _para(right, "(Ký, ghi rõ họ tên và đóng dấu)", align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, size=13)
    for _ in range(4):
        _para(right, "")
    _para(right, "……………………………", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    document.core_properties.title = f"{TITLE} – {data.unit_name}"
    document.core_properties.author = "Trợ lý công vụ"
    document.save(target)


def docx_bytes(data: ReportData, *, place: str | None = None) -> bytes:
    buffer = io.BytesIO()
    write_docx(data, buffer, place=place)
    return buffer.getvalue()
