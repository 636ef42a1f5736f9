"""Exporting tasks to an .xlsx the office can use as is, and re-import without loss.

The columns are exactly those of docs/cli.md §4, in order, holding the same values the import reads: codes,
unit names, real Excel dates (shown dd/mm/yyyy), status labels, progress numbers. Formatting (bold
frozen header, widths, status colours, overdue rows in red, filter) is only presentation.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from tasks import columns as C
from tasks.models import Task
from tasks.normalize import TaskStatus

DATE_FORMAT = "dd/mm/yyyy"
WIDTHS = {
    C.MA_NHIEM_VU: 14,
    C.NOI_DUNG: 60,
    C.NGUOI_THUC_HIEN: 16,
    C.DON_VI_CHU_TRI: 30,
    C.THOI_HAN: 13,
    C.SAN_PHAM: 36,
    C.NGUOI_GIAO: 28,
    C.VAN_BAN_GIAO: 26,
    C.TRANG_THAI: 16,
    C.TIEN_DO: 11,
    C.NGAY_HOAN_THANH: 16,
}
STATUS_FILLS = {
    TaskStatus.CHUA_BAT_DAU: "E7E6E6",
    TaskStatus.DANG_THUC_HIEN: "DDEBF7",
    TaskStatus.HOAN_THANH: "C6EFCE",
    TaskStatus.TAM_DUNG: "FFEB9C",
    TaskStatus.DA_HUY: "D0CECE",
    TaskStatus.CHO_DUYET: "E4DFEC",
}
OVERDUE_FILL = "FFC7CE"
OVERDUE_FONT = "9C0006"
HEADER_FILL = "D9E1F2"


def _fill(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


def export_tasks(
    session: Session, path: str | Path, today: date, query: Select[tuple[Task]] | None = None
) -> int:
    """Write the tasks (default: all; or those of `query`, a `select(Task)`) to `path`; returns how many.

    `today` decides which rows are highlighted as overdue (docs/cli.md §4 definition).
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"Tệp xuất phải có đuôi .xlsx (nhận được “{path.name}”).")
    query = query if query is not None else select(Task)
    tasks = session.scalars(
        query.options(selectinload(Task.assignee), selectinload(Task.lead_unit)).order_by(
            Task.deadline, Task.code
        )
    ).all()

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Nhiệm vụ"
    sheet.append(list(C.TASK_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _fill(HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="center")

    status_col = C.TASK_HEADERS.index(C.TRANG_THAI) + 1
    date_cols = [C.TASK_HEADERS.index(h) + 1 for h in (C.THOI_HAN, C.NGAY_HOAN_THANH)]
    wrap_cols = [C.TASK_HEADERS.index(h) + 1 for h in (C.NOI_DUNG, C.SAN_PHAM)]
    overdue_fill, overdue_font = _fill(OVERDUE_FILL), Font(color=OVERDUE_FONT)
    for row_number, task in enumerate(tasks, start=2):
        sheet.append(
            [
                task.code,
                task.content,
                task.assignee.code,
                task.lead_unit.name,
                task.deadline,
                task.product,
                task.assigned_by,
                task.source_document,
                task.status.label,
                task.progress,
                task.completed_on,
            ]
        )
        row = sheet[row_number]
        if task.is_overdue(today):
            for cell in row:
                cell.fill = overdue_fill
                cell.font = overdue_font
        row[status_col - 1].fill = _fill(STATUS_FILLS[task.status])
        for col in date_cols:
            row[col - 1].number_format = DATE_FORMAT
        for col in wrap_cols:
            row[col - 1].alignment = Alignment(wrap_text=True, vertical="top")

    for index, header in enumerate(C.TASK_HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[header]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(C.TASK_HEADERS))}{max(1, len(tasks) + 1)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return len(tasks)
