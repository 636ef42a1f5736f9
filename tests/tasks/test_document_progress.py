"""Progress by the document that assigned the work (`tasks.document_progress`): what each viewer sees, the
figures adding up to `troly tasks report --document`, the free-text recogniser and the button's key."""

from __future__ import annotations

import io
from datetime import date, timedelta

import docx
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.document_progress import (
    document_chart,
    document_key,
    document_progress,
    document_progress_question,
    document_progress_screen,
    find_document,
)
from tasks.errors import NotFound, PermissionDenied
from tasks.listing import document_report
from tasks.models import Task
from tasks.normalize import TaskStatus
from tasks.report_files import collect_report, docx_bytes, xlsx_bytes
from tasks.ui import parse_callback
from tests.db_fixtures import Org
from tests.tasks.test_tasks_reminders import add_task
from vntext.docrefs import DocRef

TODAY = date(2026, 11, 22)
PAST, FUTURE = TODAY - timedelta(days=5), TODAY + timedelta(days=20)


@pytest.fixture
def work(session: Session, org: Org) -> Org:
    """KL 221 tasks in Sở Nội vụ (2, one overdue), Phòng Công chức (1 done on time) and Xã B (1 overdue);
    one task of NQ 57 and one without a document."""
    kl = "Kết luận 221-KL/TW"
    add_task(session, "A-1", org.staff_a, PAST, source_document=kl)
    add_task(session, "A-2", org.leader_a, FUTURE, source_document="KL 221")
    add_task(session, "A1-1", org.staff_a1, PAST, source_document=kl, status=TaskStatus.HOAN_THANH,
             completed_on=PAST - timedelta(days=1), progress=100)  # fmt: skip
    add_task(session, "B-1", org.staff_b, PAST, source_document="221-KL/TW")
    add_task(session, "B-2", org.staff_b, PAST, source_document="Nghị quyết 57-NQ/TW")
    add_task(session, "B-3", org.staff_b, PAST)
    return org


def test_each_viewer_sees_the_document_within_their_access(session: Session, work: Org):
    admin = document_progress(session, work.admin, "KL 221", today=TODAY)
    assert admin.ref == DocRef("221", "KL", "221-KL/TW")  # completed to the full number the tasks give
    assert (admin.report.total, admin.report.done, admin.report.overdue) == (4, 1, 2)
    assert [t.code for t in admin.overdue] == ["A-1", "B-1"]
    assert {r.unit for r in admin.rows} == {"Sở Nội vụ", "UBND xã Hợp Tiến"}

    leader = document_progress(session, work.leader_a, "Kết luận 221", today=TODAY)
    assert (leader.report.total, leader.report.done, leader.report.done_on_time) == (3, 1, 1)
    assert [t.code for t in leader.overdue] == ["A-1"]  # not Xã B's
    assert [r.unit for r in leader.rows] == ["Sở Nội vụ (trực tiếp)", "Phòng Công chức - Sở Nội vụ"]
    assert sum(r.total for r in leader.rows) == leader.report.total

    own = document_progress(session, work.staff_b, "221-KL/TW", today=TODAY)
    assert own.report.total == 1 and [t.code for t in own.overdue] == ["B-1"]
    assert document_progress(session, work.leader_b, "NQ 57", today=TODAY).report.total == 1

    work.staff_a.active = False
    session.commit()
    with pytest.raises(PermissionDenied):
        document_progress(session, work.staff_a, "KL 221", today=TODAY)
    with pytest.raises(PermissionDenied):
        document_progress(session, None, "KL 221", today=TODAY)


def test_the_admins_figures_are_the_reports(session: Session, work: Org):
    """`troly tasks report --document` and /tiendo by document count the same tasks."""
    _, report = document_report(session, "KL 221", today=TODAY)
    mine = document_progress(session, work.admin, "KL 221", today=TODAY).report
    assert mine.to_dict() == report.to_dict()


def test_the_screen_lists_units_overdue_tasks_and_a_chart_button(session: Session, work: Org):
    screen = document_progress_screen(session, work.leader_a, "KL 221", today=TODAY)
    assert "Tiến độ triển khai Kết luận 221-KL/TW" in screen.html
    assert "Sở Nội vụ và các đơn vị trực thuộc" in screen.html
    assert (
        "Phòng Công chức - Sở Nội vụ: 1 nhiệm vụ · hoàn thành 1 (100%) · đúng hạn 1 · 0 quá hạn"
        in screen.html
    )
    assert "<b>A-1</b> — quá hạn 5 ngày" in screen.html and "B-1" not in screen.html
    data = [d for row in screen.buttons for _, d in row]
    task_a1 = session.scalar(select(Task).where(Task.code == "A-1"))
    assert data[0] == f"td:t:{task_a1.id}"  # opens the task (a leader may reassign or cancel there)
    chart = parse_callback(data[-1])
    assert chart is not None and (chart.prefix, chart.action) == ("td", "dc")

    # an official: their own tasks, without a breakdown by unit
    own = document_progress_screen(session, work.staff_b, "KL 221", today=TODAY)
    assert "các nhiệm vụ giao cho bạn" in own.html and "Theo đơn vị" not in own.html
    # nothing under this document for this viewer
    none = document_progress_screen(session, work.leader_b, "KL 999", today=TODAY)
    assert "Chưa có nhiệm vụ nào được giao theo Kết luận 999" in none.html and not none.buttons


