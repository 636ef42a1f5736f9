"""Export to .xlsx: exact docs/cli.md §4 columns, office-ready formatting, lossless import → export → import."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tasks import columns as C
from tasks.exporting import OVERDUE_FILL, STATUS_FILLS, export_tasks
from tasks.importing import import_officials, import_tasks
from tasks.models import Task
from tasks.normalize import TaskStatus
from tasks.service import complete_task, set_progress
from tests.db_fixtures import T0

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=T0.tzinfo)
FIELDS = ("code", "content", "deadline", "product", "assigned_by", "source_document", "status", "progress",
          "completed_on", "result_note")  # fmt: skip


def snapshot(session: Session) -> dict[str, tuple]:
    session.expire_all()
    return {
        t.code: (*(getattr(t, f) for f in FIELDS), t.assignee.code, t.lead_unit.name)
        for t in session.scalars(select(Task))
    }


@pytest.fixture
def loaded(session: Session) -> Session:
    assert import_officials(session, EXAMPLES / "officials.xlsx", now=NOW).ok
    report = import_tasks(session, EXAMPLES / "tasks.xlsx", now=NOW)
    assert report.ok, report.errors
    return session


def test_round_trip_is_lossless(loaded: Session, tmp_path: Path) -> None:
    open_tasks = [t for t in loaded.scalars(select(Task).order_by(Task.code)) if not t.is_done]
    complete_task(loaded, open_tasks[0].assignee, open_tasks[0].id, "Đã gửi báo cáo", now=NOW)
    set_progress(loaded, open_tasks[1].assignee, open_tasks[1].id, 85, now=NOW)
    before = snapshot(loaded)
    first = tmp_path / "xuat-1.xlsx"
    assert export_tasks(loaded, first, TODAY) == 150
    report = import_tasks(loaded, first, now=NOW + timedelta(hours=1))
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged, report.conflicts) == (0, 0, 150, [])
    assert snapshot(loaded) == before
    second = tmp_path / "xuat-2.xlsx"
    export_tasks(loaded, second, TODAY)
    rows = [list(load_workbook(p).active.iter_rows(values_only=True)) for p in (first, second)]
    assert rows[0] == rows[1]


def test_round_trip_into_an_empty_database_recreates_the_tasks(loaded: Session, tmp_path: Path) -> None:
    path = tmp_path / "xuat.xlsx"
    export_tasks(loaded, path, TODAY)
    before = snapshot(loaded)
    loaded.execute(delete(Task))
    loaded.commit()
    report = import_tasks(loaded, path, now=NOW)
    assert report.created == 150
    assert snapshot(loaded) == before


def test_export_format(loaded: Session, tmp_path: Path) -> None:
    path = tmp_path / "xuat.xlsx"
    export_tasks(loaded, path, TODAY)
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[1]] == list(C.TASK_HEADERS)
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:K{sheet.max_row}"
    assert sheet.column_dimensions["B"].width >= 40
    tasks = {t.code: t for t in loaded.scalars(select(Task))}
    seen_overdue = seen_done = False
    for row in sheet.iter_rows(min_row=2):
        task = tasks[row[0].value]
        deadline, completed = row[4], row[10]
        assert isinstance(deadline.value, datetime) and deadline.value.date() == task.deadline
        assert deadline.number_format == "dd/mm/yyyy"
        assert row[8].value == task.status.label
        assert row[8].fill.start_color.rgb.endswith(STATUS_FILLS[task.status])
        if task.status == TaskStatus.HOAN_THANH:
            seen_done = True
            assert completed.value.date() == task.completed_on and completed.number_format == "dd/mm/yyyy"
        if task.is_overdue(TODAY):
            seen_overdue = True
            assert row[0].fill.start_color.rgb.endswith(OVERDUE_FILL)
        else:
            assert not row[0].fill.start_color.rgb.endswith(OVERDUE_FILL)
    assert seen_overdue and seen_done


def test_export_refuses_other_extensions(loaded: Session, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.xlsx"):
        export_tasks(loaded, tmp_path / "xuat.csv", TODAY)
