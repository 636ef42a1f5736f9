"""Importing the task list ("6 rõ", docs/cli.md §4 "Tasks"): validate every row, then create or update by
`Mã nhiệm vụ`; progress reported through the bot after the file was saved is kept and reported as a conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tasks import audit
from tasks import columns as C
from tasks.errors import did_you_mean
from tasks.importing.cells import (
    check_duplicates,
    code_value,
    name_value,
    open_table,
    parse_cell,
    run_all_or_nothing,
    text_value,
)
from tasks.importing.report import Conflict, ImportReport, Progress
from tasks.models import Official, Task, Unit
from tasks.normalize import (
    TaskStatus,
    Via,
    cell_text,
    fold,
    format_date,
    parse_date,
    parse_progress,
    parse_status,
)
from tasks.spreadsheets import Table, file_timestamp
from tasks.timeutil import DEFAULT_TZ, as_utc, local_date, utcnow
from tasks.units import suggest
from tasks.writes import change_task, lock_tasks


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
    dry_run: bool = False,
    trust_file_time: bool = True,
) -> ImportReport:
    """Load or update tasks from `path`; commits only if every row is valid.

    `as_of` is when the spreadsheet's content was last changed (default: the xlsx "modified" property,
    else the file's mtime). A task whose status/progress was changed through another channel (the bot) after
    that keeps those values, even when the change lands while this import runs (`tasks.writes` re-reads
    each task under a lock before comparing); the difference is audited and listed in `report.conflicts`.
    `sheet`: the sheet to read (default: the visible one holding the headers). `progress(stage, done,
    total)` is called while reading, checking and writing. `before_write` runs after every row is validated
    and the existing tasks are read, before any lock is taken (tests use it to interleave a concurrent change
    deterministically). `dry_run`: the same validation and writes in a transaction rolled back at the end
    (the report is the preview). `trust_file_time=False`: the file's save time means nothing (a sheet sent
    in chat, downloaded just now): every value changed through the bot or the command line since the task
    was last imported is kept and reported as a conflict (`tasks.writes`, `keep_since_last_import`), and
    `report.file_time` stays None.
    """
    path = Path(path)
    actor = actor or f"import:{path.name}"
    now = as_utc(now) if now else utcnow()
    import_date = local_date(now, tz)
    report = ImportReport(kind="tasks", file=str(path))

    def work() -> None:
        table = open_table(path, C.TASK_HEADERS, C.TASK_REQUIRED, report, sheet, progress)
        if table is None:
            return
        if trust_file_time:
            report.file_time = as_utc(as_of) if as_of else file_timestamp(path, table)
        rows = _parse_task_rows(session, table, report, import_date, progress)
        if report.errors:
            return
        _apply_tasks(session, rows, report, actor, now, progress, before_write)

    return run_all_or_nothing(session, report, work, dry_run=dry_run)


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
        code = parse_cell(report, r, C.MA_NHIEM_VU, code_value, required=True)
        content = parse_cell(report, r, C.NOI_DUNG, text_value, required=True)
        assignee_code = parse_cell(report, r, C.NGUOI_THUC_HIEN, code_value, required=True)
        unit_name = parse_cell(report, r, C.DON_VI_CHU_TRI, name_value, required=True)
        deadline = parse_cell(report, r, C.THOI_HAN, parse_date, required=True)
        product = parse_cell(report, r, C.SAN_PHAM, text_value, required=True)
        assigned_by = parse_cell(report, r, C.NGUOI_GIAO, name_value, required=True)
        source = parse_cell(report, r, C.VAN_BAN_GIAO, text_value)
        status = parse_cell(report, r, C.TRANG_THAI, parse_status)
        percent = parse_cell(report, r, C.TIEN_DO, parse_progress)
        completed_on = parse_cell(report, r, C.NGAY_HOAN_THANH, parse_date)

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
    check_duplicates(report, C.MA_NHIEM_VU, codes)
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
            session, task, wanted, actor=actor, via=Via.IMPORT, now=now, keep_newer_than=file_time,
            keep_since_last_import=file_time is None, log=log,
        )  # fmt: skip
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
