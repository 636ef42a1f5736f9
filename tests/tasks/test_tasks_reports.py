"""Report files: the .xlsx and .docx open with openpyxl / python-docx and hold the right numbers; the CLI
writes them without changing its JSON; permissions of /baocao."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tasks import report_files
from tasks.db import Database
from tasks.errors import PermissionDenied
from tasks.kpi import format_kpi, unit_kpis
from tasks.report_files import (
    QUOC_HIEU,
    TIEU_NGU,
    TITLE,
    administrative_date,
    collect_report,
    docx_bytes,
    report_filename,
    report_for_viewer,
    xlsx_bytes,
)
from tasks.reporting import unit_report
from tests.db_fixtures import Org, db_url
from tests.tasks.test_tasks_kpi import TODAY, build_work
from troly.cli.tasks import tasks_app


@pytest.fixture
def work(session: Session, org: Org) -> Org:
    return build_work(session, org)


def rows(sheet, first: int) -> list[tuple]:
    return [r for r in sheet.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def test_xlsx_holds_every_unit_overdue_task_and_kpi(session: Session, work: Org) -> None:
    data = collect_report(session, work.so_a, today=TODAY)
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(data)))
    assert book.sheetnames == ["Tổng hợp", "Quá hạn", "KPI cán bộ", "Cách tính KPI"]
    summary = rows(book["Tổng hợp"], 4)
    kpis = unit_kpis(session, TODAY)
    assert [(r[1].strip(), r[3], r[4], r[5], r[6], r[7]) for r in summary] == [
        ("Sở Nội vụ", 8, 4, 1, 2, 2),
        ("Sở Nội vụ (trực tiếp)", 4, 2, 0, 1, 1),  # its own tasks: the rows below it add up to 8
        ("Phòng Công chức - Sở Nội vụ", 4, 2, 1, 1, 1),
    ]
    assert [r[2] for r in summary] == [0, 1, 1]
    assert summary[0][8] == pytest.approx(0.5) and summary[0][9] == kpis[work.so_a.id].score
    overdue = rows(book["Quá hạn"], 5)
    assert [(r[1], r[7], r[3]) for r in overdue] == [
        ("A-OVER45", 45, "Trần Thị Sở"),
        ("A1-OVER10", 10, "Phạm Văn Phòng"),
    ]
    assert overdue[0][6].date() == date(2026, 10, 8)  # a real date cell
    people = {r[1]: r for r in rows(book["KPI cán bộ"], 4)}
    assert set(people) == {"SA01", "SA11", "LA01"}  # officials of Sở A's subtree only
    assert people["LA01"][10] is None and people["SA11"][4] == 4
    header = next(r for r in book["KPI cán bộ"].iter_rows(values_only=True) if r and r[0] == "STT")
    assert header[7:10] == ("Hoàn thành trễ", "Hoàn thành (không rõ ngày)", "Quá hạn")
    # SA01's task done without a date counts apart, not as late (finding: it was shown as late).
    assert (people["SA01"][7], people["SA01"][8]) == (1, 1)
    notes = " ".join(str(r[0]) for r in book["Cách tính KPI"].iter_rows(values_only=True) if r[0])
    assert "không rõ ngày hoàn thành +0,5" in notes


def test_docx_has_the_administrative_layout_and_the_numbers(session: Session, work: Org) -> None:
    data = collect_report(session, work.so_a, today=TODAY)
    document = docx.Document(io.BytesIO(docx_bytes(data, place="Thanh Hóa")))
    header = document.tables[0].rows[0].cells
    assert header[0].text.split("\n")[:2] == ["UBND TỈNH THỬ NGHIỆM", "SỞ NỘI VỤ"]
    right = header[1].text.split("\n")
    assert (
        right[0] == QUOC_HIEU and right[1] == TIEU_NGU and right[-1] == "Thanh Hóa, ngày 22 tháng 11 năm 2026"
    )
    text = "\n".join(p.text for p in document.paragraphs)
    assert TITLE in text and "I. TÌNH HÌNH CHUNG" in text and "III. DANH SÁCH NHIỆM VỤ QUÁ HẠN" in text
    assert "Tổng số nhiệm vụ được giao: 8; đã hoàn thành: 4 (50%)" in text
    assert f"Chỉ số KPI: {format_kpi(unit_kpis(session, TODAY)[work.so_a.id].score)}/100" in text
    units = [[c.text for c in r.cells] for r in document.tables[1].rows]
    assert units[0][:3] == ["STT", "Đơn vị", "Tổng số"]
    assert units[1][:8] == ["1", "Sở Nội vụ (trực tiếp)", "4", "2", "0", "1", "1", "50%"]
    assert units[2] == ["2", "Phòng Công chức - Sở Nội vụ", "4", "2", "1", "1", "1", "50%", units[2][8]]
    assert units[-1][1:7] == ["Tổng cộng", "8", "4", "1", "2", "2"]
    overdue = [[c.text for c in r.cells] for r in document.tables[2].rows]
    assert [r[1] for r in overdue[1:]] == ["A-OVER45", "A1-OVER10"] and overdue[1][6] == "45"
    signature = document.tables[3].rows[0].cells
    assert signature[0].text.startswith("Nơi nhận:") and "THỦ TRƯỞNG ĐƠN VỊ" in signature[1].text


def test_docx_lists_at_most_the_limit_of_overdue_tasks(
    session: Session, work: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_files.word, "DOCX_OVERDUE_LIMIT", 1)  # read where the document is written
    data = collect_report(session, None, today=TODAY)  # one top unit: the report is UBND tỉnh's
    assert data.unit_name == "UBND tỉnh Thử Nghiệm" and data.parent_name is None
    document = docx.Document(io.BytesIO(docx_bytes(data)))
    assert len(document.tables[2].rows) == 2
    text = "\n".join(p.text for p in document.paragraphs)
    assert "danh sách đầy đủ 2 nhiệm vụ trong tệp Excel" in text
    assert "……………, ngày 22 tháng 11 năm 2026" in document.tables[0].rows[0].cells[1].text


def test_dates_in_administrative_style() -> None:
    assert administrative_date("Hà Nội", date(2026, 2, 5)) == "Hà Nội, ngày 05 tháng 02 năm 2026"
    assert administrative_date("Huế", date(2026, 11, 22)) == "Huế, ngày 22 tháng 11 năm 2026"
    assert administrative_date("Huế", date(2026, 3, 15)) == "Huế, ngày 15 tháng 3 năm 2026"


def test_reports_follow_the_viewer_permissions(session: Session, work: Org) -> None:
    assert report_for_viewer(session, work.leader_a, None, today=TODAY).unit_name == "Sở Nội vụ"
    assert report_for_viewer(session, work.leader_a, work.phong_a1.id, today=TODAY).report.total == 4
    with pytest.raises(PermissionDenied):
        report_for_viewer(session, work.leader_a, work.xa_b.id, today=TODAY)
    with pytest.raises(PermissionDenied, match="dành cho lãnh đạo"):
        report_for_viewer(session, work.staff_a, None, today=TODAY)
    with pytest.raises(PermissionDenied, match="/lienket"):
        report_for_viewer(session, None, None, today=TODAY)
    assert report_for_viewer(session, work.admin, None, today=TODAY).report.total == 10
    data = report_for_viewer(session, work.admin, work.xa_b.id, today=TODAY)
    assert report_filename(data, "docx") == "bao-cao-tien-do_ubnd-xa-hop-tien_2026-11-22.docx"


def test_cli_writes_both_files_and_keeps_its_json(db: Database, work: Org, tmp_path: Path) -> None:
    app = typer.Typer()
    app.add_typer(tasks_app, name="tasks")
    env = {"TROLY_DATABASE_URL": db_url(db), "TROLY_HOME": str(tmp_path / "home"), "TROLY_REPORT_PLACE": "Huế",
           "TROLY_TIMEZONE": "Asia/Ho_Chi_Minh"}  # fmt: skip
    xlsx, word = tmp_path / "bc.xlsx", tmp_path / "bc.docx"
    result = CliRunner().invoke(
        app,
        ["tasks", "report", "--unit", "so nv", "--xlsx", str(xlsx), "--docx", str(word), "--json"],
        env=env,
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    document = json.loads(result.stdout)
    assert set(document) == {
        "unit",
        "total",
        "done",
        "done_on_time",
        "in_progress",
        "overdue",
        "completion_rate",
        "units",
    }
    assert document["unit"] == "Sở Nội vụ" and document["total"] == 8
    book = openpyxl.load_workbook(xlsx)
    assert rows(book["Tổng hợp"], 4)[0][3] == 8
    assert "SỞ NỘI VỤ" in docx.Document(word).tables[0].rows[0].cells[0].text
    human = CliRunner().invoke(app, ["tasks", "report", "--docx", str(tmp_path / "all.docx")], env=env)
    assert human.exit_code == 0 and "Đã ghi báo cáo ra" in human.stdout and "KPI" in human.stdout
    wrong = CliRunner().invoke(app, ["tasks", "report", "--xlsx", str(tmp_path / "x.docx")], env=env)
    assert wrong.exit_code == 1 and "phải có đuôi .xlsx" in wrong.stderr


def test_report_numbers_match_unit_report(session: Session, work: Org) -> None:
    data = collect_report(session, work.tinh, today=TODAY)
    assert data.report.to_dict() == unit_report(session, work.tinh, today=TODAY).to_dict()
    assert len(data.overdue) == data.report.overdue == 2


def test_docx_explains_the_kpi_of_a_task_done_without_a_date(session: Session, work: Org) -> None:
    data = collect_report(session, work.so_a, today=TODAY)
    document = docx.Document(io.BytesIO(docx_bytes(data, place="Thanh Hóa")))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "hoàn thành không rõ ngày hoàn thành +0,5" in text and "không tính trễ" in text
