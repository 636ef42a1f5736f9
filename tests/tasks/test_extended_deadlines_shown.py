"""An approved extension moves `deadline` and keeps the first one in `original_deadline`: the task card and
both report files say "gia hạn từ …" (only then), and every figure uses the new deadline."""

from __future__ import annotations

import io
from datetime import date, timedelta

import docx
import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.models import Task
from tasks.report_files import collect_report, docx_bytes, xlsx_bytes
from tasks.task_card import card_html
from tests.db_fixtures import Org
from tests.tasks.test_tasks_kpi import TODAY, build_work


@pytest.fixture
def work(session: Session, org: Org) -> Org:
    return build_work(session, org)


def _extend(session: Session, code: str, days: int) -> Task:
    """A task whose deadline was moved `days` later by an extension (still overdue today)."""
    task = session.scalar(select(Task).where(Task.code == code))
    task.original_deadline = task.deadline
    task.deadline = task.deadline + timedelta(days=days)
    session.commit()
    return task


def test_reports_show_the_first_deadline_of_an_extended_task(session: Session, work: Org) -> None:
    task = _extend(session, "A-OVER45", 5)  # 08/10/2026 → 13/10/2026: 40 days late now
    data = collect_report(session, work.so_a, today=TODAY)
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(data)))
    sheet = book["Quá hạn"]
    header = next(r for r in sheet.iter_rows(values_only=True) if r and r[0] == "STT")
    assert header[-1] == "Gia hạn từ"
    rows = {r[1]: r for r in sheet.iter_rows(min_row=5, values_only=True) if r[1]}
    assert rows["A-OVER45"][6].date() == date(2026, 10, 13) and rows["A-OVER45"][7] == 40  # the new deadline
    assert rows["A-OVER45"][10].date() == date(2026, 10, 8)
    assert rows["A1-OVER10"][10] is None  # never extended: empty
    document = docx.Document(io.BytesIO(docx_bytes(data)))
    overdue = {r.cells[1].text: [c.text for c in r.cells] for r in document.tables[2].rows[1:]}
    assert overdue["A-OVER45"][5] == "13/10/2026\n(gia hạn từ 08/10/2026)"
    assert overdue["A1-OVER10"][5] == "12/11/2026"
    assert "📅 <b>Hạn:</b> 13/10/2026 — <b>quá hạn 40 ngày</b> · gia hạn từ 08/10/2026" in card_html(
        task, TODAY
    )


def test_a_task_never_extended_says_nothing_of_it(session: Session, work: Org) -> None:
    task = session.scalar(select(Task).where(Task.code == "A1-OVER10"))
    assert "gia hạn từ" not in card_html(task, TODAY)
