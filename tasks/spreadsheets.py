"""Reading office spreadsheets (.xlsx or .csv) into rows keyed by the expected headers.

Spreadsheets come as offices make them, so the reader looks for the table instead of assuming where it is:
- hidden sheets are skipped, and among the visible ones the sheet whose header row holds the most expected
  headers is read (or the sheet the user names);
- the header row is searched in the first `HEADER_SEARCH_ROWS` rows, below title rows ("UBND TỈNH …",
  "DANH SÁCH NHIỆM VỤ …") and merged cells; a second header row under it (sub-headers of a merged group) is
  merged in, and a row that only numbers the columns ("(1)", "(2)", … or 1, 2, 3 …) is skipped;
- headers match after trimming, NFC and case folding, and also without diacritics or punctuation, so
  "Ma can bo" or "TIẾN ĐỘ" still work;
- text cells are cleaned (`vntext.clean`: zero-width characters, non-breaking spaces, look-alike letters);
- a formula cell saved without its computed value (a file written by a program, never opened in Excel) is
  remembered in `Table.uncomputed`, so the import can say so instead of reading it as empty.
Row numbers are those the user sees in Excel, because every import error points at one.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks.normalize import fold_key, nfc

HEADER_SEARCH_ROWS = 15
_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")

# (rows read so far, total rows or 0 when unknown)
ReadProgress = Callable[[int, int], None]


class SpreadsheetError(ValueError):
    """The file cannot be read as a table; the message (Vietnamese) says why and what to do."""


def column_letter(index: int) -> str:
    """Excel's name of the column at 0-based `index`: 0 → "A", 27 → "AB"."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


@dataclass(frozen=True)
class Row:
    """One data row: `number` as shown in the spreadsheet, `values` keyed by canonical header."""

    number: int
    values: dict[str, Any]
    positions: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    uncomputed: frozenset[str] = frozenset()  # headers whose cell is a formula without a saved value

    def get(self, header: str) -> Any:
        return self.values.get(header)

    def ref(self, header: str) -> str:
        """The cell's Excel address, e.g. "E7" (the header's name if its column is unknown)."""
        position = self.positions.get(header)
        return f"{column_letter(position)}{self.number}" if position is not None else header


@dataclass
class Table:
    """A sheet read into memory. `headers` are the canonical names found, in file order."""

    path: Path
    headers: list[str]
    rows: list[Row]
    modified: datetime | None = None  # when the file itself says it was last saved (UTC)
    unknown_headers: list[str] = field(default_factory=list)
    sheet: str | None = None  # the sheet read (None for CSV)
    header_row: int = 1  # where the headers were found (Excel numbering)
    # (row number, canonical header) of formula cells that have no saved value
    uncomputed: set[tuple[int, str]] = field(default_factory=set)

    def missing(self, required: Sequence[str]) -> list[str]:
        return [h for h in required if h not in self.headers]


SUPPORTED = (".xlsx", ".xlsm", ".csv")


def read_table(
    path: str | Path,
    expected_headers: Sequence[str],
    *,
    required: Sequence[str] = (),
    sheet: str | None = None,
    progress: ReadProgress | None = None,
) -> Table:
    """Read the table of `path` (the CSV, or the best visible sheet, or `sheet` by name).

    `required` headers weigh most when choosing the sheet and the header row. Fully empty rows are skipped
    but keep their number. Raises `SpreadsheetError` for a missing, empty, corrupt or unsupported file, an
    unknown `sheet`, or a workbook without a visible sheet.
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
    matcher = _HeaderMatcher(expected_headers, required)
    if suffix == ".csv":
        if sheet is not None:
            raise SpreadsheetError(f"Tệp CSV “{path.name}” chỉ có một trang; bỏ tùy chọn --sheet.")
        raw_rows = _read_csv(path)
        table = _to_table(path, raw_rows, matcher)
        if progress is not None:
            progress(len(raw_rows), len(raw_rows))
        return table
    return _read_xlsx(path, matcher, sheet, progress)


def file_timestamp(path: str | Path, table: Table | None = None) -> datetime:
    """When the spreadsheet was last changed: the xlsx "modified" property, else the file's mtime (UTC)."""
    if table is not None and table.modified is not None:
        return table.modified
    return datetime.fromtimestamp(Path(path).stat().st_mtime, UTC)


# --- headers ---------------------------------------------------------------------------------------


