"""The progress report as an `.xlsx` workbook: every unit, every overdue task, every official's KPI
(write-only openpyxl, fast for 100,000 tasks)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from tasks.normalize import format_date
from tasks.report_files.data import KPI_EXPLANATION, TITLE, ReportData, walk

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
    """Sheets "Tổng hợp" (every unit of the subtree), "Quá hạn" (every overdue task), "Theo văn bản giao"
    (each assigning document's tasks by unit; only when tasks name documents), "KPI cán bộ", "Cách tính KPI".
    Numbers are numbers (percentages with a % format, deadlines as dates)."""
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
         "Số ngày quá hạn", "Tiến độ (%)", "Trạng thái", "Gia hạn từ"],
        [6, 14, 60, 26, 12, 36, 12, 15, 11, 16, 12], [*intro, f"{len(data.overdue)} nhiệm vụ quá hạn"],
    )  # fmt: skip
    for i, r in enumerate(data.overdue, start=1):  # plain values (fast) except the date, which needs a format
        deadline = WriteOnlyCell(overdue, value=r.deadline)
        deadline.number_format = "dd/mm/yyyy"
        first = WriteOnlyCell(overdue, value=r.original_deadline)  # empty unless an extension moved it
        first.number_format = "dd/mm/yyyy"
        overdue.append([i, r.code, r.content, r.assignee, r.assignee_code, r.unit, deadline, r.days_late, r.progress,
                        r.status, first])  # fmt: skip
    if data.documents:
        _documents_sheet(wb, data, intro)
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


def _documents_sheet(wb: Workbook, data: ReportData, intro: list[str]) -> None:
    """One block per assigning document: its row (bold), then every unit of the subtree with such tasks."""
    sheet = _sheet(
        wb, "Theo văn bản giao",
        ["STT", "Văn bản giao", "Đơn vị", "Cấp", "Tổng số", "Hoàn thành", "Đúng hạn", "Đang thực hiện", "Quá hạn",
         "Tỷ lệ hoàn thành"],
        [6, 36, 55, 6, 10, 12, 11, 15, 10, 16], [*intro, f"{len(data.documents)} văn bản giao"],
    )  # fmt: skip
    for i, section in enumerate(data.documents, start=1):
        for depth, node in walk(section.report):
            values = [i if depth == 0 else None, section.document if depth == 0 else None,
                      "    " * depth + node.unit, depth, node.total, node.done, node.done_on_time,
                      node.in_progress, node.overdue, node.completion_rate]  # fmt: skip
            sheet.append(_cells(sheet, values, font=BOLD if depth == 0 else None, formats={9: "0.0%"}))


def xlsx_bytes(data: ReportData) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(data, buffer)
    return buffer.getvalue()
