"""The shipped sample spreadsheets: reproducible, realistic, and importable as they are."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks import columns as C
from tasks.importing import import_officials, import_tasks
from tasks.models import Official, Task
from tasks.normalize import Role, TaskStatus
from tasks.reporting import unit_report
from tasks.spreadsheets import read_table

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
REFERENCE_TODAY = date(2026, 11, 22)
NOW = datetime.fromisoformat("2026-11-22T03:00:00+00:00")


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(EXAMPLES / "make_examples.py"), str(tmp_path)], check=True, cwd=ROOT,
                   capture_output=True)  # fmt: skip
    for name in ("officials.xlsx", "tasks.xlsx"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name


def test_sample_files_use_the_exact_design_headers() -> None:
    assert read_table(EXAMPLES / "officials.xlsx", C.OFFICIAL_HEADERS).headers == list(C.OFFICIAL_HEADERS)
    tasks = read_table(EXAMPLES / "tasks.xlsx", C.TASK_HEADERS)
    assert tasks.headers == list(C.TASK_HEADERS) and len(tasks.rows) == 150


def test_samples_import_and_look_like_a_province(session: Session) -> None:
    officials = import_officials(session, EXAMPLES / "officials.xlsx", now=NOW)
    assert officials.ok, officials.errors
    tasks = import_tasks(session, EXAMPLES / "tasks.xlsx", now=NOW)
    assert tasks.ok, tasks.errors

    people = list(session.scalars(select(Official)))
    assert 25 <= len(people) <= 40
    admins = [p for p in people if p.role is Role.QUAN_TRI]
    assert [a.unit.name for a in admins] == ["Văn phòng UBND tỉnh"]
    assert all(p.phone_normalized for p in people) and any(p.telegram_username for p in people)
    leaders = {p.unit.name for p in people if p.role is Role.LANH_DAO}
    assert {"UBND tỉnh", "Sở Nội vụ", "UBND xã Hợp Tiến", "UBND phường Hạc Thành"} <= leaders

    report = unit_report(session, today=REFERENCE_TODAY)
    top = report.units[0]
    assert top.unit == "UBND tỉnh" and {"Văn phòng UBND tỉnh", "Sở Tài chính"} <= {u.unit for u in top.units}

    all_tasks = list(session.scalars(select(Task)))
    assert len(all_tasks) == 150
    assert all(date(2026, 9, 1) <= t.deadline <= date(2027, 3, 31) for t in all_tasks)
    done = [t for t in all_tasks if t.status is TaskStatus.HOAN_THANH]
    assert any(t.completed_on <= t.deadline for t in done) and any(t.completed_on > t.deadline for t in done)
    assert any(t.is_overdue(REFERENCE_TODAY) for t in all_tasks)
    # samples cancel nothing; products are handed in (chờ duyệt) through the bot, not in sheets
    assert {t.status for t in all_tasks} == set(TaskStatus) - {TaskStatus.DA_HUY, TaskStatus.CHO_DUYET}
    sources = {t.source_document for t in all_tasks}
    assert {"Kết luận 221-KL/TW", "Nghị quyết 57-NQ/TW", "Nghị quyết 66-NQ/TW", "Nghị quyết 68-NQ/TW",
            "Công văn 6225/BVHTTDL-VP", "Công văn 22498/UBND-THĐT"} <= sources  # fmt: skip
