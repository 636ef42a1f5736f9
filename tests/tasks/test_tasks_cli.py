"""`troly officials ...` / `troly tasks ...`: JSON shapes, Vietnamese messages, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from tasks import columns as C
from tasks.db import Database
from tests.db_fixtures import SheetWriter, db_url
from troly.cli.tasks import officials_app, tasks_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REPORT_KEYS = {"unit", "total", "done", "done_on_time", "in_progress", "overdue", "completion_rate", "units"}

Runner = Callable[..., Result]

app = typer.Typer()
app.add_typer(officials_app, name="officials")
app.add_typer(tasks_app, name="tasks")


@pytest.fixture
def run(db: Database, tmp_path: Path) -> Runner:
    runner = CliRunner()
    env = {"TROLY_DATABASE_URL": db_url(db), "TROLY_HOME": str(tmp_path / "home"), "TROLY_BOT_USERNAME": ""}

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result

    return invoke


def run_json(run: Runner, *args: str, code: int = 0) -> Any:
    result = run(*args, "--json", code=code)
    return json.loads(result.stdout)  # exactly one JSON document, nothing else on stdout


def small_tasks(write_sheet: SheetWriter) -> Path:
    rows = [
        ["NV-1", "Rà soát văn bản", "CB004", "Sở Nội vụ", "15/12/2026", "Báo cáo", "Chủ tịch UBND tỉnh", None, "đang thực hiện", 40, None],
        ["NV-2", "Sắp xếp đơn vị sự nghiệp", "CB001", "UBND tỉnh", "01/09/2026", "Đề án", "Chủ tịch UBND tỉnh", "Công văn 22498/UBND-THĐT", None, None, None],
    ]  # fmt: skip
    return write_sheet("nv.xlsx", C.TASK_HEADERS, rows)


def test_import_report_export_list_json(run: Runner, write_sheet: SheetWriter, tmp_path: Path) -> None:
    officials = run_json(run, "officials", "import", str(EXAMPLES / "officials.xlsx"))
    assert set(officials) == {"kind", "file", "ok", "created", "updated", "unchanged", "units_created", "file_time",
                              "sheet", "conflicts", "deactivated", "errors"}  # fmt: skip
    assert (officials["ok"], officials["created"], officials["units_created"]) == (True, 33, 14)

    tasks = run_json(run, "tasks", "import", str(small_tasks(write_sheet)))
    assert (tasks["kind"], tasks["created"], tasks["errors"]) == ("tasks", 2, [])

    report = run_json(run, "tasks", "report")
    assert set(report) == REPORT_KEYS and report["unit"] == "Tất cả đơn vị" and report["total"] == 2
    assert set(report["units"][0]) == REPORT_KEYS and report["units"][0]["unit"] == "UBND tỉnh"
    one = run_json(run, "tasks", "report", "--unit", "so noi vu")
    assert (one["unit"], one["total"], one["in_progress"], one["units"]) == ("Sở Nội vụ", 1, 1, [
        {"unit": "Sở Nội vụ (trực tiếp)", "direct": True, "total": 1, "done": 0, "done_on_time": 0,
         "in_progress": 1, "overdue": 0, "completion_rate": 0.0, "units": []},
        {"unit": "Phòng Công chức, viên chức - Sở Nội vụ", "total": 0, "done": 0, "done_on_time": 0,
         "in_progress": 0, "overdue": 0, "completion_rate": 0.0, "units": []}
    ])  # fmt: skip

    listed = run_json(run, "officials", "list")["officials"]
    assert len(listed) == 33
    assert set(listed[0]) == {"code", "full_name", "position", "unit", "role", "phone", "telegram_username", "linked",
                              "active", "unreachable_since"}  # fmt: skip
    assert {o["unreachable_since"] for o in listed} == {None}
    assert {o["role"] for o in listed} == {"can_bo", "lanh_dao", "quan_tri"}

    out = tmp_path / "xuat.xlsx"
    assert run_json(run, "tasks", "export", str(out)) == {"file": str(out), "tasks": 2}
    assert out.exists()


def test_human_output_is_vietnamese(run: Runner, write_sheet: SheetWriter, tmp_path: Path) -> None:
    imported = run("officials", "import", str(EXAMPLES / "officials.xlsx"))
    assert "Đã nhập danh sách cán bộ" in imported.stdout and "33 mới" in imported.stdout
    assert "Đã nhập nhiệm vụ" in run("tasks", "import", str(small_tasks(write_sheet))).stdout
    report = run("tasks", "report").stdout
    assert "Tiến độ nhiệm vụ" in report and "Sở Nội vụ" in report
    assert "Đã xuất 2 nhiệm vụ" in run("tasks", "export", str(tmp_path / "x.xlsx")).stdout
    assert "Danh sách cán bộ" in run("officials", "list").stdout


def test_failed_import_exits_1_with_the_row_report(run: Runner, write_sheet: SheetWriter) -> None:
    run("officials", "import", str(EXAMPLES / "officials.xlsx"))
    rows = [
        ["NV-1", "Việc", "KHONGCO", "Sở Nội vụ", "31/02/2026", "Báo cáo", "Chủ tịch", None, None, 150, None]
    ]
    path = write_sheet("xau.xlsx", C.TASK_HEADERS, rows)
    result = run("tasks", "import", str(path), "--json", code=1)
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["created"] == 0
    assert {(e["row"], e["column"]) for e in document["errors"]} == {
        (2, C.NGUOI_THUC_HIEN), (2, C.THOI_HAN), (2, C.TIEN_DO),
    }  # fmt: skip
    assert set(document["errors"][0]) == {"row", "column", "message"}
    assert "chưa ghi gì" in result.stderr and "Dòng 2, cột “Thời hạn”" in result.stderr
    plain = run("tasks", "import", str(path), code=1)
    assert plain.stdout == "" and "3 lỗi" in plain.stderr
    assert run_json(run, "tasks", "report")["total"] == 0


def test_unreadable_file_and_unknown_unit(run: Runner, tmp_path: Path) -> None:
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"not a zip")
    assert "bị hỏng" in run("officials", "import", str(broken), code=1).stderr
    result = run("tasks", "report", "--unit", "Sở Không Có", code=1)
    assert "Không tìm thấy đơn vị “Sở Không Có”" in result.stderr and result.stdout == ""


def test_invite_unlink(run: Runner) -> None:
    run("officials", "import", str(EXAMPLES / "officials.xlsx"))
    invite = run_json(run, "officials", "invite", "CB001", "--bot-username", "@troly_bot")
    assert set(invite) == {"official", "full_name", "code", "link", "expires_at"}
    assert (
        invite["official"] == "CB001" and invite["link"] == f"https://t.me/troly_bot?start={invite['code']}"
    )
    human = run("officials", "invite", "CB002").stdout
    assert "Mã liên kết cho" in human and "/start " in human
    assert run_json(run, "officials", "unlink", "CB001") == {"official": "CB001", "unlinked": False}
    assert "chưa liên kết" in run("officials", "unlink", "CB001").stdout
    assert "Không có cán bộ mã “ZZ”" in run("officials", "invite", "ZZ", code=1).stderr


def test_unusable_database_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(
        app, ["tasks", "report"], env={"TROLY_DATABASE_URL": f"sqlite:///{blocker}/sub/troly.db"}
    )
    assert result.exit_code == 2
    assert "Không mở được cơ sở dữ liệu" in result.stderr


def test_export_needs_an_xlsx_name(run: Runner, tmp_path: Path) -> None:
    result = run("tasks", "export", str(tmp_path / "xuat.csv"), code=1)
    assert ".xlsx" in result.stderr and not (tmp_path / "xuat.csv").exists()


def test_full_roster_and_sheet_options(run: Runner, write_sheet: SheetWriter, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    run("officials", "import", str(EXAMPLES / "officials.xlsx"))
    run("tasks", "import", str(small_tasks(write_sheet)))
    # a complete roster without CB004: deactivated, and the open task NV-1 listed for reassignment
    roster = load_workbook(EXAMPLES / "officials.xlsx")
    sheet = roster.worksheets[0]
    codes = [row[0].value for row in sheet.iter_rows(min_row=2)]
    sheet.delete_rows(codes.index("CB004") + 2)
    sheet.title = "Danh sách"
    guide = roster.create_sheet("Hướng dẫn", 0)
    guide.append(["Điền mỗi cán bộ một dòng"])
    path = tmp_path / "day-du.xlsx"
    roster.save(path)
    result = run("officials", "import", "--full", str(path))
    assert "Cán bộ thôi hoạt động" in result.stdout and "CB004" in result.stdout and "NV-1" in result.stdout
    assert "trang “Danh sách”" in result.stdout
    listed = {o["code"]: o for o in run_json(run, "officials", "list")["officials"]}
    assert listed["CB004"]["active"] is False and listed["CB001"]["active"] is True
    again = run_json(run, "officials", "import", "--full", "--sheet", "Danh sách", str(path))
    assert again["deactivated"] == [] and again["sheet"] == "Danh sách"
    wrong = run("officials", "import", "--sheet", "Trang 9", str(path), code=1)
    assert "không có trang “Trang 9”" in wrong.stderr
