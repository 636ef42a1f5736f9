"""People move: reassign and cancel a task (service, CLI), the cancelled status everywhere, the migration."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tasks.db import Database, current_revision, downgrade, head_revision, make_engine, upgrade
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.kpi import official_kpi, unit_kpis
from tasks.models import AuditLog, Task
from tasks.normalize import TaskStatus, parse_status
from tasks.progress_view import overdue_query
from tasks.reporting import unit_report
from tasks.service import (
    cancel_reason,
    cancel_task,
    complete_task,
    my_open_tasks,
    reassign_task,
    set_progress,
)
from tests.db_fixtures import T0, Org, db_url
from tests.tasks.test_tasks_kpi import TODAY, build_work
from troly.cli.tasks import tasks_app


@pytest.fixture
def work(session: Session, org: Org) -> Org:
    return build_work(session, org)


def task(session: Session, code: str) -> Task:
    return session.scalars(select(Task).where(Task.code == code)).one()


def audit_rows(session: Session, code: str) -> list[tuple]:
    rows = session.execute(
        select(AuditLog.actor, AuditLog.via, AuditLog.field, AuditLog.old, AuditLog.new, AuditLog.note)
        .where(AuditLog.entity_key == code)
        .order_by(AuditLog.id)
    )
    return [tuple(r) for r in rows]


def test_a_leader_reassigns_within_their_subtree(session: Session, work: Org) -> None:
    t, previous = reassign_task(session, work.leader_a, "A1-OVER10", "SA01", via="bot", now=T0)
    assert (t.assignee.code, previous.code) == ("SA01", "SA11")
    assert audit_rows(session, "A1-OVER10")[-1] == ("LA01", "bot", "assignee", "SA11", "SA01", "Giao lại")
    assert t.progress == 40  # the work done so far stays with the task
    # The new assignee must be within the leader's reach; the task must be within their subtree.
    with pytest.raises(PermissionDenied, match="không thuộc Sở Nội vụ"):
        reassign_task(session, work.leader_a, "A1-OVER10", "SB01", via="bot", now=T0)
    with pytest.raises(PermissionDenied, match="Chỉ lãnh đạo UBND xã Hợp Tiến"):
        reassign_task(session, work.leader_a, "B-SOON5", "SA01", via="bot", now=T0)
    assert audit_rows(session, "B-SOON5")[-1][0:3] == ("LA01", "bot", "assignee")  # the refusal is audited
    with pytest.raises(PermissionDenied):  # an official cannot hand their own task away
        reassign_task(session, work.staff_a1, "A1-SOON2", "SA01", via="bot", now=T0)
    with pytest.raises(NotFound, match="Không có cán bộ mã “XX9”"):
        reassign_task(session, work.admin, "A1-SOON2", "XX9", via="bot", now=T0)
    with pytest.raises(InvalidOperation, match="đã hoàn thành"):
        reassign_task(session, work.admin, "A1-ONTIME", "SA01", via="bot", now=T0)
    work.staff_b.active = False
    session.commit()
    with pytest.raises(InvalidOperation, match="ngừng hoạt động"):
        reassign_task(session, work.admin, "A1-SOON2", "SB01", via="bot", now=T0)


def test_cancelling_needs_a_reason_and_leaves_every_figure(session: Session, work: Org) -> None:
    before = unit_report(session, work.so_a, today=TODAY)
    kpi_before = unit_kpis(session, TODAY)[work.so_a.id]
    with pytest.raises(InvalidOperation, match="Hãy ghi lý do"):
        cancel_task(session, work.leader_a, "A1-OVER10", "  …  ", via="bot", now=T0)
    t = cancel_task(session, work.leader_a, "A1-OVER10", "Văn bản giao đã được thay thế", via="bot", now=T0)
    assert t.status == TaskStatus.DA_HUY and t.status.label == "đã hủy"
    assert cancel_reason(session, t) == "Văn bản giao đã được thay thế"
    after = unit_report(session, work.so_a, today=TODAY)
    assert (after.total, after.overdue, after.done) == (before.total - 1, before.overdue - 1, before.done)
    assert unit_kpis(session, TODAY)[work.so_a.id].judged == kpi_before.judged - 1
    assert official_kpi(session, work.staff_a1.id, TODAY).overdue == 0
    assert "A1-OVER10" not in {x.code for x in session.scalars(overdue_query(session, work.so_a, TODAY))}
    assert "A1-OVER10" not in {x.code for x in my_open_tasks(session, work.staff_a1, page_size=50).items}
    assert not t.is_overdue(TODAY)
    with pytest.raises(InvalidOperation, match="đã bị hủy"):
        set_progress(session, work.staff_a1, t.id, 50, now=T0)
    with pytest.raises(InvalidOperation, match="đã bị hủy"):
        complete_task(session, work.staff_a1, t.id, "xong", now=T0)
    with pytest.raises(InvalidOperation, match="đã bị hủy trước đó"):
        cancel_task(session, work.admin, t.id, "lần nữa", via="bot", now=T0)
    with pytest.raises(InvalidOperation, match="đã hoàn thành"):
        cancel_task(session, work.admin, "A1-ONTIME", "nhầm", via="bot", now=T0)
    with pytest.raises(PermissionDenied):
        cancel_task(session, work.leader_b, "A1-SOON2", "không phải việc của xã", via="bot", now=T0)
    assert parse_status("Đã huỷ") == parse_status("da huy") == TaskStatus.DA_HUY


def test_cli_reassign_and_cancel_are_audited(db: Database, work: Org, tmp_path: Path) -> None:
    app = typer.Typer()
    app.add_typer(tasks_app, name="tasks")
    env = {"TROLY_DATABASE_URL": db_url(db), "TROLY_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    done = runner.invoke(app, ["tasks", "reassign", "A1-SOON2", "SA01", "--json"], env=env)
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == {"code": "A1-SOON2", "assignee": "SA01", "previous_assignee": "SA11"}
    said = runner.invoke(app, ["tasks", "cancel", "B-SOON5", "--reason", "Trùng với nhiệm vụ khác"], env=env)
    assert said.exit_code == 0 and "Đã hủy nhiệm vụ B-SOON5. Lý do: Trùng với nhiệm vụ khác" in said.stdout
    bad = runner.invoke(app, ["tasks", "reassign", "NOPE", "SA01"], env=env)
    assert bad.exit_code == 1 and "Không có nhiệm vụ mã “NOPE”" in bad.stderr
    again = runner.invoke(app, ["tasks", "cancel", "B-SOON5", "--reason", "x"], env=env)
    assert again.exit_code == 1 and "đã bị hủy trước đó" in again.stderr
    with db.session() as session:
        assert audit_rows(session, "A1-SOON2")[-1][:5] == ("cli", "cli", "assignee", "SA11", "SA01")
        last = audit_rows(session, "B-SOON5")[-1]
        assert last[:5] == ("cli", "cli", "status", "dang_thuc_hien", "da_huy") and "Trùng với" in last[5]


def test_migration_allows_the_cancelled_status(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    insert = text(
        "INSERT INTO tasks (code, content, assignee_id, lead_unit_id, deadline, product, assigned_by, status, "
        "progress, created_at, updated_at, updated_via, progress_updated_at, progress_updated_via) VALUES "
        "(:code, 'x', 1, 1, '2026-12-01', 'p', 'a', :status, 0, :t, :t, 'cli', :t, 'cli')"
    )
    seed = [
        "INSERT INTO units (id, name, name_folded, created_at) VALUES (1, 'U', 'u', :t)",
        "INSERT INTO officials (id, code, full_name, unit_id, role, active, created_at, updated_at) "
        "VALUES (1, 'A', 'A', 1, 'can_bo', true, :t, :t)",
    ]
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:
            for sql in seed:
                conn.execute(text(sql), {"t": T0})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert, {"code": "OLD", "status": "da_huy", "t": T0})
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.begin() as conn:
            conn.execute(insert, {"code": "NEW", "status": "da_huy", "t": T0})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert, {"code": "BAD", "status": "khong_ro", "t": T0})
        downgrade(engine, "0002")  # a cancelled task becomes "tạm dừng" in the old schema
        with engine.begin() as conn:
            assert conn.execute(text("SELECT status FROM tasks WHERE code = 'NEW'")).scalar() == "tam_dung"
        assert "tasks" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_conflict_times_are_shown_in_local_time(capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from tasks.importing import Conflict, ImportReport
    from troly.cli.tasks import _report_import

    at = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # 01:30 on 21/11 in Hà Nội
    report = ImportReport(
        "tasks", "nv.xlsx", updated=1, conflicts=[Conflict(3, "NV-1", "Tiến độ (%)", "60", "40", at)]
    )
    _report_import(report, False, "nhiệm vụ", ZoneInfo("Asia/Ho_Chi_Minh"))
    out = capsys.readouterr().out
    assert "01:30 ngày 21/11/2026" in out and "giờ Việt Nam" in out and "UTC" not in out


def test_cancelled_tasks_export_with_their_status(session: Session, work: Org, tmp_path: Path) -> None:
    import openpyxl

    from tasks.exporting import export_tasks

    cancel_task(session, work.admin, "A1-SOON2", "Không còn cần thiết", via="bot", now=T0)
    path = tmp_path / "nv.xlsx"
    export_tasks(session, path, today=TODAY)
    rows = {r[0]: r for r in openpyxl.load_workbook(path).active.iter_rows(min_row=2, values_only=True)}
    assert "đã hủy" in rows["A1-SOON2"]


def test_the_leaders_digest_counts_reassignments_and_cancellations(session: Session, work: Org) -> None:
    from datetime import timedelta

    from tasks.digest import digest_numbers, leader_digest

    now = T0 + timedelta(hours=1)
    reassign_task(session, work.leader_a, "A1-SOON2", "SA01", via="bot", now=T0)
    cancel_task(session, work.leader_a, "A1-OVER10", "Trùng việc", via="bot", now=T0)
    numbers = digest_numbers(session, work.leader_a, now)
    assert (numbers["reassigned"], numbers["cancelled"]) == (1, 1)
    text = leader_digest(session, work.leader_a, now)
    assert "👤 Giao lại: 1" in text and "🗑 Hủy: 1" in text
    assert digest_numbers(session, work.leader_b, now)["cancelled"] == 0


# --- re-importing an export after people moved (issue findings: inactive assignee, cancelled revival) ----------


LATER = T0 + timedelta(days=21)  # TODAY, after every completion date of `build_work`


def _export(session: Session, path: Path) -> Path:
    from tasks.exporting import export_tasks

    export_tasks(session, path, today=TODAY)
    return path


def _edit(path: Path, code: str, **cells: str) -> None:
    """Set cells of the row of `code` in an exported sheet, by header name."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == code:
            for header, value in cells.items():
                row[headers.index(header)].value = value
    book.save(path)


