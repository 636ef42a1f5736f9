"""Importing the officials roster and the task list from the office's spreadsheets (docs/cli.md §4).

All or nothing: every row is validated before anything is written, and a single bad row leaves the
database untouched while the report lists every problem with its row number as seen in Excel. Re-importing
updates by code and writes one audit row per changed field. Progress reported through the bot after the
spreadsheet was saved is kept (last change wins by timestamp) and the conflict is logged and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tasks import audit
from tasks import columns as C
from tasks.errors import did_you_mean
from tasks.models import Official, Task, Unit
from tasks.normalize import (
    Role,
    TaskStatus,
    Via,
    cell_text,
    fold,
    format_date,
    normalize_phone,
    normalize_username,
    parse_date,
    parse_progress,
    parse_role,
    parse_status,
)
from tasks.spreadsheets import Row, SpreadsheetError, Table, file_timestamp, read_table
from tasks.timeutil import DEFAULT_TZ, as_utc, local_date, utcnow
from tasks.units import suggest, suggest_parent
from tasks.writes import change_task, lock_tasks
from vntext import clean_line

T = TypeVar("T")

# Called as progress(stage, done, total): stage "read" (rows read from the file), "check" (rows validated),
# "write" (rows written); total is 0 when not known yet. The CLI draws a progress bar from it.
Progress = Callable[[str, int, int], None]


class RowError(NamedTuple):
    """A problem in the file: `row` as numbered in the spreadsheet (None: the whole file)."""

    row: int | None
    column: str | None
    message: str


@dataclass
class Conflict:
    """A value reported through the bot, newer than the spreadsheet, kept instead of the file's value."""

    row: int
    code: str
    column: str
    kept: str
    ignored: str
    changed_at: datetime  # when the bot changed it
    reason: str = ""  # why the database's value was kept (newer than the file, task cancelled…)


@dataclass
class Deactivated:
    """An official missing from a complete roster (--full): deactivated, with their unfinished tasks."""

    code: str
    full_name: str
    unit: str
    open_tasks: list[str]


@dataclass
class ImportReport:
    """What an import did (or, with errors, would refuse to do: then nothing was written)."""

    kind: str
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    file_time: datetime | None = None
    sheet: str | None = None  # the sheet read (None for CSV)
    conflicts: list[Conflict] = field(default_factory=list)
    deactivated: list[Deactivated] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int | None, column: str | None, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's `--json` output)."""
        return {
            "kind": self.kind,
            "file": self.file,
            "ok": self.ok,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "units_created": self.units_created,
            "file_time": self.file_time.isoformat() if self.file_time else None,
            "sheet": self.sheet,
            "conflicts": [{**asdict(c), "changed_at": c.changed_at.isoformat()} for c in self.conflicts],
            "deactivated": [asdict(d) for d in self.deactivated],
            "errors": [e._asdict() for e in self.errors],
        }


# --- shared helpers --------------------------------------------------------------------------------


