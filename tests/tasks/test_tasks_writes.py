"""Writes that cannot lose a newer value: compare-and-set under a lock, on SQLite and PostgreSQL.

The interleavings are deterministic: the import's `before_write` hook runs after the import has read the
existing tasks and before it writes, and a second session (another connection, as the bot's would be)
changes the task through the service right there. No sleeps, no threads racing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks import columns as C
from tasks.db import Database
from tasks.importing import import_tasks
from tasks.models import AuditLog, Official, Task
from tasks.normalize import TaskStatus, Via
from tasks.service import complete_task, set_progress
from tasks.writes import change_task, lock_task
from tests.db_fixtures import T0, Org, SheetWriter
from tests.tasks.test_tasks_importing import task_row

NOW = T0 + timedelta(days=1)


def _task_at_10(session: Session, write_sheet: SheetWriter) -> int:
    path = write_sheet("a.xlsx", C.TASK_HEADERS, [task_row(**{C.TIEN_DO: 10})])
    assert import_tasks(session, path, now=T0, as_of=T0).ok
    return session.scalars(select(Task.id).where(Task.code == "NV-1")).one()


def _progress_history(session: Session) -> list[tuple[str, str | None, str | None, str | None]]:
    rows = session.scalars(
        select(AuditLog).where(AuditLog.field == "progress").order_by(AuditLog.at, AuditLog.id)
    ).all()
    return [(a.via, a.old, a.new, a.note) for a in rows]


def _official(session: Session, code: str) -> Official:
    return session.scalars(select(Official).where(Official.code == code)).one()


def test_progress_set_through_the_bot_while_an_import_runs_is_kept_and_reported(
    db: Database, session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    """The smallest case: task at 10 %; a sheet saying 40 % saved a minute ago; while the import runs,
    the official sets 75 % through the service → 75 % stays, one conflict, audit "old" values are true."""
    task_id = _task_at_10(session, write_sheet)
    sheet = write_sheet("b.xlsx", C.TASK_HEADERS, [task_row(**{C.TIEN_DO: 40})])
    bot_time = NOW - timedelta(seconds=20)

    def official_presses_75() -> None:
        with db.session() as other:  # another connection, like the bot process
            set_progress(other, _official(other, "SA01"), task_id, 75, via=Via.BOT, now=bot_time)

    report = import_tasks(
        session, sheet, now=NOW, as_of=NOW - timedelta(minutes=1), before_write=official_presses_75
    )
    assert report.ok, report.errors
    assert [(c.code, c.column, c.kept, c.ignored, c.changed_at) for c in report.conflicts] == [
        ("NV-1", C.TIEN_DO, "75", "40", bot_time)
    ]
    assert (report.updated, report.unchanged) == (0, 1)
    with db.session() as fresh:
        task = fresh.get(Task, task_id)
        assert (task.progress, task.progress_updated_via, task.progress_updated_at) == (75, Via.BOT, bot_time)
        history = _progress_history(fresh)
    assert [(via, old, new) for via, old, new, _ in history] == [("bot", "10", "75"), ("import", "75", "40")]
    assert history[1][3] is not None and history[1][3].startswith("Xung đột")
    # every "old" is the value the previous change left: nobody recorded replacing a value that was gone
    assert history[1][1] == history[0][2]


def test_an_import_saved_after_the_bot_change_wins_and_records_the_value_it_replaced(
    db: Database, session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    task_id = _task_at_10(session, write_sheet)
    sheet = write_sheet("b.xlsx", C.TASK_HEADERS, [task_row(**{C.TIEN_DO: 40})])

    def official_presses_75() -> None:
        with db.session() as other:
            set_progress(other, _official(other, "SA01"), task_id, 75, now=NOW - timedelta(minutes=5))

    report = import_tasks(
        session, sheet, now=NOW, as_of=NOW - timedelta(minutes=1), before_write=official_presses_75
    )
    assert report.ok and report.conflicts == [] and report.updated == 1
    with db.session() as fresh:
        assert fresh.get(Task, task_id).progress == 40
        history = _progress_history(fresh)
    # the import replaced 75 (what the row held when it wrote), not the 10 it had read earlier
    assert [(via, old, new) for via, old, new, _ in history] == [("bot", "10", "75"), ("import", "75", "40")]


def test_completion_through_the_bot_during_an_import_keeps_every_progress_field(
    db: Database, session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    task_id = _task_at_10(session, write_sheet)
    sheet = write_sheet("b.xlsx", C.TASK_HEADERS, [task_row(**{C.TIEN_DO: 40, C.NOI_DUNG: "Nội dung mới"})])

    def official_completes() -> None:
        with db.session() as other:
            complete_task(
                other, _official(other, "SA01"), task_id, "Đã nộp báo cáo", now=NOW - timedelta(seconds=5)
            )

    report = import_tasks(
        session, sheet, now=NOW, as_of=NOW - timedelta(minutes=1), before_write=official_completes
    )
    assert report.ok
    assert {(c.column, c.kept, c.ignored) for c in report.conflicts} == {
        (C.TRANG_THAI, "hoàn thành", "đang thực hiện"),
        (C.TIEN_DO, "100", "40"),
        (C.NGAY_HOAN_THANH, "02/11/2026", ""),
    }
    with db.session() as fresh:
        task = fresh.get(Task, task_id)
        # the wording still comes from the file; the bot's completion is untouched
        assert (task.status, task.progress, task.content) == (TaskStatus.HOAN_THANH, 100, "Nội dung mới")


def test_change_task_refuses_a_row_that_was_not_locked(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    task_id = _task_at_10(session, write_sheet)
    task = session.get(Task, task_id)
    with pytest.raises(RuntimeError, match="locked"):
        change_task(session, task, {"progress": 50}, actor="x", via=Via.CLI, now=NOW)
    locked = lock_task(session, task_id)
    assert locked is task
    result = change_task(session, locked, {"progress": 50}, actor="x", via=Via.CLI, now=NOW)
    assert result.changed == {"progress": (10, 50)}
    session.commit()
    # a new transaction: the lock of the previous one no longer counts
    with pytest.raises(RuntimeError):
        change_task(session, task, {"progress": 60}, actor="x", via=Via.CLI, now=NOW)
    session.rollback()


def test_a_stale_object_in_the_session_is_refreshed_when_locked(
    db: Database, session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    task_id = _task_at_10(session, write_sheet)
    stale = session.get(Task, task_id)
    assert stale.progress == 10
    with db.session() as other:
        set_progress(other, _official(other, "SA01"), task_id, 60, now=NOW)
    assert stale.progress == 10  # the identity map still holds what was read before
    fresh = lock_task(session, task_id)
    assert fresh is stale and fresh.progress == 60
    session.rollback()


def test_the_import_holds_the_write_lock_until_it_commits(
    db: Database, session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    """While the import writes, another writer cannot take the row (PostgreSQL) or the database (SQLite):
    it would wait, and then compare with what the import committed."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    task_id = _task_at_10(session, write_sheet)
    sheet = write_sheet("b.xlsx", C.TASK_HEADERS, [task_row(**{C.TIEN_DO: 40})])
    attempts: list[str] = []

    def try_to_write(stage: str, done: int, total: int) -> None:
        if stage != "write" or done != total:
            return
        with db.engine.connect() as other:
            try:
                if other.dialect.name == "postgresql":
                    other.execute(
                        text("SELECT id FROM tasks WHERE id = :id FOR UPDATE NOWAIT"), {"id": task_id}
                    )
                else:
                    other.exec_driver_sql("PRAGMA busy_timeout=0")
                    other.exec_driver_sql("BEGIN IMMEDIATE")
                attempts.append("got the lock")
            except OperationalError:
                attempts.append("locked")
            other.rollback()

    report = import_tasks(session, sheet, now=NOW, as_of=NOW, progress=try_to_write)
    assert report.ok and report.updated == 1
    assert attempts == ["locked"]
    with db.engine.connect() as other:  # committed: free again
        if other.dialect.name == "postgresql":
            other.execute(text("SELECT id FROM tasks WHERE id = :id FOR UPDATE NOWAIT"), {"id": task_id})
        else:
            other.exec_driver_sql("BEGIN IMMEDIATE")
        other.rollback()