def _deactivate(session: Session, code: str) -> None:
    from tasks.models import Official

    session.scalars(select(Official).where(Official.code == code)).one().active = False
    session.commit()


def test_an_export_reimports_after_its_assignee_left(session: Session, work: Org, tmp_path: Path) -> None:
    from tasks import columns as C
    from tasks.importing import import_tasks

    cancel_task(session, work.admin, "A1-OVER10", "Phòng A1 giải thể", via="cli", now=T0)
    _deactivate(session, "SA11")  # SA11 holds cancelled, done and open tasks
    path = _export(session, tmp_path / "nv.xlsx")
    report = import_tasks(session, path, now=LATER + timedelta(hours=2), as_of=LATER + timedelta(hours=1))
    assert report.errors == [] and report.conflicts == []
    assert task(session, "A1-OVER10").status == TaskStatus.DA_HUY
    # A NEW assignment to the inactive official is still refused, naming the row and the person.
    _edit(path, "B-SOON5", **{C.NGUOI_THUC_HIEN: "SA11"})
    refused = import_tasks(session, path, now=LATER + timedelta(hours=3), as_of=LATER + timedelta(hours=1))
    assert [e.message for e in refused.errors if "SA11" in e.message and "thôi hoạt động" in e.message]
    assert task(session, "B-SOON5").assignee.code != "SA11"


