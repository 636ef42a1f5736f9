"""Spreadsheets as offices make them: one generated file per case, each with its own clear message and
nothing written — or, where the reader should simply cope (hidden sheets, title rows, invisible
characters), the right rows imported."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks import columns as C
from tasks.importing import ImportReport, import_officials, import_tasks
from tasks.models import AuditLog, Official, Task, Unit
from tasks.spreadsheets import HEADER_SEARCH_ROWS, read_table
from tests.db_fixtures import T0, Org, SheetWriter
from tests.tasks.test_tasks_importing import ROSTER_HEADERS, roster_rows, task_row, three_rows, with_row

HEADERS = list(C.TASK_HEADERS)
DEADLINE_COL = "E"  # Thời hạn is the fifth column
PROGRESS_COL = "J"


def _workbook(path: Path, build: Callable[[Workbook], None]) -> Path:
    workbook = Workbook()
    build(workbook)
    workbook.save(path)
    return path


def _sheet_with(rows: list[list[Any]], title_rows: int = 0) -> Callable[[Workbook], None]:
    def build(workbook: Workbook) -> None:
        sheet = workbook.active
        for n in range(title_rows):
            sheet.append(["UBND TỈNH THANH HÓA" if n == 0 else "DANH SÁCH NHIỆM VỤ NĂM 2026"])
        sheet.append(HEADERS)
        for row in rows:
            sheet.append(row)

    return build


def _written(session: Session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count(Task.id))) or 0,
        session.scalar(select(func.count(AuditLog.id))) or 0,
        session.scalar(select(func.count(Official.id))) or 0,
        session.scalar(select(func.count(Unit.id))) or 0,
    )


def _formula_in(cell: str, formula: str, rows: list[list[Any]]) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        def fill(workbook: Workbook) -> None:
            _sheet_with(rows)(workbook)
            workbook.active[cell] = formula  # saved by openpyxl: a formula with no computed value

        return _workbook(path / "t.xlsx", fill)

    return build


def _csv(rows: list[list[Any]]) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        import csv

        target = path / "t.csv"
        with target.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            writer.writerows(["" if v is None else v for v in r] for r in rows)
        return target

    return build


def _xlsx(rows: list[list[Any]], title_rows: int = 0) -> Callable[[Path], Path]:
    return lambda path: _workbook(path / "t.xlsx", _sheet_with(rows, title_rows))


def _date_cell_1905(path: Path) -> Path:
    def build(workbook: Workbook) -> None:
        _sheet_with([task_row(**{C.THOI_HAN: 2026})])(workbook)
        workbook.active["E2"].number_format = "dd/mm/yyyy"  # 2026 shown as 18/07/1905

    return _workbook(path / "t.xlsx", build)


def _only_hidden(path: Path) -> Path:
    def build(workbook: Workbook) -> None:
        _sheet_with(three_rows())(workbook)
        workbook.active.title = "Dữ liệu"
        workbook.active.sheet_state = "hidden"
        workbook.create_sheet("Bìa").append(["BÁO CÁO NHIỆM VỤ"])
        workbook.active = 1

    return _workbook(path / "t.xlsx", build)


def _no_header(path: Path) -> Path:
    def build(workbook: Workbook) -> None:
        for n in range(20):
            workbook.active.append([f"Ghi chú {n}", "không phải bảng nhiệm vụ"])

    return _workbook(path / "t.xlsx", build)


# case → (builder(tmp_path) → file, expected (row, column), fragments every message of the case must hold)
CASES: dict[str, tuple[Callable[[Path], Path], set[tuple[int | None, str | None]], tuple[str, ...]]] = {
    "deadline is a bare year (number)": (
        _xlsx([task_row(**{C.THOI_HAN: 2026})]),
        {(2, C.THOI_HAN)},
        ("Ô E2", "2026", "năm"),
    ),
    "deadline is a bare year (text)": (
        _xlsx([task_row(**{C.THOI_HAN: "2026"})]),
        {(2, C.THOI_HAN)},
        ("Ô E2", "2026", "năm"),
    ),
    "deadline 2026 formatted as a date (18/07/1905)": (_date_cell_1905, {(2, C.THOI_HAN)}, ("Ô E2", "1905")),
    "deadline is Excel serial 45": (_xlsx([task_row(**{C.THOI_HAN: 45})]), {(2, C.THOI_HAN)}, ("Ô E2", "45")),
    "deadline is a serial past 2100": (
        _xlsx([task_row(**{C.THOI_HAN: 2958465})]),
        {(2, C.THOI_HAN)},
        ("Ô E2", "2958465"),
    ),
    "csv deadline 01/01/0001": (
        _csv([task_row(**{C.THOI_HAN: "01/01/0001"})]),
        {(2, C.THOI_HAN)},
        ("01/01/0001",),
    ),
    "csv deadline 31/12/9999": (
        _csv([task_row(**{C.THOI_HAN: "31/12/9999"})]),
        {(2, C.THOI_HAN)},
        ("31/12/9999",),
    ),
    "csv deadline serial 45": (_csv([task_row(**{C.THOI_HAN: "45"})]), {(2, C.THOI_HAN)}, ("“45”",)),
    "csv completion date 01/01/0001": (
        _csv([task_row(**{C.TRANG_THAI: "hoàn thành", C.NGAY_HOAN_THANH: "01/01/0001"})]),
        {(2, C.NGAY_HOAN_THANH)},
        ("Ô K2", "01/01/0001"),
    ),
    "progress is a formula never computed": (
        _formula_in("J2", "=20+10", [task_row()]),
        {(2, C.TIEN_DO)},
        ("Ô J2", "công thức chưa được tính", "mở tệp bằng Excel/LibreOffice, lưu lại rồi nhập"),
    ),
    "required deadline is a formula never computed": (
        _formula_in("E3", "=DATE(2026,12,31)", three_rows()),
        {(3, C.THOI_HAN)},
        ("Ô E3", "công thức chưa được tính"),
    ),
    "headers only on a hidden sheet": (_only_hidden, {(None, None)}, ("bị ẩn", "“Dữ liệu”", "--sheet")),
    "no header row in the first rows": (_no_header, {(None, None)}, ("dòng tên cột", "15 dòng đầu")),
    "bad date below title rows points at the real row": (
        _xlsx(with_row(three_rows(), 1, **{C.THOI_HAN: "2026"}), title_rows=2),
        {(5, C.THOI_HAN)},
        ("Ô E5",),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_spreadsheet_case_has_its_message_and_writes_nothing(
    case: str, session: Session, org: Org, tmp_path: Path
) -> None:
    build, expected, fragments = CASES[case]
    path = build(tmp_path)
    before = _written(session)
    report = import_tasks(session, path, now=T0)
    assert not report.ok
    assert {(e.row, e.column) for e in report.errors} == expected, report.errors
    for error in report.errors:
        assert error.message[0].isupper(), error.message
        assert error.column is None or f"(“{error.column}”)" not in error.message  # shown beside, once
        for fragment in fragments:
            assert fragment in error.message, (fragment, error.message)
    assert (report.created, report.updated) == (0, 0)
    assert _written(session) == before


def _ok(report: ImportReport) -> ImportReport:
    assert report.ok, report.errors
    return report


def test_a_hidden_first_sheet_is_skipped(session: Session, org: Org, tmp_path: Path) -> None:
    def build(workbook: Workbook) -> None:
        hidden = workbook.active
        hidden.title = "Cũ"
        hidden.append(["Mã nhiệm vụ", "Nội dung"])
        hidden.append(["X", "bản nháp"])
        hidden.sheet_state = "hidden"
        data = workbook.create_sheet("Nhiệm vụ")
        data.append(HEADERS)
        for row in three_rows():
            data.append(row)

    report = _ok(import_tasks(session, _workbook(tmp_path / "t.xlsx", build), now=T0))
    assert (report.created, report.sheet) == (3, "Nhiệm vụ")


def test_the_sheet_with_the_headers_is_chosen_or_named(session: Session, org: Org, tmp_path: Path) -> None:
    def build(workbook: Workbook) -> None:
        guide = workbook.active
        guide.title = "Hướng dẫn"
        guide.append(["Cách điền bảng nhiệm vụ"])
        guide.append(["Thời hạn ghi dd/mm/yyyy"])
        for title, code in (("Quý 3", "Q3-"), ("Quý 4", "Q4-")):
            data = workbook.create_sheet(title)
            data.append(HEADERS)
            for row in three_rows():
                data.append([code + row[0], *row[1:]])

    path = _workbook(tmp_path / "t.xlsx", build)
    report = _ok(import_tasks(session, path, now=T0))
    assert report.sheet == "Quý 3"  # the first sheet holding the headers; the guide is skipped
    named = _ok(import_tasks(session, path, now=T0, sheet="quy 4"))
    assert named.sheet == "Quý 4" and named.created == 3
    assert session.scalar(select(func.count(Task.id))) == 6
    missing = import_tasks(session, path, now=T0, sheet="Quý 5")
    assert not missing.ok and "không có trang “Quý 5”" in missing.errors[0].message
    assert "“Quý 3”" in missing.errors[0].message


def test_header_row_under_title_rows_merged_cells_and_a_numbering_row(
    session: Session, org: Org, tmp_path: Path
) -> None:
    def build(workbook: Workbook) -> None:
        sheet = workbook.active
        sheet.append(["UBND TỈNH THANH HÓA", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
        sheet.merge_cells("A1:C1")
        sheet.merge_cells("D1:K1")
        sheet.append(["DANH SÁCH NHIỆM VỤ TRỌNG TÂM NĂM 2026"])
        sheet.merge_cells("A2:K2")
        sheet.append([])
        # a two-level header: "Kết quả" merged over Trạng thái / Tiến độ / Ngày hoàn thành
        sheet.append([*HEADERS[:8], "Kết quả thực hiện", None, None])
        sheet.merge_cells("I4:K4")
        for column in "ABCDEFGH":
            sheet.merge_cells(f"{column}4:{column}5")
        sheet.append([None] * 8 + HEADERS[8:])
        sheet.append([f"({n})" for n in range(1, 12)])
        for row in three_rows():
            sheet.append(row)

    report = _ok(import_tasks(session, _workbook(tmp_path / "t.xlsx", build), now=T0))
    assert report.created == 3
    task = session.scalars(select(Task).where(Task.code == "NV-1")).one()
    assert (task.progress, task.lead_unit.name) == (30, "Sở Nội vụ")


def test_invisible_characters_and_look_alikes_are_removed_before_matching(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    rows = [
        task_row(**{C.MA_NHIEM_VU: "NV-1\u200b", C.NGUOI_THUC_HIEN: "SA01\u200b", C.DON_VI_CHU_TRI: "Sở\u00a0Nội  vụ"}),
        # Cyrillic "о" in "Hợp Tiến"'s unit and a soft hyphen in the code
        task_row(**{C.MA_NHIEM_VU: "NV-\u00ad2", C.NGUOI_THUC_HIEN: "\ufeffSB01", C.DON_VI_CHU_TRI: "UBND xã Hợp Tiến".replace("o", "\u043e")}),
    ]  # fmt: skip
    report = _ok(import_tasks(session, write_sheet("t.xlsx", C.TASK_HEADERS, rows), now=T0))
    assert report.created == 2
    assert set(session.scalars(select(Task.code))) == {"NV-1", "NV-2"}


def test_roster_codes_names_and_units_are_cleaned(session: Session, write_sheet: SheetWriter) -> None:
    rows = [
        ["A02\u200b", "Nguyễn\u00a0Văn  An", None, "UBND tỉnh\u200b", None, None, None, "lãnh đạo"],
        ["A03", "Trần Thị Bình", None, "\u00d0ảng ủy xã Hợp Tiến", "UBND tỉnh", None, None, None],
    ]
    _ok(import_officials(session, write_sheet("cb.xlsx", ROSTER_HEADERS, rows), now=T0))
    officials = {o.code: o for o in session.scalars(select(Official))}
    assert set(officials) == {"A02", "A03"}
    assert officials["A02"].full_name == "Nguyễn Văn An"
    assert {u.name for u in session.scalars(select(Unit))} == {"UBND tỉnh", "Đảng ủy xã Hợp Tiến"}


def test_numbers_given_as_dates_of_the_right_range_still_import(
    session: Session, org: Org, tmp_path: Path
) -> None:
    serial = (datetime(2026, 12, 31) - datetime(1899, 12, 30)).days
    report = _ok(import_tasks(session, _xlsx([task_row(**{C.THOI_HAN: serial})])(tmp_path), now=T0))
    assert report.created == 1


# --- roster: units as rows, parent suggestions, phones, --full --------------------------------------


def test_unit_rows_declare_units_without_officials(session: Session, write_sheet: SheetWriter) -> None:
    rows = [
        [None, None, None, "UBND tỉnh Thanh Hóa", None, None, None, None],
        ["CB1", "Phạm Thị Dung", "Giám đốc", "Sở Nội vụ", "UBND tỉnh Thanh Hóa", None, None, "lãnh đạo"],
        ["CB2", "Lê Văn Cường", "Giám đốc", "Sở Tài chính", "UBND tỉnh Thanh Hóa", None, None, "lãnh đạo"],
        [None, None, None, "Phòng Tổ chức - Sở Nội vụ", "Sở Nội vụ", None, None, None],
    ]
    report = _ok(import_officials(session, write_sheet("cb.xlsx", ROSTER_HEADERS, rows), now=T0))
    assert (report.created, report.units_created) == (2, 4)
    units = {u.name: u for u in session.scalars(select(Unit))}
    assert units["UBND tỉnh Thanh Hóa"].parent is None
    assert units["Sở Nội vụ"].parent is units["UBND tỉnh Thanh Hóa"]
    assert units["Phòng Tổ chức - Sở Nội vụ"].parent is units["Sở Nội vụ"]
    assert not units["UBND tỉnh Thanh Hóa"].officials


def test_a_unit_row_with_personal_details_is_refused(session: Session, write_sheet: SheetWriter) -> None:
    rows = [[None, None, None, "UBND tỉnh", None, "0912345678", None, None]]
    report = import_officials(session, write_sheet("cb.xlsx", ROSTER_HEADERS, rows), now=T0)
    assert [(e.row, e.column) for e in report.errors] == [(2, C.SO_DIEN_THOAI)]
    assert "khai báo đơn vị" in report.errors[0].message
    assert _written(session) == (0, 0, 0, 0)


def test_unknown_top_unit_explains_how_to_declare_it_and_never_suggests_a_commune(
    session: Session, write_sheet: SheetWriter
) -> None:
    communes = [
        [f"X{n}", f"Cán bộ {n}", None, name, None, None, None, None]
        for n, name in enumerate(["UBND phường Hạc Thành", "UBND xã Hợp Tiến", "UBND xã Hoằng Hóa"])
    ]
    _ok(import_officials(session, write_sheet("a.xlsx", ROSTER_HEADERS, communes), now=T0))
    rows = [
        ["S1", "Phạm Thị Dung", None, "Sở Nội vụ", "UBND tỉnh Thanh Hóa", None, None, None],
        ["S2", "Lê Văn Cường", None, "Sở Tài chính", "UBND tinh Thanh Hoa", None, None, None],
    ]
    report = import_officials(session, write_sheet("b.xlsx", ROSTER_HEADERS, rows), now=T0)
    assert {(e.row, e.column) for e in report.errors} == {(2, C.DON_VI_CAP_TREN), (3, C.DON_VI_CAP_TREN)}
    for error in report.errors:
        assert "để trống “Mã cán bộ”" in error.message
        assert "phường" not in error.message and "xã" not in error.message, error.message


def test_parent_suggestions_prefer_the_same_level_and_shape() -> None:
    from tasks.units import suggest_parent

    names = [
        "UBND phường Hạc Thành",
        "UBND xã Hợp Tiến",
        "UBND tỉnh Thanh Hóa",
        "Sở Nội vụ",
        "Văn phòng UBND tỉnh",
    ]
    assert suggest_parent("UBND tinh Thanh Hoa cu", "Sở Tài chính", names)[0] == "UBND tỉnh Thanh Hóa"
    assert all(
        "xã" not in n and "phường" not in n for n in suggest_parent("UBND Thanh Hoa", "Sở Y tế", names)
    )
    # a commune is a fine parent for a unit of that commune
    assert (
        suggest_parent("UBND xa Hop Tien", "Văn phòng HĐND-UBND xã Hợp Tiến", names)[0] == "UBND xã Hợp Tiến"
    )
    assert suggest_parent("So Noi vu cu", "Phòng Tổ chức", names)[0] == "Sở Nội vụ"


def test_a_phone_already_used_by_another_official_is_refused(
    session: Session, write_sheet: SheetWriter
) -> None:
    _ok(import_officials(session, write_sheet("a.xlsx", ROSTER_HEADERS, roster_rows()), now=T0))
    before = _written(session)
    rows = [
        ["CB009", "Đỗ Minh Hải", None, "Sở Nội vụ", None, "+84 912 345 001", None, None]
    ]  # CB001's number
    report = import_officials(session, write_sheet("b.xlsx", ROSTER_HEADERS, rows), now=T0)
    assert [(e.row, e.column) for e in report.errors] == [(2, C.SO_DIEN_THOAI)]
    assert "CB001" in report.errors[0].message and "0912345001" in report.errors[0].message
    assert _written(session) == before
    # moving the number in the same file (CB001 gets another one) is fine
    moved = [
        ["CB001", "Nguyễn Văn An", None, "UBND tỉnh", None, "0912 345 999", None, "lãnh đạo"],
        ["CB009", "Đỗ Minh Hải", None, "Sở Nội vụ", None, "0912 345 001", None, None],
    ]
    _ok(import_officials(session, write_sheet("c.xlsx", ROSTER_HEADERS, moved), now=T0))


def test_full_roster_deactivates_missing_officials_and_lists_their_open_tasks(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    tasks = [
        task_row(),
        task_row(**{C.MA_NHIEM_VU: "NV-2", C.TRANG_THAI: "hoàn thành", C.NGAY_HOAN_THANH: "20/10/2026"}),
        task_row(**{C.MA_NHIEM_VU: "NV-3", C.NGUOI_THUC_HIEN: "SB01", C.DON_VI_CHU_TRI: "UBND xã Hợp Tiến"}),
    ]
    _ok(import_tasks(session, write_sheet("t.xlsx", C.TASK_HEADERS, tasks), now=T0))
    everyone_but_sa01 = [
        [o.code, o.full_name, o.position, o.unit.name, None, o.phone, None, o.role.label]
        for o in (org.admin, org.leader_a, org.staff_a1, org.leader_b, org.staff_b)
    ]
    # without --full, a partial roster deactivates nobody
    partial = _ok(import_officials(session, write_sheet("p.xlsx", ROSTER_HEADERS, everyone_but_sa01), now=T0))
    assert partial.deactivated == [] and org.staff_a.active
    report = _ok(
        import_officials(session, write_sheet("f.xlsx", ROSTER_HEADERS, everyone_but_sa01), now=T0, full=True)
    )
    assert [(d.code, d.unit, d.open_tasks) for d in report.deactivated] == [("SA01", "Sở Nội vụ", ["NV-1"])]
    assert report.to_dict()["deactivated"][0]["open_tasks"] == ["NV-1"]
    session.expire_all()
    sa01 = session.scalars(select(Official).where(Official.code == "SA01")).one()
    assert sa01.active is False
    assert session.scalar(select(func.count(Task.id))) == 3  # nothing deleted
    audit = session.scalars(select(AuditLog).where(AuditLog.field == "active")).one()
    assert (audit.entity_key, audit.old, audit.new) == ("SA01", "true", "false")
    # a deactivated official sees nothing and is not a valid assignee
    from tasks.access import can_view_task

    assert not can_view_task(sa01, session.scalars(select(Task).where(Task.code == "NV-1")).one())
    refused = import_tasks(
        session, write_sheet("t2.xlsx", C.TASK_HEADERS, [task_row(**{C.MA_NHIEM_VU: "NV-9"})]), now=T0
    )
    assert [(e.row, e.column) for e in refused.errors] == [(2, C.NGUOI_THUC_HIEN)]
    assert "thôi hoạt động" in refused.errors[0].message
    # back in a later roster: active again
    back = [*everyone_but_sa01, ["SA01", "Trần Thị Sở", None, "Sở Nội vụ", None, None, None, None]]
    _ok(import_officials(session, write_sheet("g.xlsx", ROSTER_HEADERS, back), now=T0, full=True))
    session.expire_all()
    assert session.scalars(select(Official.active).where(Official.code == "SA01")).one() is True


def test_full_with_a_file_without_officials_is_refused(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    rows = [[None, None, None, "UBND tỉnh Thử Nghiệm", None, None, None, None]]
    report = import_officials(session, write_sheet("u.xlsx", ROSTER_HEADERS, rows), now=T0, full=True)
    assert not report.ok and "--full" in report.errors[0].message
    session.expire_all()
    assert all(session.scalars(select(Official.active)))


# --- the header search, as a property ---------------------------------------------------------------

_TITLE_WORDS = st.sampled_from(
    ["UBND TỈNH", "DANH SÁCH", "NHIỆM VỤ NĂM 2026", "Kèm theo Công văn số 12/UBND", ""]
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(titles=st.lists(st.lists(_TITLE_WORDS, min_size=1, max_size=3), max_size=HEADER_SEARCH_ROWS - 1))
def test_the_header_row_is_found_below_any_title_rows(tmp_path: Path, titles: list[list[str]]) -> None:
    import csv

    path = tmp_path / "t.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(titles)
        writer.writerow(HEADERS)
        writer.writerows(three_rows())
    table = read_table(path, C.TASK_HEADERS, required=C.TASK_REQUIRED)
    assert table.header_row == len(titles) + 1
    assert table.headers == HEADERS
    assert [r.number for r in table.rows] == [len(titles) + 2, len(titles) + 3, len(titles) + 4]
    assert table.rows[0].ref(C.THOI_HAN) == f"E{len(titles) + 2}"


def test_progress_reaches_every_stage_and_the_terminal_bar_draws_it(
    session: Session, org: Org, write_sheet: SheetWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from troly.cli.tasks import _import_progress

    seen: list[tuple[str, int, int]] = []
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with _import_progress(True) as bar:
        assert bar is not None

        def both(stage: str, done: int, total: int) -> None:
            seen.append((stage, done, total))
            bar(stage, done, total)

        report = _ok(
            import_tasks(session, write_sheet("t.xlsx", C.TASK_HEADERS, three_rows()), now=T0, progress=both)
        )
    assert report.created == 3
    assert ("read", 4, 4) in seen and seen[-1] == ("write", 3, 3)
    with _import_progress(False) as nothing:
        assert nothing is None


def test_a_unit_name_suggests_only_close_names() -> None:
    from tasks.units import suggest

    units = ["Sở Nội vụ", "Sở Tài chính", "UBND xã Hợp Tiến"]
    assert suggest("Sở Giáo dục", units) == []  # a shared "Sở" is not closeness
    assert suggest("So Noi vu", units) == ["Sở Nội vụ"]
    assert suggest("Sở Nộ vụ", units) == ["Sở Nội vụ"]  # a typo still is