def test_the_chart_button_finds_its_document_again(session: Session, work: Org):
    ref = document_progress(session, work.admin, "KL 221", today=TODAY).ref
    assert find_document(session, document_key(ref)) == ref
    assert find_document(session, document_key(DocRef("221", "KL"))) == DocRef("221", "KL")
    png, caption = document_chart(session, work.leader_a, document_key(ref), today=TODAY)
    assert png.startswith(b"\x89PNG") and "Kết luận 221-KL/TW" in caption and "Sở Nội vụ" in caption
    with pytest.raises(NotFound):
        document_chart(session, work.admin, document_key(DocRef("999", "KL")), today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tiến độ triển khai Kết luận 221 đến đâu?", DocRef("221", "KL")),
        ("Tien do KL 221", DocRef("221", "KL")),
        ("KL 221-KL/TW đã triển khai được đến đâu rồi", DocRef("221", "KL", "221-KL/TW")),
        ("tình hình thực hiện Nghị quyết 57", DocRef("57", "NQ")),
        ("Kết luận 221 nói gì về tinh gọn bộ máy?", None),  # a question about the document itself
        ("tiến độ của Sở Nội vụ", None),  # no document: a unit's progress
    ],
)
def test_free_text_progress_questions(text: str, expected: DocRef | None):
    assert document_progress_question(text) == expected


@given(st.integers(min_value=1, max_value=999_999), st.sampled_from(["KL", "NQ", "QD", None]))
def test_document_keys_fit_a_button(number: int, kind: str | None):
    key = document_key(DocRef(str(number), kind, f"{number}-{kind or 'X'}/TW"))
    assert parse_callback(f"td:dc:{key}") is not None


# --- the report files' part per assigning document ----------------------------------------------------------


def test_report_data_has_a_section_per_document_within_the_subtree(session: Session, work: Org):
    sections = collect_report(session, work.so_a, today=TODAY).documents
    assert [(s.document, s.report.total, s.report.done, s.report.overdue) for s in sections] == [
        ("Kết luận 221-KL/TW", 3, 1, 1)  # "KL 221", "Kết luận 221-KL/TW": one document; Xã B's not here
    ]
    everything = {s.document: s.report for s in collect_report(session, None, today=TODAY).documents}
    assert set(everything) == {"Kết luận 221-KL/TW", "Nghị quyết 57-NQ/TW"}
    assert (
        everything["Kết luận 221-KL/TW"].to_dict()
        == document_report(session, "KL 221", today=TODAY)[1].units[0].to_dict()  # the one top unit
    )
    assert everything["Nghị quyết 57-NQ/TW"].total == 1


def test_xlsx_gains_a_sheet_by_document(session: Session, work: Org):
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(collect_report(session, None, today=TODAY))))
    assert book.sheetnames == ["Tổng hợp", "Quá hạn", "Theo văn bản giao", "KPI cán bộ", "Cách tính KPI"]
    rows = [r for r in book["Theo văn bản giao"].iter_rows(min_row=5, values_only=True) if any(r)]
    firsts = [(r[0], r[1], r[4], r[5], r[8]) for r in rows if r[0] is not None]
    assert firsts == [(1, "Kết luận 221-KL/TW", 4, 1, 2), (2, "Nghị quyết 57-NQ/TW", 1, 0, 1)]
    units = [r[2].strip() for r in rows]
    assert "Phòng Công chức - Sở Nội vụ" in units and "UBND xã Hợp Tiến" in units
    # without any assigning document the workbook keeps its four sheets
    for task in session.scalars(select(Task)):
        task.source_document = None
    session.commit()
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(collect_report(session, None, today=TODAY))))
    assert "Theo văn bản giao" not in book.sheetnames


def test_docx_gains_a_part_by_document_and_renumbers_the_rest(session: Session, work: Org):
    data = collect_report(session, work.so_a, today=TODAY)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(docx_bytes(data))).paragraphs)
    assert "III. TIẾN ĐỘ THEO VĂN BẢN GIAO" in text
    assert (
        "1. Kết luận 221-KL/TW: 3 nhiệm vụ; hoàn thành 1 (33,3%), đúng hạn 1; đang thực hiện 1; quá hạn 1."
        in text
    )
    assert "IV. DANH SÁCH NHIỆM VỤ QUÁ HẠN" in text and "V. ĐỀ XUẤT, KIẾN NGHỊ" in text
    tables = docx.Document(io.BytesIO(docx_bytes(data))).tables
    by_document = next(t for t in tables if t.rows[0].cells[1].text == "Đơn vị" and len(t.columns) == 8)
    assert [row.cells[1].text for row in by_document.rows[1:]] == [
        "Sở Nội vụ (trực tiếp)",
        "Phòng Công chức - Sở Nội vụ",
    ]