def test_a_spreadsheet_never_revives_a_cancelled_task(session: Session, work: Org, tmp_path: Path) -> None:
    from tasks import columns as C
    from tasks.importing import import_tasks

    cancel_task(session, work.admin, "A1-OVER10", "Trùng việc", via="cli", now=T0)
    path = _export(session, tmp_path / "nv.xlsx")
    _edit(path, "A1-OVER10", **{C.TRANG_THAI: "tạm dừng", C.NGUOI_THUC_HIEN: "SA01"})
    # Even a file saved after the cancellation does not bring the task back nor hand it to someone.
    report = import_tasks(session, path, now=LATER + timedelta(hours=3), as_of=LATER + timedelta(hours=2))
    assert report.errors == []
    t = task(session, "A1-OVER10")
    assert t.status == TaskStatus.DA_HUY and t.assignee.code == "SA11"
    kept = {(c.code, c.column): c for c in report.conflicts}
    assert kept[("A1-OVER10", C.TRANG_THAI)].kept == "đã hủy"
    assert "đã hủy" in kept[("A1-OVER10", C.TRANG_THAI)].reason
    assert kept[("A1-OVER10", C.NGUOI_THUC_HIEN)].ignored.startswith("SA01")
    # The reassignment of a cancelled task is refused with one "đã" only.
    with pytest.raises(InvalidOperation) as refused:
        reassign_task(session, None, "A1-OVER10", "SA01", via="cli", now=T0)
    assert "đã đã" not in str(refused.value) and "đã bị hủy" in str(refused.value)


