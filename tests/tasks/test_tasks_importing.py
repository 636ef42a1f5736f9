"""Spreadsheet import: all-or-nothing validation with row numbers, updates with audit, the conflict rule."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks import columns as C
from tasks.importing import derive_state, import_officials, import_tasks
from tasks.models import AuditLog, Official, Task, Unit
from tasks.normalize import Role, TaskStatus, Via
from tasks.service import set_progress
from tasks.spreadsheets import SpreadsheetError, read_table
from tests.db_fixtures import T0, Org, SheetWriter


def task_row(**values: Any) -> list[Any]:
    base = {
        C.MA_NHIEM_VU: "NV-1",
        C.NOI_DUNG: "Rà soát văn bản quy phạm pháp luật thuộc lĩnh vực phụ trách",
        C.NGUOI_THUC_HIEN: "SA01",
        C.DON_VI_CHU_TRI: "Sở Nội vụ",
        C.THOI_HAN: "15/12/2026",
        C.SAN_PHAM: "Báo cáo rà soát",
        C.NGUOI_GIAO: "Chủ tịch UBND tỉnh",
        C.VAN_BAN_GIAO: "Kết luận 221-KL/TW",
        C.TRANG_THAI: "đang thực hiện",
        C.TIEN_DO: 30,
        C.NGAY_HOAN_THANH: None,
    }
    unknown = set(values) - set(base)
    assert not unknown, unknown
    base.update(values)
    return [base[h] for h in C.TASK_HEADERS]


def three_rows() -> list[list[Any]]:
    return [
        task_row(),
        task_row(**{C.MA_NHIEM_VU: "NV-2", C.NGUOI_THUC_HIEN: "SB01", C.DON_VI_CHU_TRI: "UBND xã Hợp Tiến"}),
        task_row(
            **{
                C.MA_NHIEM_VU: "NV-3",
                C.NGUOI_THUC_HIEN: "SA11",
                C.DON_VI_CHU_TRI: "Phòng Công chức - Sở Nội vụ",
            }
        ),
    ]


def counts(session: Session) -> tuple[int, int]:
    return session.scalar(select(func.count(Task.id))) or 0, session.scalar(
        select(func.count(AuditLog.id))
    ) or 0


def with_row(rows: list[list[Any]], index: int, **values: Any) -> list[list[Any]]:
    rows = [list(r) for r in rows]
    current = dict(zip(C.TASK_HEADERS, rows[index], strict=True))
    current.update(values)
    rows[index] = [current[h] for h in C.TASK_HEADERS]
    return rows


# Each case: (name, builder(write_sheet, tmp_path) -> path, expected {(row, column)})
def _headers_without(column: str) -> tuple[list[str], list[list[Any]]]:
    keep = [i for i, h in enumerate(C.TASK_HEADERS) if h != column]
    return [C.TASK_HEADERS[i] for i in keep], [[r[i] for i in keep] for r in three_rows()]


BAD_TASK_FILES = {
    "missing column": (lambda w, _p: w("t.xlsx", *_headers_without(C.THOI_HAN)), {(1, C.THOI_HAN)}),
    "unknown official": (
        lambda w, _p: w("t.xlsx", C.TASK_HEADERS, with_row(three_rows(), 1, **{C.NGUOI_THUC_HIEN: "ZZ99"})),
        {(3, C.NGUOI_THUC_HIEN)},
    ),
    "bad date": (
        lambda w, _p: w("t.xlsx", C.TASK_HEADERS, with_row(three_rows(), 0, **{C.THOI_HAN: "31/02/2026"})),
        {(2, C.THOI_HAN)},
    ),
    "duplicate code": (
        lambda w, _p: w("t.xlsx", C.TASK_HEADERS, with_row(three_rows(), 2, **{C.MA_NHIEM_VU: "nv-1"})),
        {(4, C.MA_NHIEM_VU)},
    ),
    "progress 150": (
        lambda w, _p: w("t.xlsx", C.TASK_HEADERS, with_row(three_rows(), 1, **{C.TIEN_DO: 150})),
        {(3, C.TIEN_DO)},
    ),
    "progress not a number": (
        lambda w, _p: w("t.xlsx", C.TASK_HEADERS, with_row(three_rows(), 0, **{C.TIEN_DO: "một nửa"})),
        {(2, C.TIEN_DO)},
    ),
    "unknown status": (
        lambda w, _p: w("t.xlsx", C.TASK_HEADERS, with_row(three_rows(), 2, **{C.TRANG_THAI: "gần xong"})),
        {(4, C.TRANG_THAI)},
    ),
    "unknown unit": (
        lambda w, _p: w(
            "t.xlsx", C.TASK_HEADERS, with_row(three_rows(), 0, **{C.DON_VI_CHU_TRI: "Sở Ngoại vụ"})
        ),
        {(2, C.DON_VI_CHU_TRI)},
    ),
    "empty required cell": (
        lambda w, _p: w("t.xlsx", C.TASK_HEADERS, with_row(three_rows(), 1, **{C.SAN_PHAM: "  "})),
        {(3, C.SAN_PHAM)},
    ),
    "completion date on an unfinished task": (
        lambda w, _p: w(
            "t.xlsx", C.TASK_HEADERS, with_row(three_rows(), 0, **{C.NGAY_HOAN_THANH: "20/10/2026"})
        ),
        {(2, C.NGAY_HOAN_THANH)},
    ),
    "several bad rows": (
        lambda w, _p: w(
            "t.csv",
            C.TASK_HEADERS,
            with_row(with_row(three_rows(), 0, **{C.THOI_HAN: "mai"}), 2, **{C.NGUOI_THUC_HIEN: "??"}),
        ),
        {(2, C.THOI_HAN), (4, C.NGUOI_THUC_HIEN)},
    ),
    "corrupt xlsx": (
        lambda _w, p: _write_bytes(p / "t.xlsx", b"PK\x03\x04 this is not a workbook"),
        {(None, None)},
    ),
    "empty file": (lambda _w, p: _write_bytes(p / "t.xlsx", b""), {(None, None)}),
    "headers only": (lambda w, _p: w("t.xlsx", C.TASK_HEADERS, []), {(None, None)}),
    "unsupported extension": (
        lambda _w, p: _write_bytes(p / "t.txt", b"Ma nhiem vu\nNV-1\n"),
        {(None, None)},
    ),
}


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(BAD_TASK_FILES))
def test_bad_task_files_write_nothing_and_point_at_rows(
    case: str, session: Session, org: Org, write_sheet: SheetWriter, tmp_path: Path
) -> None:
    build, expected = BAD_TASK_FILES[case]
    path = build(write_sheet, tmp_path)
    before = counts(session)
    report = import_tasks(session, path, now=T0)
    assert not report.ok
    assert {(e.row, e.column) for e in report.errors} == expected, report.errors
    assert all(e.message and e.message[0].isupper() for e in report.errors)
    assert report.created == report.updated == 0
    assert counts(session) == before == (0, 0)


def test_bad_row_leaves_existing_tasks_untouched(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    assert import_tasks(session, write_sheet("a.xlsx", C.TASK_HEADERS, three_rows()), now=T0).ok
    before = counts(session)
    rows = with_row(three_rows(), 0, **{C.NOI_DUNG: "Nội dung mới", C.TIEN_DO: 90})
    rows = with_row(rows, 2, **{C.THOI_HAN: "32/12/2026"})
    report = import_tasks(session, write_sheet("b.xlsx", C.TASK_HEADERS, rows), now=T0 + timedelta(hours=1))
    assert [(e.row, e.column) for e in report.errors] == [(4, C.THOI_HAN)]
    session.expire_all()
    task = session.scalars(select(Task).where(Task.code == "NV-1")).one()
    assert (task.content, task.progress) == (three_rows()[0][1], 30)
    assert counts(session) == before


def test_unknown_unit_error_suggests_close_names(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    rows = with_row(three_rows(), 0, **{C.DON_VI_CHU_TRI: "Sở NV"})
    report = import_tasks(session, write_sheet("t.xlsx", C.TASK_HEADERS, rows), now=T0)
    assert len(report.errors) == 1
    assert "“Sở Nội vụ”" in report.errors[0].message


def test_import_creates_tasks_with_the_six_clear_fields(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    rows = [
        *three_rows(),
        task_row(
            **{C.MA_NHIEM_VU: "NV-4", C.TRANG_THAI: "Hoan thanh", C.TIEN_DO: None, C.VAN_BAN_GIAO: None}
        ),
        task_row(
            **{C.MA_NHIEM_VU: "NV-5", C.TRANG_THAI: None, C.TIEN_DO: None, C.NGAY_HOAN_THANH: "20/10/2026"}
        ),
        task_row(
            **{C.MA_NHIEM_VU: "NV-6", C.TRANG_THAI: None, C.TIEN_DO: "25%", C.DON_VI_CHU_TRI: "so noi vu"}
        ),
    ]
    report = import_tasks(session, write_sheet("t.xlsx", C.TASK_HEADERS, rows), actor="import:t.xlsx", now=T0)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (6, 0, 0)
    tasks = {t.code: t for t in session.scalars(select(Task))}
    nv1 = tasks["NV-1"]
    assert nv1.assignee is org.staff_a and nv1.lead_unit is org.so_a
    assert nv1.deadline == date(2026, 12, 15) and nv1.product == "Báo cáo rà soát"
    assert nv1.assigned_by == "Chủ tịch UBND tỉnh" and nv1.source_document == "Kết luận 221-KL/TW"
    assert (nv1.status, nv1.progress, nv1.completed_on) == (TaskStatus.DANG_THUC_HIEN, 30, None)
    assert nv1.updated_via == Via.IMPORT and nv1.created_by == "import:t.xlsx" and nv1.created_at == T0
    # done without a date: 100 %, and no invented date ("không rõ ngày hoàn thành")
    assert (tasks["NV-4"].status, tasks["NV-4"].progress, tasks["NV-4"].completed_on) == (
        TaskStatus.HOAN_THANH, 100, None,
    )  # fmt: skip
    assert tasks["NV-4"].source_document is None
    # a completion date alone means done
    assert (tasks["NV-5"].status, tasks["NV-5"].completed_on) == (TaskStatus.HOAN_THANH, date(2026, 10, 20))
    # no status but some progress: in progress; unit matched without diacritics
    assert (tasks["NV-6"].status, tasks["NV-6"].progress) == (TaskStatus.DANG_THUC_HIEN, 25)
    assert tasks["NV-6"].lead_unit is org.so_a
    created = session.scalars(select(AuditLog).where(AuditLog.entity == "task")).all()
    assert len(created) == 6 and {a.actor for a in created} == {"import:t.xlsx"}


def test_reimport_updates_by_code_and_audits_each_changed_field(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    import_tasks(session, write_sheet("a.xlsx", C.TASK_HEADERS, three_rows()), now=T0)
    rows = with_row(
        three_rows(), 0, **{C.NOI_DUNG: "Nội dung đã sửa", C.TIEN_DO: 60, C.NGUOI_THUC_HIEN: "LA01"}
    )
    rows = with_row(rows, 1, **{C.TRANG_THAI: "hoàn thành", C.NGAY_HOAN_THANH: "30/10/2026"})
    later = T0 + timedelta(days=1)
    report = import_tasks(session, write_sheet("b.xlsx", C.TASK_HEADERS, rows), now=later)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    audits = session.scalars(select(AuditLog).where(AuditLog.at == later).order_by(AuditLog.id)).all()
    changes = {(a.entity_key, a.field, a.old, a.new) for a in audits}
    assert changes == {
        ("NV-1", "content", "Rà soát văn bản quy phạm pháp luật thuộc lĩnh vực phụ trách", "Nội dung đã sửa"),
        ("NV-1", "assignee", "SA01", "LA01"),
        ("NV-1", "progress", "30", "60"),
        ("NV-2", "status", "dang_thuc_hien", "hoan_thanh"),
        ("NV-2", "progress", "30", "100"),
        ("NV-2", "completed_on", None, "2026-10-30"),
    }
    assert {a.actor for a in audits} == {"import:b.xlsx"} and {a.via for a in audits} == {"import"}
    nv1 = session.scalars(select(Task).where(Task.code == "NV-1")).one()
    assert nv1.updated_at == later and nv1.assignee is org.leader_a
    # the same file again changes nothing
    again = import_tasks(session, write_sheet("b.xlsx", C.TASK_HEADERS, rows), now=later + timedelta(hours=1))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_empty_optional_cells_keep_current_values(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    import_tasks(session, write_sheet("a.xlsx", C.TASK_HEADERS, three_rows()), now=T0)
    rows = with_row(three_rows(), 0, **{C.TRANG_THAI: None, C.TIEN_DO: None, C.VAN_BAN_GIAO: None})
    report = import_tasks(session, write_sheet("b.xlsx", C.TASK_HEADERS, rows), now=T0 + timedelta(hours=1))
    assert report.unchanged == 3
    nv1 = session.scalars(select(Task).where(Task.code == "NV-1")).one()
    assert (nv1.status, nv1.progress, nv1.source_document) == (
        TaskStatus.DANG_THUC_HIEN,
        30,
        "Kết luận 221-KL/TW",
    )


# --- the bot-vs-spreadsheet conflict rule ----------------------------------------------------------


def test_newer_bot_progress_beats_an_older_spreadsheet(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    import_tasks(session, write_sheet("a.xlsx", C.TASK_HEADERS, three_rows()), now=T0, as_of=T0)
    nv1 = session.scalars(select(Task).where(Task.code == "NV-1")).one()
    bot_time = T0 + timedelta(hours=2)
    set_progress(session, org.staff_a, nv1.id, 60, now=bot_time)

    # A spreadsheet saved before the bot update: wording changes apply, progress does not.
    rows = with_row(three_rows(), 0, **{C.TIEN_DO: 40, C.NOI_DUNG: "Nội dung cập nhật"})
    path = write_sheet("b.xlsx", C.TASK_HEADERS, rows)
    report = import_tasks(session, path, now=T0 + timedelta(hours=3), as_of=T0 + timedelta(hours=1))
    assert report.ok
    assert [(c.row, c.code, c.column, c.kept, c.ignored) for c in report.conflicts] == [
        (2, "NV-1", C.TIEN_DO, "60", "40")
    ]
    assert report.conflicts[0].changed_at == bot_time
    session.expire_all()
    nv1 = session.get(Task, nv1.id)
    assert (nv1.progress, nv1.content) == (60, "Nội dung cập nhật")
    assert (nv1.progress_updated_via, nv1.progress_updated_at) == (Via.BOT, bot_time)
    conflict_audit = session.scalars(select(AuditLog).where(AuditLog.note.like("Xung đột%"))).one()
    assert (conflict_audit.entity_key, conflict_audit.field, conflict_audit.old, conflict_audit.new) == (
        "NV-1", "progress", "60", "40",
    )  # fmt: skip

    # Importing the same old file again still keeps the bot's value (the wording update did not reset it).
    again = import_tasks(session, path, now=T0 + timedelta(hours=4), as_of=T0 + timedelta(hours=1))
    assert len(again.conflicts) == 1 and session.get(Task, nv1.id).progress == 60

    # A spreadsheet saved after the bot update wins: last change wins.
    newer = import_tasks(session, path, now=T0 + timedelta(hours=5), as_of=T0 + timedelta(hours=4))
    assert newer.conflicts == [] and newer.updated == 1
    session.expire_all()
    nv1 = session.get(Task, nv1.id)
    assert (nv1.progress, nv1.progress_updated_via) == (40, Via.IMPORT)


def test_conflict_on_completion_keeps_every_bot_field(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    from tasks.service import complete_task

    import_tasks(session, write_sheet("a.xlsx", C.TASK_HEADERS, three_rows()), now=T0, as_of=T0)
    nv2 = session.scalars(select(Task).where(Task.code == "NV-2")).one()
    complete_task(session, org.staff_b, nv2.id, "Đã gửi báo cáo", now=T0 + timedelta(hours=2))
    rows = with_row(three_rows(), 1, **{C.TRANG_THAI: "tạm dừng", C.TIEN_DO: 50})
    report = import_tasks(
        session,
        write_sheet("b.xlsx", C.TASK_HEADERS, rows),
        now=T0 + timedelta(hours=3),
        as_of=T0 + timedelta(hours=1),
    )
    assert {(c.column, c.kept, c.ignored) for c in report.conflicts} == {
        (C.TRANG_THAI, "hoàn thành", "tạm dừng"),
        (C.TIEN_DO, "100", "50"),
        (C.NGAY_HOAN_THANH, "01/11/2026", ""),
    }
    session.expire_all()
    assert session.get(Task, nv2.id).status == TaskStatus.HOAN_THANH


def test_file_timestamp_comes_from_the_xlsx_or_the_file(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    xlsx = write_sheet("a.xlsx", C.TASK_HEADERS, three_rows())
    report = import_tasks(session, xlsx, now=T0)
    saved = read_table(xlsx, C.TASK_HEADERS).modified
    assert saved is not None and abs(saved - datetime.now(UTC)) < timedelta(minutes=5)
    assert report.file_time == saved
    csv_path = write_sheet("b.csv", C.TASK_HEADERS, three_rows())
    stamp = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    os.utime(csv_path, (stamp.timestamp(), stamp.timestamp()))
    assert import_tasks(session, csv_path, now=T0).file_time == stamp


# --- spreadsheet reading ---------------------------------------------------------------------------


@pytest.mark.parametrize(("delimiter", "bom"), [(",", True), (";", True), (";", False), (",", False)])
def test_csv_with_or_without_bom_and_either_delimiter(
    delimiter: str, bom: bool, session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    headers = ["Ma nhiem vu", "NOI DUNG", "Người thực hiện", "don vi chu tri", "Thời hạn", "San pham", "Nguoi giao",
               "Trạng thái", "Tiến độ"]  # fmt: skip
    rows = [[r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[8], r[9]] for r in three_rows()]
    path = write_sheet("t.csv", headers, rows, delimiter=delimiter, bom=bom)
    report = import_tasks(session, path, now=T0)
    assert report.ok, report.errors
    assert report.created == 3
    assert session.scalars(select(Task.progress).where(Task.code == "NV-1")).one() == 30


def test_csv_in_a_legacy_encoding_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("Mã nhiệm vụ\nNV-1\n".encode("utf-16"))
    with pytest.raises(SpreadsheetError, match="UTF-8"):
        read_table(path, C.TASK_HEADERS)


def test_xls_gets_a_save_as_xlsx_hint(tmp_path: Path) -> None:
    path = tmp_path / "t.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SpreadsheetError, match=r"\.xlsx"):
        read_table(path, C.TASK_HEADERS)


def test_excel_date_cells_and_percent_cells(session: Session, org: Org, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(C.TASK_HEADERS))
    sheet.append(task_row(**{C.THOI_HAN: datetime(2026, 12, 31), C.TIEN_DO: 0.45}))
    sheet["J2"].number_format = "0%"
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    report = import_tasks(session, path, now=T0)
    assert report.ok, report.errors
    task = session.scalars(select(Task)).one()
    assert (task.deadline, task.progress) == (date(2026, 12, 31), 45)


# --- derive_state (pure) ---------------------------------------------------------------------------


def test_derive_state_rules() -> None:
    from tasks.importing import ProgressState

    done = ProgressState(TaskStatus.HOAN_THANH, 100, date(2026, 10, 1))
    assert derive_state(None, None, None, None) == ProgressState(TaskStatus.CHUA_BAT_DAU, 0, None)
    # done without a date stays without one: a date is never invented
    assert derive_state(None, TaskStatus.HOAN_THANH, 20, None) == ProgressState(
        TaskStatus.HOAN_THANH, 100, None
    )
    # re-importing "done" without a date keeps the recorded completion date
    assert derive_state(done, TaskStatus.HOAN_THANH, None, None) == done
    # reopening clears the completion date
    assert derive_state(done, TaskStatus.DANG_THUC_HIEN, 80, None) == ProgressState(
        TaskStatus.DANG_THUC_HIEN, 80, None
    )


# --- officials roster ------------------------------------------------------------------------------

ROSTER_HEADERS = list(C.OFFICIAL_HEADERS)


def roster_rows() -> list[list[Any]]:
    return [
        ["CB001", "Nguyễn Văn An", "Chủ tịch UBND tỉnh", "UBND tỉnh", None, "0912 345 001", "@an_ubnd", "lãnh đạo"],
        ["CB002", "Trần Thị Bình", "Chánh Văn phòng", "Văn phòng UBND tỉnh", "UBND tỉnh", "+84 912 345 002", None, "Lãnh đạo"],
        ["CB003", "Lê Văn Cường", "Chuyên viên", "Văn phòng UBND tỉnh", "UBND tỉnh", "0912.345.003", None, "quan tri"],
        ["CB004", "Phạm Thị Dung", "Giám đốc Sở", "Sở Nội vụ", "UBND tỉnh", "912345004", "dung_snv", "lãnh đạo"],
        ["CB005", "Hoàng Văn Em", "Chuyên viên", "Phòng Công chức - Sở Nội vụ", "Sở Nội vụ", None, None, "cán bộ"],
        ["CB006", "Vũ Thị Giang", "Chuyên viên", "Sở Nội vụ", None, "0912345006", None, None],
    ]  # fmt: skip


def test_roster_import_builds_the_unit_tree_and_officials(session: Session, write_sheet: SheetWriter) -> None:
    report = import_officials(session, write_sheet("cb.xlsx", ROSTER_HEADERS, roster_rows()), now=T0)
    assert report.ok, report.errors
    assert (report.created, report.units_created) == (6, 4)
    units = {u.name: u for u in session.scalars(select(Unit))}
    assert units["UBND tỉnh"].parent is None
    assert units["Văn phòng UBND tỉnh"].parent is units["UBND tỉnh"]
    assert units["Sở Nội vụ"].parent is units["UBND tỉnh"]  # declared on one row, empty on another
    assert units["Phòng Công chức - Sở Nội vụ"].parent is units["Sở Nội vụ"]
    officials = {o.code: o for o in session.scalars(select(Official))}
    assert officials["CB002"].phone_normalized == "0912345002" and officials["CB002"].role is Role.LANH_DAO
    assert officials["CB003"].role is Role.QUAN_TRI and officials["CB006"].role is Role.CAN_BO
    assert (
        officials["CB004"].phone_normalized == "0912345004"
        and officials["CB004"].telegram_username == "dung_snv"
    )
    assert officials["CB001"].telegram_username == "an_ubnd"
    assert officials["CB005"].phone is None and officials["CB005"].unit.name == "Phòng Công chức - Sở Nội vụ"


def test_roster_reimport_updates_and_audits(session: Session, write_sheet: SheetWriter) -> None:
    import_officials(session, write_sheet("a.xlsx", ROSTER_HEADERS, roster_rows()), now=T0)
    rows = roster_rows()
    rows[4] = [
        "CB005",
        "Hoàng Văn Em",
        "Phó Trưởng phòng",
        "Phòng Công chức - Sở Nội vụ",
        "Sở Nội vụ",
        None,
        None,
        "lãnh đạo",
    ]
    rows[1][3] = "VĂN PHÒNG UBND TỈNH"  # same unit, other spelling: no new unit, no change
    rows.append(
        [
            "CB007",
            "Đỗ Minh Hải",
            "Chủ tịch UBND xã",
            "UBND xã Hợp Tiến",
            "UBND tỉnh",
            "0912345007",
            None,
            "lãnh đạo",
        ]
    )
    later = T0 + timedelta(days=1)
    report = import_officials(session, write_sheet("b.xlsx", ROSTER_HEADERS, rows), now=later)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged, report.units_created) == (1, 1, 5, 1)
    changes = {
        (a.entity, a.entity_key, a.field, a.old, a.new)
        for a in session.scalars(select(AuditLog).where(AuditLog.at == later, AuditLog.field.is_not(None)))
    }
    assert changes == {
        ("official", "CB005", "position", "Chuyên viên", "Phó Trưởng phòng"),
        ("official", "CB005", "role", "can_bo", "lanh_dao"),
    }
    assert session.scalar(select(func.count(Unit.id))) == 5


def test_roster_can_move_a_unit_under_another(session: Session, write_sheet: SheetWriter) -> None:
    import_officials(session, write_sheet("a.xlsx", ROSTER_HEADERS, roster_rows()), now=T0)
    rows = [
        [
            "CB005",
            "Hoàng Văn Em",
            "Chuyên viên",
            "Phòng Công chức - Sở Nội vụ",
            "Văn phòng UBND tỉnh",
            None,
            None,
            "cán bộ",
        ]
    ]
    report = import_officials(
        session, write_sheet("b.xlsx", ROSTER_HEADERS, rows), now=T0 + timedelta(days=1)
    )
    assert report.ok, report.errors
    moved = session.scalars(select(AuditLog).where(AuditLog.field == "parent")).one()
    assert (moved.entity_key, moved.old, moved.new) == (
        "Phòng Công chức - Sở Nội vụ",
        "Sở Nội vụ",
        "Văn phòng UBND tỉnh",
    )
    session.expire_all()
    unit = session.scalars(select(Unit).where(Unit.name == "Phòng Công chức - Sở Nội vụ")).one()
    assert unit.parent.name == "Văn phòng UBND tỉnh"


def _roster_with(index: int, column: str, value: Any) -> list[list[Any]]:
    rows = roster_rows()
    rows[index][ROSTER_HEADERS.index(column)] = value
    return rows


BAD_ROSTERS = {
    "missing column": (
        lambda: ([h for h in ROSTER_HEADERS if h != C.HO_TEN], [r[:1] + r[2:] for r in roster_rows()]),
        {(1, C.HO_TEN)},
    ),
    "unknown parent unit": (
        lambda: (ROSTER_HEADERS, _roster_with(4, C.DON_VI_CAP_TREN, "Sở Nội vụ cũ")),
        {(6, C.DON_VI_CAP_TREN)},
    ),
    "duplicate code": (lambda: (ROSTER_HEADERS, _roster_with(5, C.MA_CAN_BO, "cb001")), {(7, C.MA_CAN_BO)}),
    "bad phone": (
        lambda: (ROSTER_HEADERS, _roster_with(2, C.SO_DIEN_THOAI, "12345")),
        {(4, C.SO_DIEN_THOAI)},
    ),
    "duplicate phone": (
        lambda: (ROSTER_HEADERS, _roster_with(2, C.SO_DIEN_THOAI, "+84 912 345 001")),
        {(4, C.SO_DIEN_THOAI)},
    ),
    "unknown role": (lambda: (ROSTER_HEADERS, _roster_with(3, C.VAI_TRO, "giám đốc")), {(5, C.VAI_TRO)}),
    "bad telegram": (lambda: (ROSTER_HEADERS, _roster_with(3, C.TELEGRAM, "@có dấu")), {(5, C.TELEGRAM)}),
    "empty name": (lambda: (ROSTER_HEADERS, _roster_with(1, C.HO_TEN, None)), {(3, C.HO_TEN)}),
    "two parents for one unit": (
        lambda: (ROSTER_HEADERS, _roster_with(5, C.DON_VI_CAP_TREN, "Văn phòng UBND tỉnh")),
        {(5, C.DON_VI_CAP_TREN), (7, C.DON_VI_CAP_TREN)},
    ),
    "unit cycle": (
        lambda: (
            ROSTER_HEADERS,
            [
                ["X1", "A", None, "Đơn vị A", "Đơn vị B", None, None, None],
                ["X2", "B", None, "Đơn vị B", "Đơn vị A", None, None, None],
                ["X3", "C", None, "Đơn vị C", "Đơn vị C", None, None, None],
            ],
        ),
        {(2, C.DON_VI_CAP_TREN), (3, C.DON_VI_CAP_TREN), (4, C.DON_VI_CAP_TREN)},
    ),
}


@pytest.mark.parametrize("case", list(BAD_ROSTERS))
def test_bad_rosters_write_nothing(case: str, session: Session, write_sheet: SheetWriter) -> None:
    build, expected = BAD_ROSTERS[case]
    headers, rows = build()
    report = import_officials(session, write_sheet("cb.xlsx", headers, rows), now=T0)
    assert {(e.row, e.column) for e in report.errors} == expected, report.errors
    assert session.scalar(select(func.count(Unit.id))) == 0
    assert session.scalar(select(func.count(Official.id))) == 0
    assert session.scalar(select(func.count(AuditLog.id))) == 0


def test_cycle_error_names_the_loop(session: Session, write_sheet: SheetWriter) -> None:
    build, _ = BAD_ROSTERS["unit cycle"]
    headers, rows = build()
    report = import_officials(session, write_sheet("cb.xlsx", headers, rows), now=T0)
    messages = {e.message for e in report.errors}
    assert any("Vòng lặp" in m and "Đơn vị A" in m and "Đơn vị B" in m for m in messages)
    assert any("Đơn vị C → Đơn vị C" in m for m in messages)


def test_cycle_through_units_already_in_the_database(session: Session, write_sheet: SheetWriter) -> None:
    import_officials(session, write_sheet("a.xlsx", ROSTER_HEADERS, roster_rows()), now=T0)
    rows = [
        [
            "CB001",
            "Nguyễn Văn An",
            "Chủ tịch",
            "UBND tỉnh",
            "Phòng Công chức - Sở Nội vụ",
            None,
            None,
            "lãnh đạo",
        ]
    ]
    report = import_officials(
        session, write_sheet("b.xlsx", ROSTER_HEADERS, rows), now=T0 + timedelta(days=1)
    )
    assert [(e.row, e.column) for e in report.errors] == [(2, C.DON_VI_CAP_TREN)]
    session.expire_all()
    assert session.scalars(select(Unit).where(Unit.name == "UBND tỉnh")).one().parent_id is None