class _HeaderMatcher:
    """Which expected header a cell names, and how well a row looks like the header row."""

    def __init__(self, expected: Sequence[str], required: Sequence[str]) -> None:
        self.by_key = {fold_key(h): h for h in expected}
        self.required = set(required)

    def canonical(self, value: Any) -> str | None:
        if value is None or not isinstance(value, str | int | float):
            return None
        return self.by_key.get(fold_key(str(value)))

    def score(self, row: Sequence[Any]) -> tuple[int, int]:
        """(required headers named, expected headers named) in `row`."""
        names = {self.canonical(v) for v in row} - {None}
        return len(names & self.required), len(names)

    def best_row(self, rows: Sequence[Sequence[Any]]) -> tuple[int, tuple[int, int]] | None:
        """Index (in `rows`) of the row that looks most like the header row, and its score."""
        best: tuple[int, tuple[int, int]] | None = None
        for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            score = self.score(row)
            if score[1] and (best is None or score > best[1]):
                best = (index, score)
        return best


def _is_numbering_row(row: Sequence[Any]) -> bool:
    """A row under the headers that only numbers the columns: "(1)", "(2)", … or 1, 2, 3 …"""
    values = [v for v in row if v is not None and str(v).strip()]
    if len(values) < 3:
        return False
    texts = [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip() for v in values]
    if not all(_COLUMN_NUMBER.match(t) for t in texts):
        return False
    numbers = [int(t.strip("()")) for t in texts]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _to_table(
    path: Path,
    raw_rows: list[list[Any]],
    matcher: _HeaderMatcher,
    *,
    sheet: str | None = None,
    formulas: set[tuple[int, int]] | None = None,
) -> Table:
    """Find the header row in `raw_rows` (row i is Excel row i + 1) and key the data rows by header."""
    found = matcher.best_row(raw_rows)
    if found is None:
        where = f"trang “{sheet}” của tệp" if sheet else "tệp"
        expected = ", ".join(f"“{h}”" for h in matcher.by_key.values())
        first = next((i for i, r in enumerate(raw_rows) if any(v is not None for v in r)), None)
        if first is None:
            raise SpreadsheetError(f"Tệp “{path.name}” không có dữ liệu (không thấy dòng tên cột).")
        raise SpreadsheetError(
            f"Không thấy dòng tên cột trong {HEADER_SEARCH_ROWS} dòng đầu của {where} “{path.name}”: "
            f"cần một dòng ghi tên các cột như {expected}."
        )
    header_index = found[0]
    columns: dict[int, str] = {}
    unknown: list[str] = []
    for position, value in enumerate(raw_rows[header_index]):
        canonical = matcher.canonical(value)
        if canonical is None or canonical in columns.values():
            if value is not None:
                unknown.append(str(value))
            continue
        columns[position] = canonical
    data_start = header_index + 1
    # A second header row (sub-headers under a merged group header) adds the columns it names.
    if data_start < len(raw_rows):
        extra = {
            p: c
            for p, v in enumerate(raw_rows[data_start])
            if (c := matcher.canonical(v)) is not None and p not in columns and c not in columns.values()
        }
        if extra:
            columns.update(extra)
            data_start += 1
    if data_start < len(raw_rows) and _is_numbering_row(raw_rows[data_start]):
        data_start += 1
    positions = {name: pos for pos, name in columns.items()}
    rows: list[Row] = []
    uncomputed: set[tuple[int, str]] = set()
    for index in range(data_start, len(raw_rows)):
        raw = raw_rows[index]
        number = index + 1
        values: dict[str, Any] = {}
        pending: set[str] = set()
        for pos, name in columns.items():
            value = raw[pos] if pos < len(raw) else None
            if isinstance(value, str) and not value.strip():
                value = None
            if value is None and formulas and (number, pos) in formulas:
                pending.add(name)
            values[name] = value
        if all(v is None for v in values.values()) and not pending:
            continue
        uncomputed.update((number, name) for name in pending)
        rows.append(Row(number, values, positions, frozenset(pending)))
    return Table(
        path=path, headers=list(columns.values()), rows=rows, unknown_headers=unknown, sheet=sheet,
        header_row=header_index + 1, uncomputed=uncomputed,
    )  # fmt: skip


# --- xlsx ------------------------------------------------------------------------------------------


def _read_xlsx(
    path: Path, matcher: _HeaderMatcher, wanted_sheet: str | None, progress: ReadProgress | None
) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise SpreadsheetError(
            f"Không đọc được tệp “{path.name}”: tệp bị hỏng hoặc không phải tệp Excel .xlsx ({type(exc).__name__})."
        ) from exc
    try:
        sheet = _choose_sheet(path, workbook, matcher, wanted_sheet)
        total = max(0, (sheet.max_row or 0))
        rows: list[list[Any]] = []
        for cells in sheet.iter_rows():
            rows.append([_cell_value(c) for c in cells])
            if progress is not None and len(rows) % 2000 == 0:
                progress(len(rows), total)
        modified = workbook.properties.modified
        sheet_path = getattr(sheet, "_worksheet_path", None)
    except SpreadsheetError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged XML inside the zip
        raise SpreadsheetError(f"Không đọc được nội dung tệp “{path.name}”: tệp có thể bị hỏng.") from exc
    finally:
        workbook.close()
    if progress is not None:
        progress(len(rows), len(rows))
    formulas = _formula_cells(path, sheet.title, sheet_path) if sheet_path else set()
    table = _to_table(path, rows, matcher, sheet=sheet.title, formulas=formulas)
    if modified is not None:
        modified = modified.replace(tzinfo=UTC) if modified.tzinfo is None else modified.astimezone(UTC)
    table.modified = modified
    return table