def test_a_sheet_cannot_cancel_a_task(session: Session, work: Org, tmp_path: Path) -> None:
    from tasks import columns as C
    from tasks.importing import import_tasks

    path = _export(session, tmp_path / "nv.xlsx")
    _edit(path, "A1-SOON2", **{C.TRANG_THAI: "đã hủy"})
    report = import_tasks(session, path, now=LATER + timedelta(hours=3), as_of=LATER + timedelta(hours=2))
    assert any("troly tasks cancel" in e.message for e in report.errors)
    assert task(session, "A1-SOON2").status != TaskStatus.DA_HUY


def test_a_reassignment_after_the_file_was_saved_is_kept(session: Session, work: Org, tmp_path: Path) -> None:
    from tasks import columns as C
    from tasks.importing import import_tasks

    path = _export(session, tmp_path / "nv.xlsx")  # A1-SOON2 is SA11's in the file
    _edit(path, "A1-SOON2", **{C.NOI_DUNG: "Nội dung sửa trong tệp"})
    reassign_task(session, None, "A1-SOON2", "SA01", via="cli", now=LATER + timedelta(hours=2))
    report = import_tasks(session, path, now=LATER + timedelta(hours=3), as_of=LATER + timedelta(hours=1))
    t = task(session, "A1-SOON2")
    assert t.assignee.code == "SA01" and t.content == "Nội dung sửa trong tệp"
    (conflict,) = [c for c in report.conflicts if c.code == "A1-SOON2"]
    assert conflict.column == C.NGUOI_THUC_HIEN and conflict.kept.startswith("SA01")
    assert conflict.ignored.startswith("SA11") and conflict.reason
    # A file saved after the reassignment wins, as for progress.
    later = import_tasks(session, path, now=LATER + timedelta(hours=4), as_of=LATER + timedelta(hours=3))
    assert later.conflicts == [] and task(session, "A1-SOON2").assignee.code == "SA11"


def test_cli_small_things_officials_notice(db: Database, work: Org, tmp_path: Path) -> None:
    from troly.cli.tasks import officials_app

    app = typer.Typer()
    app.add_typer(tasks_app, name="tasks")
    app.add_typer(officials_app, name="officials")
    env = {"TROLY_DATABASE_URL": db_url(db), "TROLY_HOME": str(tmp_path / "home"), "COLUMNS": "300"}
    runner = CliRunner()
    # A code typed in lower case is found, as the import finds it.
    done = runner.invoke(app, ["tasks", "reassign", "a1-soon2", "SA01", "--json"], env=env)
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["code"] == "A1-SOON2"
    # No --reason: a Vietnamese refusal, not Typer's English "Missing option".
    bare = runner.invoke(app, ["tasks", "cancel", "B-SOON5"], env=env)
    assert bare.exit_code == 1 and "Hãy ghi lý do hủy" in bare.stderr and "Missing" not in bare.output
    with db.session() as session:
        assert task(session, "B-SOON5").status != TaskStatus.DA_HUY
    # The human list shows who is active, and an inactive official's unfinished tasks to reassign.
    with db.session() as session:
        _deactivate(session, "SA11")
        left = session.scalar(
            select(func.count(Task.id)).where(
                Task.assignee.has(code="SA11"), Task.status.not_in([TaskStatus.HOAN_THANH, TaskStatus.DA_HUY])
            )
        )
    listed = runner.invoke(app, ["officials", "list"], env=env)
    assert listed.exit_code == 0 and "Tình trạng" in listed.stdout
    line = next(x for x in listed.stdout.splitlines() if "SA11" in x)
    assert f"đã thôi — {left} việc chưa xong cần giao lại" in line
    assert "đang hoạt động" in next(x for x in listed.stdout.splitlines() if "SA01" in x)
