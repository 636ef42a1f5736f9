"""Imports as the bot runs them: a preview first (`dry_run`: the same validation and writes, rolled back), and
a sheet sent in chat, whose save time means nothing (`trust_file_time=False`): a value set through the bot
or the command line after the task was last imported is never overridden, whatever the file's dates say.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks import columns as C
from tasks.db import Database
from tasks.importing import import_officials, import_tasks
from tasks.models import AuditLog, Official, Task, Unit
from tasks.normalize import TaskStatus, Via
from tasks.service import reassign_task, set_progress
from tests.db_fixtures import T0, Org, SheetWriter
from tests.tasks.test_tasks_importing import task_row

NOW = T0 + timedelta(days=1)


def _counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count(Task.id))),
        session.scalar(select(func.count(AuditLog.id))),
        session.scalar(select(func.count(Official.id))),
        session.scalar(select(func.count(Unit.id))),
    )


def test_a_dry_run_reports_what_the_import_would_do_and_writes_nothing(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    first = write_sheet("a.xlsx", C.TASK_HEADERS, [task_row()])
    assert import_tasks(session, first, now=T0, as_of=T0).created == 1
    sheet = write_sheet(
        "b.xlsx", C.TASK_HEADERS, [task_row(**{C.TIEN_DO: 60}), task_row(**{C.MA_NHIEM_VU: "NV-9"})]
    )
    before = _counts(session)
    preview = import_tasks(session, sheet, now=NOW, dry_run=True)
    assert preview.ok and preview.dry_run
    assert (preview.created, preview.updated, preview.unchanged) == (1, 1, 0)
    assert _counts(session) == before
    assert session.scalars(select(Task.progress).where(Task.code == "NV-1")).one() == 30
    real = import_tasks(session, sheet, now=NOW)
    assert (real.created, real.updated, real.dry_run) == (1, 1, False)
    assert session.scalars(select(Task.progress).where(Task.code == "NV-1")).one() == 60


def test_a_dry_run_of_a_bad_sheet_lists_the_errors_by_row(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    sheet = write_sheet(
        "bad.xlsx",
        C.TASK_HEADERS,
        [task_row(), task_row(**{C.MA_NHIEM_VU: "NV-2", C.NGUOI_THUC_HIEN: "ZZ9"})],
    )
    before = _counts(session)
    preview = import_tasks(session, sheet, now=NOW, dry_run=True)
    assert not preview.ok and preview.created == 0
    assert [(e.row, e.column) for e in preview.errors] == [(3, C.NGUOI_THUC_HIEN)]
    assert "ZZ9" in preview.errors[0].message
    assert _counts(session) == before


def test_a_dry_run_of_the_roster_counts_units_and_officials_without_writing(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    rows = [
        ["NV01", "Người Mới", "Chuyên viên", "Sở Mới", "UBND tỉnh Thử Nghiệm", "0911111111", None, "cán bộ"]
    ]
    sheet = write_sheet("roster.xlsx", C.OFFICIAL_HEADERS, rows)
    before = _counts(session)
    preview = import_officials(session, sheet, now=NOW, dry_run=True)
    assert preview.ok and (preview.created, preview.units_created) == (1, 1)
    assert _counts(session) == before


def test_a_sheet_from_chat_never_overrides_a_bot_change_made_after_the_last_import(
    db: Database, session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    """The bot's 75 % was set an hour after the task was imported; the chat sheet says 40 % and carries a
    save time later than that (a file time cannot be trusted): the 75 % stays, reported and audited."""
    first = write_sheet("a.xlsx", C.TASK_HEADERS, [task_row(), task_row(**{C.MA_NHIEM_VU: "NV-2"})])
    assert import_tasks(session, first, now=T0, as_of=T0).created == 2
    task_id = session.scalars(select(Task.id).where(Task.code == "NV-1")).one()
    bot_time = T0 + timedelta(hours=1)
    set_progress(session, org.staff_a, task_id, 75, via=Via.BOT, now=bot_time)
    sheet = write_sheet(
        "chat.xlsx",
        C.TASK_HEADERS,
        [task_row(**{C.TIEN_DO: 40}), task_row(**{C.MA_NHIEM_VU: "NV-2", C.TIEN_DO: 50})],
    )
    # The same sheet with a trusted save time after the bot's change would win: the chat mode must not.
    trusted = import_tasks(session, sheet, now=NOW, as_of=NOW, dry_run=True)
    assert trusted.conflicts == [] and trusted.updated == 2
    report = import_tasks(session, sheet, now=NOW, trust_file_time=False)
    assert report.ok and report.file_time is None
    assert [(c.row, c.code, c.column, c.kept, c.ignored, c.changed_at) for c in report.conflicts] == [
        (2, "NV-1", C.TIEN_DO, "75", "40", bot_time)
    ]
    assert "sau lần nhập gần nhất" in report.conflicts[0].reason
    assert (report.updated, report.unchanged) == (1, 1)  # NV-2 (last changed by an import) takes the 50 %
    with db.session() as fresh:
        progress = dict(fresh.execute(select(Task.code, Task.progress)).all())
        assert progress == {"NV-1": 75, "NV-2": 50}
        note = fresh.scalars(
            select(AuditLog.note).where(AuditLog.entity_key == "NV-1", AuditLog.via == "import",
                                        AuditLog.field == "progress")
        ).one()  # fmt: skip
    assert note.startswith("Xung đột:") and "tệp gửi qua chat" in note


def test_a_sheet_from_chat_keeps_a_reassignment_but_not_one_an_import_overrode_since(
    db: Database, session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    first = write_sheet("a.xlsx", C.TASK_HEADERS, [task_row()])
    assert import_tasks(session, first, now=T0, as_of=T0).ok
    reassign_task(session, None, "NV-1", "SA11", via=Via.CLI, now=T0 + timedelta(hours=1))
    chat = write_sheet("chat.xlsx", C.TASK_HEADERS, [task_row(**{C.NGUOI_THUC_HIEN: "SB01"})])
    report = import_tasks(session, chat, now=NOW, trust_file_time=False)
    assert [(c.column, c.kept.split(" ")[0], c.ignored.split(" ")[0]) for c in report.conflicts] == [
        (C.NGUOI_THUC_HIEN, "SA11", "SB01")
    ]
    # a later import with a trusted time gives the task back to SA01; the chat sheet may then change it
    later = write_sheet("later.xlsx", C.TASK_HEADERS, [task_row()])
    assert (
        import_tasks(session, later, now=NOW + timedelta(hours=1), as_of=NOW + timedelta(hours=1)).updated
        == 1
    )
    again = import_tasks(session, chat, now=NOW + timedelta(hours=2), trust_file_time=False)
    assert again.conflicts == [] and again.updated == 1
    with db.session() as fresh:
        task = fresh.scalars(select(Task).where(Task.code == "NV-1")).one()
        assert (task.assignee.code, task.status) == ("SB01", TaskStatus.DANG_THUC_HIEN)