def _choose_sheet(path: Path, workbook: Any, matcher: _HeaderMatcher, wanted: str | None) -> Any:
    """The sheet named `wanted`, else the visible sheet whose header row names the most expected headers."""
    sheets = list(workbook.worksheets)
    if not sheets:
        raise SpreadsheetError(f"Tệp “{path.name}” không có trang tính nào.")
    visible = [s for s in sheets if getattr(s, "sheet_state", "visible") == "visible"]
    if wanted is not None:
        key = fold_key(wanted)
        named = [s for s in sheets if s.title == wanted] or [s for s in sheets if fold_key(s.title) == key]
        if not named:
            listed = ", ".join(f"“{s.title}”" for s in visible) or "(không có trang hiện)"
            raise SpreadsheetError(
                f"Tệp “{path.name}” không có trang “{wanted}”; các trang hiện có: {listed}."
            )
        return named[0]
    if not visible:
        raise SpreadsheetError(f"Tệp “{path.name}” chỉ có trang tính bị ẩn: hãy bỏ ẩn trang chứa dữ liệu.")
    scores = {id(sheet): _header_score(sheet, matcher) for sheet in visible}
    best = max(visible, key=lambda sheet: scores[id(sheet)])  # the first of equals
    if scores[id(best)] == (0, 0):
        hidden = [s for s in sheets if s not in visible and _header_score(s, matcher) != (0, 0)]
        if hidden:
            name = hidden[0].title
            raise SpreadsheetError(
                f"Bảng dữ liệu của tệp “{path.name}” nằm ở trang bị ẩn “{name}”: hãy bỏ ẩn trang đó rồi lưu "
                f"lại, hoặc chọn nó bằng tùy chọn --sheet “{name}”."
            )
    return best


def _header_score(sheet: Any, matcher: _HeaderMatcher) -> tuple[int, int]:
    head = [[_cell_value(c) for c in cells] for cells in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS)]
    found = matcher.best_row(head)
    return found[1] if found else (0, 0)


def _formula_cells(path: Path, title: str, sheet_path: str) -> set[tuple[int, int]]:
    """(row number, 0-based column) of every formula cell of the sheet; empty when it has none.

    A quick scan of the sheet's XML decides whether a second, formula-reading pass is needed at all, so
    ordinary files (no formulas) are read once.
    """
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive, archive.open(sheet_path.lstrip("/")) as xml:
            has_formula = False
            tail = b""
            while chunk := xml.read(1 << 20):
                if _FORMULA_ELEMENT.search(tail + chunk):
                    has_formula = True
                    break
                tail = chunk[-8:]
    except (KeyError, OSError, zipfile.BadZipFile):
        return set()
    if not has_formula:
        return set()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found: set[tuple[int, int]] = set()
        for number, cells in enumerate(workbook[title].iter_rows(), start=1):
            for position, cell in enumerate(cells):
                value = getattr(cell, "value", None)
                if (isinstance(value, str) and value.startswith("=")) or getattr(
                    cell, "data_type", ""
                ) == "f":
                    found.add((number, position))
        return found
    finally:
        workbook.close()


def _cell_value(cell: Any) -> Any:
    """A cell's value; a number formatted as percent (0.5 shown as 50%) becomes the text "50%"."""
    value = getattr(cell, "value", None)
    if isinstance(value, str):
        return nfc(value) or None
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and "%" in (getattr(cell, "number_format", "") or ""):
        return f"{round(value * 100, 6):g}%"
    return value


# --- csv -------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[list[Any]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            f"Tệp “{path.name}” không phải văn bản UTF-8: khi lưu CSV từ Excel, hãy chọn “CSV UTF-8”."
        ) from exc
    head = "\n".join(text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS])  # title rows may come first
    delimiter = max((";", ",", "\t"), key=head.count)
    if head.count(delimiter) == 0:
        delimiter = ","
    try:
        return [
            [nfc(v) or None for v in record] for record in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    except csv.Error as exc:
        raise SpreadsheetError(f"Tệp CSV “{path.name}” sai định dạng: {exc}.") from exc
