"""Reading office spreadsheets (.xlsx or .csv) into rows keyed by the docs/cli.md §4 headers.

Headers are matched after trimming, NFC and case folding, and also without diacritics or punctuation, so a
sheet typed as "Ma can bo" or "TIẾN ĐỘ" still works. Row numbers are those the user sees in Excel (the
header is row 1), because every import error points at one.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks.normalize import fold_key, nfc


class SpreadsheetError(ValueError):
    """The file cannot be read as a table; the message (Vietnamese) says why and what to do."""


@dataclass(frozen=True)
class Row:
    """One data row: `number` as shown in the spreadsheet, `values` keyed by canonical header."""

    number: int
    values: dict[str, Any]

    def get(self, header: str) -> Any:
        return self.values.get(header)


@dataclass
class Table:
    """A sheet read into memory. `headers` are the canonical names found, in file order."""

    path: Path
    headers: list[str]
    rows: list[Row]
    modified: datetime | None = None  # when the file itself says it was last saved (UTC)
    unknown_headers: list[str] = field(default_factory=list)

    def missing(self, required: Sequence[str]) -> list[str]:
        return [h for h in required if h not in self.headers]


SUPPORTED = (".xlsx", ".xlsm", ".csv")


def read_table(path: str | Path, expected_headers: Sequence[str]) -> Table:
    """Read the first sheet of `path` (or the CSV); fully empty rows are skipped but keep their number.

    Raises `SpreadsheetError` for a missing, empty, corrupt or unsupported file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        if suffix == ".xls":
            raise SpreadsheetError(
                f"Tệp “{path.name}” là định dạng Excel cũ (.xls), chưa hỗ trợ: hãy mở bằng Excel và "
                "lưu lại dưới dạng .xlsx."
            )
        raise SpreadsheetError(f"Không hỗ trợ tệp “{path.name}”: chỉ nhận bảng tính .xlsx hoặc .csv (UTF-8).")
    if not path.is_file():
        raise SpreadsheetError(f"Không tìm thấy tệp “{path}”.")
    if path.stat().st_size == 0:
        raise SpreadsheetError(f"Tệp “{path.name}” trống (0 byte).")
    if suffix == ".csv":
        raw_rows, modified = _read_csv(path), None
    else:
        raw_rows, modified = _read_xlsx(path)
    table = _to_table(path, raw_rows, expected_headers)
    table.modified = modified
    return table


def file_timestamp(path: str | Path, table: Table | None = None) -> datetime:
    """When the spreadsheet was last changed: the xlsx "modified" property, else the file's mtime (UTC)."""
    if table is not None and table.modified is not None:
        return table.modified
    return datetime.fromtimestamp(Path(path).stat().st_mtime, UTC)


def _read_xlsx(path: Path) -> tuple[list[list[Any]], datetime | None]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise SpreadsheetError(
            f"Không đọc được tệp “{path.name}”: tệp bị hỏng hoặc không phải tệp Excel .xlsx ({type(exc).__name__})."
        ) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise SpreadsheetError(f"Tệp “{path.name}” không có trang tính nào.")
        rows: list[list[Any]] = []
        for cells in sheet.iter_rows():
            rows.append([_cell_value(c) for c in cells])
        modified = workbook.properties.modified
    except SpreadsheetError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged XML inside the zip
        raise SpreadsheetError(f"Không đọc được nội dung tệp “{path.name}”: tệp có thể bị hỏng.") from exc
    finally:
        workbook.close()
    if modified is not None:
        modified = modified.replace(tzinfo=UTC) if modified.tzinfo is None else modified.astimezone(UTC)
    return rows, modified


def _cell_value(cell: Any) -> Any:
    """A cell's value; a number formatted as percent (0.5 shown as 50%) becomes the text "50%"."""
    value = getattr(cell, "value", None)
    if isinstance(value, str):
        return nfc(value) or None
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and "%" in (getattr(cell, "number_format", "") or ""):
        return f"{round(value * 100, 6):g}%"
    return value


def _read_csv(path: Path) -> list[list[Any]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            f"Tệp “{path.name}” không phải văn bản UTF-8: khi lưu CSV từ Excel, hãy chọn “CSV UTF-8”."
        ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    try:
        return [
            [nfc(v) or None for v in record] for record in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    except csv.Error as exc:
        raise SpreadsheetError(f"Tệp CSV “{path.name}” sai định dạng: {exc}.") from exc


def _to_table(path: Path, raw_rows: list[list[Any]], expected: Sequence[str]) -> Table:
    header_index = next((i for i, r in enumerate(raw_rows) if any(v is not None for v in r)), None)
    if header_index is None:
        raise SpreadsheetError(f"Tệp “{path.name}” không có dữ liệu (không thấy dòng tiêu đề).")
    by_key = {fold_key(h): h for h in expected}
    columns: dict[int, str] = {}
    unknown: list[str] = []
    for position, value in enumerate(raw_rows[header_index]):
        if value is None:
            continue
        canonical = by_key.get(fold_key(str(value)))
        if canonical is None or canonical in columns.values():
            unknown.append(str(value))
            continue
        columns[position] = canonical
    rows: list[Row] = []
    for offset, raw in enumerate(raw_rows[header_index + 1 :], start=header_index + 2):
        values = {name: raw[pos] if pos < len(raw) else None for pos, name in columns.items()}
        values = {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in values.items()}
        if all(v is None for v in values.values()):
            continue
        rows.append(Row(number=offset, values=values))
    return Table(path=path, headers=list(columns.values()), rows=rows, unknown_headers=unknown)
