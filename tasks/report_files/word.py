"""The progress report as a `.docx` in the Vietnamese administrative layout (Nghị định 30/2020/NĐ-CP): the
sub-units one level down, the most overdue tasks (`DOCX_OVERDUE_LIMIT`), a signature block for the signer."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import BinaryIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from tasks.document_progress import listed_level
from tasks.kpi import (
    KpiParts,
    format_kpi,
)
from tasks.normalize import format_date
from tasks.progress_view import pct, sorted_rows
from tasks.report_files.data import KPI_EXPLANATION, TITLE, OverdueRow, ReportData
from tasks.reporting import Counts, UnitProgress

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
DOCX_OVERDUE_LIMIT = 100
DOCX_DOCUMENT_LIMIT = 15  # assigning documents with a section of their own (the rest: the spreadsheet)
ROMAN = ("I", "II", "III", "IV", "V", "VI")
PLACE_PLACEHOLDER = "……………"


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
    I. general situation, II. table per unit, then — when tasks name assigning documents — a part per
    document (its units, `DOCX_DOCUMENT_LIMIT` most assigned), the overdue tasks, proposals (to fill in),
    signature."""
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

    part = iter(ROMAN[2:])
    if data.documents:
        _para(document, "", space_after=6)
        _para(document, f"{next(part)}. TIẾN ĐỘ THEO VĂN BẢN GIAO", bold=True, space_after=6)
        _document_parts(document, data)
    _para(document, "", space_after=6)
    _para(document, f"{next(part)}. DANH SÁCH NHIỆM VỤ QUÁ HẠN", bold=True, space_after=6)
    if not data.overdue:
        _para(document, "Không có nhiệm vụ quá hạn.", space_after=6)
    else:
        shown = data.overdue[:DOCX_OVERDUE_LIMIT]
        _table(
            document,
            ["STT", "Mã nhiệm vụ", "Nội dung", "Người thực hiện", "Đơn vị chủ trì", "Thời hạn", "Quá hạn (ngày)",
             "Tiến độ"],
            [[str(i), o.code, o.content if len(o.content) <= 300 else o.content[:299] + "…", o.assignee, o.unit,
              _deadline_cell(o), str(o.days_late), f"{o.progress}%"] for i, o in enumerate(shown, start=1)],
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
    _para(document, f"{next(part)}. ĐỀ XUẤT, KIẾN NGHỊ", bold=True, space_after=6)
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


def _document_parts(document, data: ReportData) -> None:
    """Per assigning document: a line with its figures, then its table by unit (one level of the subtree)."""
    shown = data.documents[:DOCX_DOCUMENT_LIMIT]
    for i, section in enumerate(shown, start=1):
        r = section.report
        _para(
            document,
            f"{i}. {section.document}: {r.total} nhiệm vụ; hoàn thành {r.done} ({pct(r.completion_rate)}), đúng hạn "
            f"{r.done_on_time}; đang thực hiện {r.in_progress}; quá hạn {r.overdue}.",
            bold=True, space_after=4, size=13,
        )  # fmt: skip
        level = listed_level(r)
        nodes = sorted_rows(level) or [level]
        _table(
            document,
            ["STT", "Đơn vị", "Tổng số", "Hoàn thành", "Đúng hạn", "Đang thực hiện", "Quá hạn", "Tỷ lệ HT"],
            [_unit_row(str(n), node, KpiParts())[:-1] for n, node in enumerate(nodes, start=1)],
            [1.0, 6.4, 1.4, 1.6, 1.5, 1.7, 1.4, 1.5],
        )  # fmt: skip
        _para(document, "", space_after=4)
    if len(data.documents) > len(shown):
        _para(
            document,
            f"(Trên đây là {len(shown)} văn bản giao nhiều nhiệm vụ nhất; đủ {len(data.documents)} văn bản trong tệp "
            "Excel kèm theo.)",
            italic=True, size=12,
        )  # fmt: skip


def docx_bytes(data: ReportData, *, place: str | None = None) -> bytes:
    buffer = io.BytesIO()
    write_docx(data, buffer, place=place)
    return buffer.getvalue()


def _deadline_cell(row: OverdueRow) -> str:
    """ "30/12/2026", with "(gia hạn từ 15/12/2026)" under it when an approved extension moved it."""
    when = format_date(row.deadline)
    return f"{when}\n(gia hạn từ {format_date(row.original_deadline)})" if row.original_deadline else when
