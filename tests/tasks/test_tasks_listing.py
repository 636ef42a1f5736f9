"""`troly tasks list`, `troly tasks show`, `troly tasks report --document` (docs/cli.md §2): the exact JSON
shapes, filters (status with or without diacritics, "quá hạn", the unit subtree), the products and history
of a task handed in through the cycle, and progress by document whatever the form of its reference."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from tasks.access import unit_subtree_ids
from tasks.db import Database
from tasks.listing import parse_status_filter
from tasks.models import Official, Task
from tasks.normalize import Role, TaskStatus
from tasks.timeutil import local_date, utcnow
from tasks.units import find_unit
from tasks.workflow import (
    Assigned,
    ProductItem,
    assign_task,
    decide_extension,
    request_extension,
    submit_product,
)
from tests.db_fixtures import db_url
from tests.tasks.test_tasks_cli import EXAMPLES, REPORT_KEYS, Runner, app, run_json
from vntext.docrefs import DocRef, find_refs, parse_ref, same_document, text_mentions

TASK_KEYS = ["code", "content", "assignee", "unit", "deadline", "original_deadline", "status", "progress",
             "expected_product", "product", "assigner", "document"]  # fmt: skip
HISTORY_KEYS = ["at", "by", "via", "field", "old", "new", "note"]


def test_status_filters_read_labels_with_or_without_diacritics() -> None:
    assert parse_status_filter("chờ duyệt").status == TaskStatus.CHO_DUYET
    assert parse_status_filter("cho duyet").status == TaskStatus.CHO_DUYET
    assert parse_status_filter("Dang thuc hien").status == TaskStatus.DANG_THUC_HIEN
    assert parse_status_filter("quá hạn").overdue and parse_status_filter("qua han").overdue
    with pytest.raises(ValueError, match="“quá hạn”"):
        parse_status_filter("gần xong")


@pytest.fixture
def run(db: Database, tmp_path: Path) -> Runner:
    """`troly tasks …` in-process against `db` (as in tests/tasks/test_tasks_cli.py)."""
    runner = CliRunner()
    env = {"TROLY_DATABASE_URL": db_url(db), "TROLY_HOME": str(tmp_path / "home"), "TROLY_BOT_USERNAME": ""}

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result

    return invoke


@pytest.fixture
def cycle(run: Runner, db: Database, tmp_path: Path) -> dict[str, Any]:
    """The example roster and tasks, plus one task assigned in chat, extended and handed in."""
    run("officials", "import", str(EXAMPLES / "officials.xlsx"))
    run("tasks", "import", str(EXAMPLES / "tasks.xlsx"))
    now = utcnow()
    today = local_date(now)  # the office's date (TROLY_TIMEZONE default), as the CLI sees it
    with db.session() as session:
        leaders = session.scalars(
            select(Official).where(Official.role == Role.LANH_DAO).order_by(Official.id)
        )
        leader, staff = next(
            (lead, o) for lead in leaders for o in lead.unit.officials if o.role == Role.CAN_BO and o.active
        )
        assigned = assign_task(
            session, leader, assignee_code=staff.code, content="Báo cáo tình hình triển khai KL 221",
            deadline=today + timedelta(days=2), product="Báo cáo", document="KL 221", now=now,
        )  # fmt: skip
        assert isinstance(assigned, Assigned)
        code = assigned.task.code
        asked = request_extension(session, staff, code, today + timedelta(days=9), "Chờ số liệu", now=now)
        decide_extension(session, leader, asked.request.id, True, now=now, replan=lambda *_: None)  # type: ignore[union-attr]
        submit_product(
            session, staff, code, [ProductItem("file", "bc.pdf", b"%PDF-1.4 bc")], tmp_path / "d", now=now
        )
        return {
            "code": code,
            "leader": leader.code,
            "staff": staff.code,
            "unit": leader.unit.name,
            "today": today,
        }


def test_show_gives_the_contract_object_with_products_and_history(run: Runner, cycle: dict[str, Any]) -> None:
    shown = run_json(run, "tasks", "show", cycle["code"].lower())
    assert list(shown) == [*TASK_KEYS, "history"]
    today = cycle["today"]
    assert shown["code"] == cycle["code"] and shown["assignee"] == cycle["staff"]
    assert (shown["deadline"], shown["original_deadline"]) == (
        (today + timedelta(days=9)).isoformat(), (today + timedelta(days=2)).isoformat()
    )  # fmt: skip
    assert shown["status"] == "chờ duyệt" and shown["progress"] == 0 and shown["assigner"] == cycle["leader"]
    assert shown["expected_product"] == "Báo cáo" and shown["document"] == "KL 221"
    assert shown["product"] == [{"kind": "file", "name": "bc.pdf", "size": len(b"%PDF-1.4 bc")}]
    history = shown["history"]
    assert all(list(row) == HISTORY_KEYS for row in history)
    assert [row["field"] for row in history][:3] == [None, "extension_request", "deadline"]
    assert {row["via"] for row in history} == {"bot"}
    first = datetime.fromisoformat(history[0]["at"])
    assert first.utcoffset() == timedelta(hours=7)  # TROLY_TIMEZONE default: Asia/Ho_Chi_Minh
    human = run("tasks", "show", cycle["code"]).stdout
    assert "gia hạn từ" in human and "Đã nộp: [file] bc.pdf" in human
    assert "Lịch sử:" in human and "T0" not in human and re.search(r"\d\d:\d\d ngày \d\d/\d\d/\d{4}", human)
    missing = run("tasks", "show", "NV-0000-9999", code=1)
    assert "Không có nhiệm vụ mã “NV-0000-9999”" in missing.stderr


def test_list_filters(run: Runner, db: Database, cycle: dict[str, Any]) -> None:
    everything = run_json(run, "tasks", "list")["tasks"]
    assert len(everything) == 151 and all(list(t) == TASK_KEYS for t in everything)
    assert [t["deadline"] for t in everything] == sorted(t["deadline"] for t in everything)
    waiting = run_json(run, "tasks", "list", "--status", "cho duyet")["tasks"]
    assert [t["code"] for t in waiting] == [cycle["code"]]
    assert run_json(run, "tasks", "list", "--status", "chờ duyệt") == {"tasks": waiting}
    overdue = run_json(run, "tasks", "list", "--status", "quá hạn")["tasks"]
    with db.session() as session:
        expected = {t.code for t in session.scalars(select(Task)) if t.is_overdue(cycle["today"])}
    assert {t["code"] for t in overdue} == expected and cycle["code"] not in expected
    mine = run_json(run, "tasks", "list", "--assignee", cycle["staff"].lower())["tasks"]
    assert mine and all(t["assignee"] == cycle["staff"] for t in mine)
    in_unit = run_json(run, "tasks", "list", "--unit", "so noi vu")["tasks"]
    with db.session() as session:
        subtree = unit_subtree_ids(session, find_unit(session, "Sở Nội vụ").id)
        expected_codes = set(session.scalars(select(Task.code).where(Task.lead_unit_id.in_(subtree))))
    assert expected_codes and {t["code"] for t in in_unit} == expected_codes
    bad = run("tasks", "list", "--status", "gần xong", code=1)
    assert "không hợp lệ" in bad.stderr
    assert "Không có cán bộ mã “XX”" in run("tasks", "list", "--assignee", "XX", code=1).stderr


def test_report_by_document_whatever_the_form_of_the_reference(
    run: Runner, db: Database, cycle: dict[str, Any]
) -> None:
    forms = ["221-KL/TW", "KL 221", "Kết luận 221-KL/TW", "ket luan 221"]
    reports = [run_json(run, "tasks", "report", "--document", form) for form in forms]
    assert all(r == reports[0] for r in reports[1:])
    report = reports[0]
    assert next(iter(report)) == "document" and set(report) == {"document", *REPORT_KEYS}
    assert report["document"] == "Kết luận 221-KL/TW"
    with db.session() as session:
        counted = [t for t in session.scalars(select(Task)) if t.source_document and not t.is_cancelled
                   and text_mentions(t.source_document, parse_ref("KL 221"))]  # fmt: skip
    assert report["total"] == len(counted) > 1
    assert all(u["total"] > 0 for u in report["units"])  # units without such tasks are left out
    other = run_json(run, "tasks", "report", "--document", "NQ 57")
    assert other["total"] < report["total"] or other["total"] == 0
    refused = run("tasks", "report", "--document", "báo cáo tuần", code=1)
    assert "không phải số hiệu văn bản" in refused.stderr
    human = run("tasks", "report", "--document", "KL 221").stdout
    assert "Kết luận 221" in human and "hoàn thành (" in human
    none = run("tasks", "report", "--document", "NQ 99").stdout
    assert none.startswith("Chưa có nhiệm vụ nào giao theo Nghị quyết 99")


KINDS = ["NQ", "KL", "TB", "QD", "CT"]
NAMES = {"NQ": "Nghị quyết", "KL": "Kết luận", "TB": "Thông báo", "QD": "Quyết định", "CT": "Chỉ thị"}


@given(number=st.integers(min_value=1, max_value=99999).filter(lambda n: not 1900 <= n <= 2099),
       kind=st.sampled_from(KINDS), issuer=st.sampled_from(["TW", "CP", "UBND"]))  # fmt: skip
def test_every_form_of_a_reference_names_the_same_document(number: int, kind: str, issuer: str) -> None:
    full = f"{number}-{kind}/{issuer}"
    canonical = parse_ref(full)
    assert canonical == DocRef(str(number), kind, full)
    for form in (f"{kind} {number}", f"{kind.lower()}{number}", f"{NAMES[kind]} {number}",
                 f"{NAMES[kind]} số {full}", f"theo {NAMES[kind]} {full} ngày 1/2/2025"):  # fmt: skip
        ref = parse_ref(form)
        assert ref is not None and same_document(ref, canonical), form
        assert text_mentions(f"Triển khai {form}", canonical)
    other_kind = KINDS[(KINDS.index(kind) + 1) % len(KINDS)]
    assert not same_document(DocRef(str(number), other_kind), canonical)
    assert not same_document(DocRef(str(number + 1), kind), canonical)
    assert not same_document(DocRef(str(number), kind, f"{number}/{kind}-XYZ"), canonical)


def test_dates_and_years_are_not_references() -> None:
    assert find_refs("Họp ngày 15/12/2026 về kế hoạch năm 2026") == []
    assert parse_ref("Kết luận 221-KL/TW").display() == "Kết luận 221-KL/TW"
    assert parse_ref("KL 221").display() == "Kết luận 221"
