"""Importing the officials roster and the unit tree (docs/cli.md §4 "Officials roster").

Units are created from `Đơn vị` / `Đơn vị cấp trên` (cycles refused); officials are matched by `Mã cán bộ`;
with `full=True` officials missing from the file are deactivated (never deleted) and their open tasks listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks import audit
from tasks import columns as C
from tasks.errors import did_you_mean
from tasks.handover import deactivate_official
from tasks.importing.cells import (
    apply_fields,
    check_duplicates,
    code_value,
    name_value,
    open_table,
    parse_cell,
    run_all_or_nothing,
)
from tasks.importing.report import Deactivated, ImportReport, Progress
from tasks.models import Official, Task, Unit
from tasks.normalize import (
    Role,
    TaskStatus,
    Via,
    cell_text,
    fold,
    normalize_phone,
    normalize_username,
    parse_role,
)
from tasks.spreadsheets import Table
from tasks.timeutil import as_utc, utcnow
from tasks.units import suggest_parent


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
    dry_run: bool = False,
) -> ImportReport:
    """Load or update the roster (and its unit tree) from `path`; commits only if every row is valid.

    Units are created from `Đơn vị`; `Đơn vị cấp trên` must name a unit of the file's `Đơn vị` column or
    one already in the database, and must not make a cycle. A row with an empty `Mã cán bộ` and `Họ và tên`
    declares a unit without officials. Officials absent from the file are left as they are (a roster may be
    imported unit by unit) unless `full`: then the file is the complete roster and every active official
    missing from it is deactivated (never deleted; `report.deactivated` lists their open tasks, which need a
    new assignee). `sheet` names the sheet to read (default: the visible one holding the headers).
    `dry_run`: validate and apply in a transaction that is rolled back (the report is the preview).
    """
    path = Path(path)
    actor = actor or f"import:{path.name}"
    now = as_utc(now) if now else utcnow()
    report = ImportReport(kind="officials", file=str(path))

    def work() -> None:
        table = open_table(path, C.OFFICIAL_HEADERS, C.OFFICIAL_REQUIRED, report, sheet, progress)
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

    return run_all_or_nothing(session, report, work, dry_run=dry_run)


def _parse_official_rows(table: Table, report: ImportReport) -> tuple[list[_OfficialRow], list[_UnitRow]]:
    rows: list[_OfficialRow] = []
    unit_rows: list[_UnitRow] = []
    for r in table.rows:
        unit_only = r.get(C.MA_CAN_BO) is None and r.get(C.HO_TEN) is None and r.get(C.DON_VI) is not None
        if unit_only and not r.uncomputed & {C.MA_CAN_BO, C.HO_TEN}:
            unit = parse_cell(report, r, C.DON_VI, name_value, required=True)
            parent = parse_cell(report, r, C.DON_VI_CAP_TREN, name_value)
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
        code = parse_cell(report, r, C.MA_CAN_BO, code_value, required=True)
        name = parse_cell(report, r, C.HO_TEN, name_value, required=True)
        unit = parse_cell(report, r, C.DON_VI, name_value, required=True)
        phone_norm = parse_cell(report, r, C.SO_DIEN_THOAI, normalize_phone)
        username = parse_cell(report, r, C.TELEGRAM, normalize_username)
        role = parse_cell(report, r, C.VAI_TRO, parse_role) or Role.CAN_BO
        if code and name and unit:
            rows.append(
                _OfficialRow(
                    row=r.number,
                    code=code,
                    full_name=name,
                    position=cell_text(r.get(C.CHUC_VU)),
                    unit=unit,
                    parent=parse_cell(report, r, C.DON_VI_CAP_TREN, name_value),
                    phone=cell_text(r.get(C.SO_DIEN_THOAI)),
                    phone_normalized=phone_norm,
                    username=username,
                    role=role,
                )
            )
    check_duplicates(report, C.MA_CAN_BO, ((o.row, o.code) for o in rows))
    check_duplicates(report, C.SO_DIEN_THOAI, ((o.row, o.phone_normalized) for o in rows))
    check_duplicates(report, C.TELEGRAM, ((o.row, o.username) for o in rows))
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

        if apply_fields(official, values, record):
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
        # their pending approvals (extensions, reviews) pass to the leaders of the lead unit (tasks.handover)
        moved = deactivate_official(
            session, official, actor=actor, via=Via.IMPORT, now=now,
            note="Không có trong danh sách cán bộ đầy đủ (--full): thôi hoạt động",
        )  # fmt: skip
        open_tasks = session.scalars(
            select(Task.code)
            .where(Task.assignee_id == official.id, Task.status != TaskStatus.HOAN_THANH)
            .order_by(Task.deadline, Task.code)
        ).all()
        report.deactivated.append(
            Deactivated(
                official.code, official.full_name, official.unit.name, list(open_tasks),
                [{"task": m.task.code, "kind": m.kind, "to": [o.code for o in m.to]} for m in moved],
            )
        )  # fmt: skip
    session.flush()
