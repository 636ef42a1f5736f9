"""Parts both imports share: open and check a sheet, parse one cell into the report, find duplicates, apply
changed fields with an audit callback, and run the whole import as one all-or-nothing transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from tasks import columns as C
from tasks.importing.report import ImportReport, Progress
from tasks.normalize import (
    cell_text,
    parse_date,
)
from tasks.spreadsheets import Row, SpreadsheetError, Table, read_table
from vntext import clean_line

T = TypeVar("T")


def open_table(
    path: Path,
    headers: tuple[str, ...],
    required: tuple[str, ...],
    report: ImportReport,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> Table | None:
    """Read the file and check its columns; problems go into the report and None is returned."""
    try:
        reading = (lambda done, total: progress("read", done, total)) if progress is not None else None
        table = read_table(path, headers, required=required, sheet=sheet, progress=reading)
    except SpreadsheetError as exc:
        report.error(None, None, str(exc))
        return None
    report.sheet = table.sheet
    where = f" (dòng {table.header_row}" + (f", trang “{table.sheet}”)" if table.sheet else ")")
    for header in table.missing(required):
        report.error(table.header_row, header, f"Thiếu cột bắt buộc “{header}” ở dòng tiêu đề{where}.")
    if report.errors:
        return None
    if not table.rows:
        report.error(None, None, f"Tệp “{path.name}” không có dòng dữ liệu nào (chỉ có dòng tiêu đề).")
        return None
    return table


def parse_cell(
    report: ImportReport, row: Row, column: str, parse: Callable[[Any], T], required: bool = False
) -> T | None:
    """Parse one cell; an empty optional cell is None, an empty required cell or a bad value is an error.

    A formula cell saved without its computed value is an error too (it is not empty: Excel would show a
    value), and so is every bad value; messages name the cell (e.g. "Ô E7") and what was read.
    """
    raw = row.get(column)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if column in row.uncomputed:
            report.error(
                row.number, column,
                f"Ô {row.ref(column)} là công thức chưa được tính: mở tệp bằng Excel/LibreOffice, "
                "lưu lại rồi nhập.",
            )  # fmt: skip
        elif required:
            report.error(row.number, column, f"Ô {row.ref(column)} đang để trống (bắt buộc).")
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        message = str(exc)
        if parse is parse_date:
            message = f"Ô {row.ref(column)}: {message[0].lower()}{message[1:]}"  # the column is named beside
        report.error(row.number, column, message)
        return None


def code_value(value: Any) -> str:
    text = clean_line(cell_text(value) or "")
    if len(text) > C.CODE_MAX_LENGTH:
        raise ValueError(f"Mã “{text[:20]}…” dài quá {C.CODE_MAX_LENGTH} ký tự.")
    return text


def text_value(value: Any) -> str:
    return cell_text(value) or ""


def name_value(value: Any) -> str:
    """Names and units: one line, invisible characters and look-alike letters removed (`vntext`)."""
    return clean_line(cell_text(value) or "")


def check_duplicates(report: ImportReport, column: str, items: Iterable[tuple[int, str | None]]) -> None:
    """Report every repeat of a value (case-insensitive) with the row of its first occurrence."""
    first: dict[str, int] = {}
    for row, value in items:
        if not value:
            continue
        key = value.casefold()
        if key in first:
            report.error(row, column, f"{column} “{value}” trùng với dòng {first[key]}.")
        else:
            first[key] = row


def apply_fields(obj: Any, values: dict[str, Any], record: Callable[[str, Any, Any], None]) -> bool:
    """Set the attributes that differ, auditing each; True when anything changed."""
    changed = False
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            record(name, old, new)
            setattr(obj, name, new)
            changed = True
    return changed


def run_all_or_nothing(
    session: Session, report: ImportReport, work: Callable[[], None], *, dry_run: bool = False
) -> ImportReport:
    """Run `work` in one transaction: commit when the report has no error, roll back otherwise.

    `dry_run`: roll back even without errors, keeping the counts: the report says exactly what the import
    would do (the same validation and the same writes, none of them kept)."""
    try:
        work()
        if dry_run:
            session.rollback()
            report.dry_run = True
        if report.errors:
            session.rollback()
            report.created = report.updated = report.unchanged = report.units_created = 0
            report.conflicts.clear()
            report.deactivated.clear()
        elif not dry_run:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return report