def _open(
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


def _cell(
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


def _code(value: Any) -> str:
    text = clean_line(cell_text(value) or "")
    if len(text) > C.CODE_MAX_LENGTH:
        raise ValueError(f"Mã “{text[:20]}…” dài quá {C.CODE_MAX_LENGTH} ký tự.")
    return text


def _text(value: Any) -> str:
    return cell_text(value) or ""


def _name(value: Any) -> str:
    """Names and units: one line, invisible characters and look-alike letters removed (`vntext`)."""
    return clean_line(cell_text(value) or "")


def _check_duplicates(report: ImportReport, column: str, items: Iterable[tuple[int, str | None]]) -> None:
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


def _apply_fields(obj: Any, values: dict[str, Any], record: Callable[[str, Any, Any], None]) -> bool:
    """Set the attributes that differ, auditing each; True when anything changed."""
    changed = False
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            record(name, old, new)
            setattr(obj, name, new)
            changed = True
    return changed


def _run(session: Session, report: ImportReport, work: Callable[[], None]) -> ImportReport:
    """Run `work` in one transaction: commit when the report has no error, roll back otherwise."""
    try:
        work()
        if report.errors:
            session.rollback()
            report.created = report.updated = report.unchanged = report.units_created = 0
            report.conflicts.clear()
            report.deactivated.clear()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


# --- officials -------------------------------------------------------------------------------------


@dataclass
class _OfficialRow:
    row: int
    code: str
    full_name: str
    position: str | None
    unit: str
    parent: str | None
    phone: str | None
    phone_normalized: str | None
    username: str | None
    role: Role


@dataclass
class _UnitRow:
    """A roster row with no `Mã cán bộ` (and no name): it declares a unit that has no official of its own,
    typically the top unit named only as a parent."""

    row: int
    unit: str
    parent: str | None


def import_officials(
    session: Session,
    path: str | Path,
    actor: str | None = None,
    *,
    now: datetime | None = None,
    full: bool = False,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Load or update the roster (and its unit tree) from `path`; commits only if every row is valid.

    Units are created from `Đơn vị`; `Đơn vị cấp trên` must name a unit of the file's `Đơn vị` column or
    one already in the database, and must not make a cycle. A row with an empty `Mã cán bộ` and `Họ và tên`
    declares a unit without officials. Officials absent from the file are left as they are (a roster may be
    imported unit by unit) unless `full`: then the file is the complete roster and every active official
    missing from it is deactivated (never deleted; `report.deactivated` lists their open tasks, which need a
    new assignee). `sheet` names the sheet to read (default: the visible one holding the headers).
    """
    path = Path(path)
    actor = actor or f"import:{path.name}"
    now = as_utc(now) if now else utcnow()
    report = ImportReport(kind="officials", file=str(path))

    def work() -> None:
        table = _open(path, C.OFFICIAL_HEADERS, C.OFFICIAL_REQUIRED, report, sheet, progress)
        if table is None:
            return
        rows, unit_rows = _parse_official_rows(table, report)
        _check_phones_against_database(session, rows, report, full)
        units, parents = _plan_units(session, [*unit_rows, *rows], report)
        if report.errors:
            return
        if not rows and not unit_rows:
            report.error(None, None, f"Tệp “{path.name}” không có dòng dữ liệu nào (chỉ có dòng tiêu đề).")
            return
        if full and not rows:
            report.error(
                None, None,
                "Tệp không có cán bộ nào: không thể dùng --full (sẽ cho tất cả cán bộ thôi hoạt động).",
            )  # fmt: skip
            return
        _apply_units(session, units, parents, report, actor, now)
        _apply_officials(session, rows, units, report, actor, now)
        if full:
            _deactivate_missing(session, rows, report, actor, now)

    return _run(session, report, work)


def _parse_official_rows(table: Table, report: ImportReport) -> tuple[list[_OfficialRow], list[_UnitRow]]:
    rows: list[_OfficialRow] = []
    unit_rows: list[_UnitRow] = []
    for r in table.rows:
        unit_only = r.get(C.MA_CAN_BO) is None and r.get(C.HO_TEN) is None and r.get(C.DON_VI) is not None
        if unit_only and not r.uncomputed & {C.MA_CAN_BO, C.HO_TEN}:
            unit = _cell(report, r, C.DON_VI, _name, required=True)
            parent = _cell(report, r, C.DON_VI_CAP_TREN, _name)
            personal = [
                c for c in (C.CHUC_VU, C.SO_DIEN_THOAI, C.TELEGRAM, C.VAI_TRO) if r.get(c) is not None
            ]
            for column in personal:
                report.error(
                    r.number, column,
                    f"Dòng khai báo đơn vị (để trống “{C.MA_CAN_BO}” và “{C.HO_TEN}”) không ghi “{column}”: "
                    f"nếu đây là một cán bộ, hãy ghi “{C.MA_CAN_BO}” và “{C.HO_TEN}”.",
                )  # fmt: skip
            if unit and not personal:
                unit_rows.append(_UnitRow(r.number, unit, parent))
            continue
        code = _cell(report, r, C.MA_CAN_BO, _code, required=True)
        name = _cell(report, r, C.HO_TEN, _name, required=True)
        unit = _cell(report, r, C.DON_VI, _name, required=True)
        phone_norm = _cell(report, r, C.SO_DIEN_THOAI, normalize_phone)
        username = _cell(report, r, C.TELEGRAM, normalize_username)
        role = _cell(report, r, C.VAI_TRO, parse_role) or Role.CAN_BO
        if code and name and unit:
            rows.append(
                _OfficialRow(
                    row=r.number,
                    code=code,
                    full_name=name,
                    position=cell_text(r.get(C.CHUC_VU)),
                    unit=unit,
                    parent=_cell(report, r, C.DON_VI_CAP_TREN, _name),
                    phone=cell_text(r.get(C.SO_DIEN_THOAI)),
                    phone_normalized=phone_norm,
                    username=username,
                    role=role,
                )
            )
    _check_duplicates(report, C.MA_CAN_BO, ((o.row, o.code) for o in rows))
    _check_duplicates(report, C.SO_DIEN_THOAI, ((o.row, o.phone_normalized) for o in rows))
    _check_duplicates(report, C.TELEGRAM, ((o.row, o.username) for o in rows))
    return rows, unit_rows


def _check_phones_against_database(
    session: Session, rows: list[_OfficialRow], report: ImportReport, full: bool
) -> None:
    """A phone number must belong to one active official: linking by phone would otherwise be ambiguous
    and the other official could no longer link. The officials of the file get the file's numbers, and with
    `full` every active official outside the file is deactivated, so only active officials outside the file
    (without `full`) can hold a number the file gives to someone else."""
    if full:
        return
    in_file = {o.code.casefold() for o in rows}
    holders: dict[str, Official] = {}
    query = select(Official).where(Official.phone_normalized.is_not(None), Official.active.is_(True))
    for official in session.scalars(query):
        if official.code.casefold() not in in_file:
            holders.setdefault(official.phone_normalized or "", official)
    for o in rows:
        holder = holders.get(o.phone_normalized or "")
        if holder is not None and o.phone_normalized:
            report.error(
                o.row, C.SO_DIEN_THOAI,
                f"Số điện thoại {o.phone_normalized} đã là số của cán bộ {holder.code} ({holder.full_name}); "
                "mỗi số chỉ thuộc một cán bộ (số này dùng để liên kết Telegram).",
            )  # fmt: skip


def _plan_units(
    session: Session, rows: Sequence[_OfficialRow | _UnitRow], report: ImportReport
) -> tuple[dict[str, Unit | str], dict[str, str | None]]:
    """Resolve the unit tree the file describes, merged with the database; report unknown parents/cycles.

    Returns (units, parents): `units` maps each folded unit name of the file to its existing `Unit` or
    to the display name of a unit to create; `parents` maps folded name → folded parent (None: top).
    """
    existing = {u.name_folded: u for u in session.scalars(select(Unit))}
    units: dict[str, Unit | str] = {}
    declared: dict[str, dict[str, tuple[str, int]]] = {}
    for o in rows:
        key = fold(o.unit)
        units.setdefault(key, existing.get(key) or o.unit)
        declared.setdefault(key, {})
        if o.parent:
            declared[key].setdefault(fold(o.parent), (o.parent, o.row))

    known_names = [*(u.name for u in existing.values()), *(n for n in units.values() if isinstance(n, str))]
    key_of = {u.id: k for k, u in existing.items()}
    parents: dict[str, str | None] = {
        k: key_of.get(u.parent_id) if u.parent_id else None for k, u in existing.items()
    }
    parent_rows: dict[str, int] = {}
    for key, options in declared.items():
        if len(options) > 1:
            listed = " và ".join(f"“{name}” (dòng {row})" for name, row in options.values())
            for _name, row in options.values():
                report.error(
                    row,
                    C.DON_VI_CAP_TREN,
                    f"Đơn vị “{_display(units[key])}” có hai đơn vị cấp trên khác nhau: {listed}.",
                )
            continue
        parent_key, (parent_name, row) = next(iter(options.items()), (None, (None, 0)))
        if parent_key is not None and parent_key not in units and parent_key not in existing:
            message = (
                f"Đơn vị cấp trên “{parent_name}” chưa có: phải là một đơn vị ghi ở cột “{C.DON_VI}” "
                f"của tệp hoặc đã có trong hệ thống. Nếu đơn vị này không có cán bộ nào trong danh sách, "
                f"hãy thêm một dòng để trống “{C.MA_CAN_BO}” và “{C.HO_TEN}”, ghi “{parent_name}” ở cột "
                f"“{C.DON_VI}” (và đơn vị cấp trên của nó, nếu có)."
            )
            candidates = suggest_parent(parent_name or "", _display(units[key]), known_names)
            report.error(row, C.DON_VI_CAP_TREN, message + did_you_mean(candidates))
            continue
        parents[key] = parent_key
        if parent_key is not None:
            parent_rows[key] = row

    for cycle in _cycles(parents, start=list(declared)):
        names = " → ".join(_display(units.get(k) or existing[k]) for k in [*cycle, cycle[0]])
        for key in cycle:
            if key in parent_rows:
                report.error(parent_rows[key], C.DON_VI_CAP_TREN, f"Vòng lặp đơn vị cấp trên: {names}.")
    return units, parents


def _display(unit: Unit | str) -> str:
    return unit.name if isinstance(unit, Unit) else unit


def _cycles(parents: dict[str, str | None], start: list[str]) -> list[list[str]]:
    """Each cycle reachable by walking up from `start` (listed once, in walking order)."""
    found: list[list[str]] = []
    done: set[str] = set()
    for origin in start:
        path: list[str] = []
        on_path: set[str] = set()
        key: str | None = origin
        while key is not None and key not in done and key not in on_path:
            path.append(key)
            on_path.add(key)
            key = parents.get(key)
        if key is not None and key in on_path:
            found.append(path[path.index(key) :])
        done.update(path)
    return found


def _apply_units(
    session: Session,
    units: dict[str, Unit | str],
    parents: dict[str, str | None],
    report: ImportReport,
    actor: str,
    now: datetime,
) -> None:
    by_key: dict[str, Unit] = {u.name_folded: u for u in session.scalars(select(Unit))}
    created: set[str] = set()
    for key, unit in list(units.items()):
        if isinstance(unit, str):
            by_key[key] = units[key] = Unit(name=unit, created_at=now)
            session.add(by_key[key])
            created.add(key)
    session.flush()  # ids for the new units, so parents compare by id without loading relationships
    by_id = {u.id: u for u in by_key.values()}
    for key in units:
        unit = by_key[key]
        parent_key = parents.get(key)
        new_parent = by_key[parent_key] if parent_key else None
        new_parent_id = new_parent.id if new_parent else None
        if key in created:
            report.units_created += 1
            audit.record(
                session, actor=actor, via=Via.IMPORT, entity="unit", key=unit.name, field=None, new=new_parent,
                note="Tạo mới từ tệp" + (f", thuộc {new_parent.name}" if new_parent else ", đơn vị cấp cao nhất"),
                at=now,
            )  # fmt: skip
        elif unit.parent_id != new_parent_id:
            audit.record(
                session, actor=actor, via=Via.IMPORT, entity="unit", key=unit.name, field="parent",
                old=by_id.get(unit.parent_id) if unit.parent_id else None, new=new_parent, at=now,
            )  # fmt: skip
        if unit.parent_id != new_parent_id:
            unit.parent_id = new_parent_id
            session.expire(unit, ["parent"])
    session.flush()


def _apply_officials(
    session: Session,
    rows: list[_OfficialRow],
    units: dict[str, Unit | str],
    report: ImportReport,
    actor: str,
    now: datetime,
) -> None:
    existing = {o.code.casefold(): o for o in session.scalars(select(Official))}
    for o in rows:
        unit = units[fold(o.unit)]
        assert isinstance(unit, Unit)
        values: dict[str, Any] = {
            "full_name": o.full_name,
            "position": o.position,
            "unit": unit,
            "phone": o.phone,
            "telegram_username": o.username,
            "role": o.role,
            "active": True,
        }
        official = existing.get(o.code.casefold())
        if official is None:
            official = Official(code=o.code, created_at=now, updated_at=now, **values)
            session.add(official)
            existing[o.code.casefold()] = official
            report.created += 1
            audit.record(
                session,
                actor=actor,
                via=Via.IMPORT,
                entity="official",
                key=o.code,
                note="Tạo mới từ tệp",
                at=now,
            )
            continue

        def record(name: str, old: Any, new: Any, code: str = official.code) -> None:
            audit.record(
                session,
                actor=actor,
                via=Via.IMPORT,
                entity="official",
                key=code,
                field=name,
                old=old,
                new=new,
                at=now,
            )

        if _apply_fields(official, values, record):
            official.updated_at = now
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()


def _deactivate_missing(
    session: Session, rows: list[_OfficialRow], report: ImportReport, actor: str, now: datetime
) -> None:
    """--full: every active official not in the complete roster is deactivated (audited, never deleted);
    their open tasks are listed so someone reassigns them (`troly tasks reassign`)."""
    in_file = {o.code.casefold() for o in rows}
    gone = [
        o
        for o in session.scalars(select(Official).where(Official.active.is_(True)).order_by(Official.code))
        if o.code.casefold() not in in_file
    ]
    for official in gone:
        official.active = False
        official.updated_at = now
        audit.record(
            session, actor=actor, via=Via.IMPORT, entity="official", key=official.code, field="active",
            old=True, new=False, at=now, note="Không có trong danh sách cán bộ đầy đủ (--full): thôi hoạt động",
        )  # fmt: skip
        open_tasks = session.scalars(
            select(Task.code)
            .where(Task.assignee_id == official.id, Task.status != TaskStatus.HOAN_THANH)
            .order_by(Task.deadline, Task.code)
        ).all()
        report.deactivated.append(
            Deactivated(official.code, official.full_name, official.unit.name, list(open_tasks))
        )
    session.flush()


# --- tasks -----------------------------------------------------------------------------------------


@dataclass
class _TaskRow:
    row: int
    code: str
    content: str
    assignee: Official
    lead_unit: Unit
    deadline: date
    product: str
    assigned_by: str
    source_document: str | None
    status: TaskStatus | None
    progress: int | None
    completed_on: date | None


@dataclass(frozen=True)
class ProgressState:
    """The three fields reported through the bot; they move together in the conflict rule."""

    status: TaskStatus
    progress: int
    completed_on: date | None


def _assigner_ids(session: Session, names: set[str]) -> dict[str, int]:
    """{casefolded Mã cán bộ: official id} for the `Người giao` values that are an official's code."""
    wanted = {n.casefold() for n in names if n and " " not in n.strip()}
    if not wanted:
        return {}
    rows = session.execute(select(Official.id, Official.code).where(func.lower(Official.code).in_(wanted)))
    return {code.casefold(): official_id for official_id, code in rows}


def derive_state(
    current: ProgressState | None,
    status: TaskStatus | None,
    progress: int | None,
    completed_on: date | None,
) -> ProgressState:
    """The state a spreadsheet row asks for; empty optional cells keep the current values.

    A completion date without a status means done; done means 100 % and the completion date of the file,
    else the one already recorded, else none at all ("không rõ ngày hoàn thành": a date is never invented,
    it would make a task look late or on time when nobody knows); a status other than done clears it.
    """
    if status is None:
        if completed_on is not None:
            status = TaskStatus.HOAN_THANH
        elif current is not None:
            status = current.status
            if status == TaskStatus.CHUA_BAT_DAU and progress:
                status = TaskStatus.DANG_THUC_HIEN
        else:
            status = TaskStatus.DANG_THUC_HIEN if progress else TaskStatus.CHUA_BAT_DAU
    if status == TaskStatus.HOAN_THANH:
        already = current.completed_on if current and current.status == TaskStatus.HOAN_THANH else None
        return ProgressState(status, 100, completed_on or already)
    if progress is None:
        progress = current.progress if current is not None else 0
    return ProgressState(status, progress, None)


def import_tasks(
    session: Session,
    path: str | Path,
    actor: str | None = None,
    *,
    now: datetime | None = None,
    as_of: datetime | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
    sheet: str | None = None,
    progress: Progress | None = None,
    before_write: Callable[[], None] | None = None,
) -> ImportReport:
    """Load or update tasks from `path`; commits only if every row is valid.

    `as_of` is when the spreadsheet's content was last changed (default: the xlsx "modified" property,
    else the file's mtime). A task whose status/progress was changed through another channel (the bot) after
    that keeps those values, even when the change lands while this import runs (`tasks.writes` re-reads
    each task under a lock before comparing); the difference is audited and listed in `report.conflicts`.
    `sheet`: the sheet to read (default: the visible one holding the headers). `progress(stage, done,
    total)` is called while reading, checking and writing. `before_write` runs after every row is validated
    and the existing tasks are read, before any lock is taken (tests use it to interleave a concurrent change
    deterministically).
    """
    path = Path(path)
    actor = actor or f"import:{path.name}"
    now = as_utc(now) if now else utcnow()
    import_date = local_date(now, tz)
    report = ImportReport(kind="tasks", file=str(path))

    def work() -> None:
        table = _open(path, C.TASK_HEADERS, C.TASK_REQUIRED, report, sheet, progress)
        if table is None:
            return
        report.file_time = as_utc(as_of) if as_of else file_timestamp(path, table)
        rows = _parse_task_rows(session, table, report, import_date, progress)
        if report.errors:
            return
        _apply_tasks(session, rows, report, actor, now, progress, before_write)

    return _run(session, report, work)


def _parse_task_rows(
    session: Session, table: Table, report: ImportReport, import_date: date, progress: Progress | None = None
) -> list[_TaskRow]:
    officials = {o.code.casefold(): o for o in session.scalars(select(Official))}
    units = {u.name_folded: u for u in session.scalars(select(Unit))}
    unit_names = [u.name for u in units.values()]
    # {casefolded code: (status, assignee id)} of the tasks already stored: a row may keep an inactive
    # official on a task they already hold (an export re-imported), and "đã hủy" only round-trips.
    stored = {
        code.casefold(): (status, assignee_id)
        for code, status, assignee_id in session.execute(select(Task.code, Task.status, Task.assignee_id))
    }
    rows: list[_TaskRow] = []
    for checked, r in enumerate(table.rows, 1):
        if progress is not None and checked % 2000 == 0:
            progress("check", checked, len(table.rows))
        n = r.number
        errors_before = len(report.errors)
        code = _cell(report, r, C.MA_NHIEM_VU, _code, required=True)
        content = _cell(report, r, C.NOI_DUNG, _text, required=True)
        assignee_code = _cell(report, r, C.NGUOI_THUC_HIEN, _code, required=True)
        unit_name = _cell(report, r, C.DON_VI_CHU_TRI, _name, required=True)
        deadline = _cell(report, r, C.THOI_HAN, parse_date, required=True)
        product = _cell(report, r, C.SAN_PHAM, _text, required=True)
        assigned_by = _cell(report, r, C.NGUOI_GIAO, _name, required=True)
        source = _cell(report, r, C.VAN_BAN_GIAO, _text)
        status = _cell(report, r, C.TRANG_THAI, parse_status)
        percent = _cell(report, r, C.TIEN_DO, parse_progress)
        completed_on = _cell(report, r, C.NGAY_HOAN_THANH, parse_date)

        assignee = officials.get(assignee_code.casefold()) if assignee_code else None
        before = stored.get(code.casefold()) if code else None
        if assignee_code and assignee is None:
            report.error(
                n, C.NGUOI_THUC_HIEN,
                f"Không có cán bộ mã “{assignee_code}” trong danh sách cán bộ (nhập danh sách cán bộ trước).",
            )  # fmt: skip
        elif assignee is not None and not assignee.active and (before is None or before[1] != assignee.id):
            report.error(
                n, C.NGUOI_THUC_HIEN,
                f"Cán bộ {assignee.code} ({assignee.full_name}) đã thôi hoạt động (không còn trong danh sách "
                "cán bộ): hãy giao nhiệm vụ cho người khác.",
            )  # fmt: skip
            assignee = None
        if status == TaskStatus.DA_HUY and (before is None or before[0] != TaskStatus.DA_HUY):
            report.error(
                n, C.TRANG_THAI,
                "Không hủy nhiệm vụ qua bảng tính: hủy bằng lệnh “troly tasks cancel MÃ --reason LÝ_DO” "
                "hoặc nút “Hủy” của lãnh đạo trong /tiendo (cần ghi lý do). Trong tệp, hãy để trạng thái cũ.",
            )  # fmt: skip
        unit = units.get(fold(unit_name)) if unit_name else None
        if unit_name and unit is None:
            message = f"Không có đơn vị “{unit_name}” trong hệ thống."
            report.error(n, C.DON_VI_CHU_TRI, message + did_you_mean(suggest(unit_name, unit_names)))
        if completed_on is not None:
            if status is not None and status != TaskStatus.HOAN_THANH:
                report.error(
                    n, C.NGAY_HOAN_THANH,
                    f"Có ngày hoàn thành nhưng trạng thái là “{status.label}”: chỉ ghi ngày khi đã hoàn thành.",
                )  # fmt: skip
            if completed_on > import_date:
                report.error(
                    n, C.NGAY_HOAN_THANH,
                    f"Ngày hoàn thành {format_date(completed_on)} chưa tới (hôm nay là {format_date(import_date)}).",
                )  # fmt: skip
        if len(report.errors) == errors_before:
            assert code and content and assignee and unit and deadline and product and assigned_by
            row = _TaskRow(
                row=n, code=code, content=content, assignee=assignee, lead_unit=unit, deadline=deadline,
                product=product, assigned_by=assigned_by, source_document=source, status=status,
                progress=percent, completed_on=completed_on,
            )  # fmt: skip
            rows.append(row)
    codes = [(r.number, cell_text(r.get(C.MA_NHIEM_VU))) for r in table.rows]
    _check_duplicates(report, C.MA_NHIEM_VU, codes)
    return rows


def _existing_task_ids(session: Session, codes: list[str]) -> dict[str, int]:
    """{casefolded code: task id} of the tasks with these codes (case-insensitive).

    Only ids: the rows themselves are read later under the write lock (`tasks.writes.lock_tasks`). A small
    file looks its codes up in chunks of `IN (…)`; a large one reads every (id, code) pair once, which is
    one quick scan instead of hundreds of lookups.
    """
    wanted = {c.casefold() for c in codes}
    if len(codes) > 500:
        pairs = session.execute(select(Task.id, Task.code))
        return {code.casefold(): tid for tid, code in pairs if code.casefold() in wanted}
    found: dict[str, int] = {}
    variants = sorted({v for c in codes for v in (c, c.upper(), c.lower())})
    for start in range(0, len(variants), 500):
        chunk = variants[start : start + 500]
        for tid, code in session.execute(select(Task.id, Task.code).where(Task.code.in_(chunk))):
            if code.casefold() in wanted:
                found[code.casefold()] = tid
    return found


_PROGRESS_COLUMNS = {
    "status": C.TRANG_THAI,
    "progress": C.TIEN_DO,
    "completed_on": C.NGAY_HOAN_THANH,
    "assignee": C.NGUOI_THUC_HIEN,
}


def _show(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "status":
        return TaskStatus(value).label
    if name == "completed_on":
        return format_date(value)
    if isinstance(value, Official):
        return f"{value.code} ({value.full_name})"
    return str(value)


def _apply_tasks(
    session: Session,
    rows: list[_TaskRow],
    report: ImportReport,
    actor: str,
    now: datetime,
    progress: Progress | None = None,
    before_write: Callable[[], None] | None = None,
) -> None:
    """Write the validated rows. Existing tasks are re-read under a write lock (`tasks.writes`) and
    compared with what the file asks for there, so a change made through the bot after validation is seen,
    kept when newer than the file, reported as a conflict, and the audit's "old" is the value replaced."""
    known = _existing_task_ids(session, [r.code for r in rows])
    if before_write is not None:
        before_write()
    locked = lock_tasks(session, known.values())
    file_time = report.file_time
    # New tasks and audit rows are written with multi-row INSERTs at the end (20,000 ORM objects would
    # take most of the import's time); changed tasks are updated through their locked objects.
    new_tasks: list[dict[str, Any]] = []
    audit_rows: list[dict[str, Any]] = []
    assigners = _assigner_ids(session, {r.assigned_by for r in rows})

    def log(**fields: Any) -> None:
        audit_rows.append(audit.row_values(**fields))

    for done, r in enumerate(rows, 1):
        if progress is not None and done % 500 == 0:
            progress("write", done, len(rows))
        plain: dict[str, Any] = {
            "content": r.content,
            "assignee": r.assignee,
            "lead_unit": r.lead_unit,
            "deadline": r.deadline,
            "product": r.product,
            "assigned_by": r.assigned_by,
        }
        assigner_id = assigners.get(r.assigned_by.casefold())
        if assigner_id is not None:  # `Người giao` is a Mã cán bộ: linked (free text never unlinks)
            plain["assigner"] = session.get(Official, assigner_id)
        task_id = known.get(r.code.casefold())
        task = locked.get(task_id) if task_id is not None else None
        if task is None:
            state = derive_state(None, r.status, r.progress, r.completed_on)
            new_tasks.append(
                dict(
                    code=r.code, content=r.content, assignee_id=r.assignee.id, lead_unit_id=r.lead_unit.id,
                    deadline=r.deadline, product=r.product, assigned_by=r.assigned_by, assigner_official_id=assigner_id,
                    source_document=r.source_document, status=state.status, progress=state.progress,
                    completed_on=state.completed_on, result_note=None, created_at=now, updated_at=now,
                    updated_via=Via.IMPORT, progress_updated_at=now, progress_updated_via=Via.IMPORT,
                    created_by=actor,
                )
            )  # fmt: skip
            report.created += 1
            log(actor=actor, via=Via.IMPORT, entity="task", key=r.code, note="Tạo mới từ tệp", at=now)
            continue
        if r.source_document is not None:
            plain["source_document"] = r.source_document

        def wanted(fresh: Task, r: _TaskRow = r, plain: dict[str, Any] = plain) -> dict[str, Any]:
            current = ProgressState(fresh.status, fresh.progress, fresh.completed_on)
            return {**plain, **asdict(derive_state(current, r.status, r.progress, r.completed_on))}

        result = change_task(
            session, task, wanted, actor=actor, via=Via.IMPORT, now=now, keep_newer_than=file_time, log=log
        )
        for kept in result.kept:
            report.conflicts.append(
                Conflict(
                    r.row, task.code, _PROGRESS_COLUMNS[kept.field], _show(kept.field, kept.kept),
                    _show(kept.field, kept.ignored), kept.changed_at, kept.reason,
                )
            )  # fmt: skip
        if result.changed:
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    if new_tasks:
        session.execute(insert(Task), new_tasks)
    audit.insert_many(session, audit_rows)
    if progress is not None:
        progress("write", len(rows), len(rows))
