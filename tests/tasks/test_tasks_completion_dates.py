"""Completion dates are never invented: done without a date stays "không rõ ngày hoàn thành", counts as
done (not on time) in reports, scores +0.5 in the KPI, and a migration clears the dates older imports
stamped with the import's own date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, DateTime, column, insert, select, table
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from tasks import columns as C
from tasks.db import Database, make_engine, upgrade
from tasks.importing import import_tasks
from tasks.kpi import task_points, unit_kpis
from tasks.models import AuditLog, Task
from tasks.normalize import Role, TaskStatus
from tasks.reporting import unit_report
from tasks.task_card import task_screen
from tests.db_fixtures import T0, Org, SheetWriter
from tests.tasks.test_tasks_importing import task_row

TODAY = date(2026, 11, 30)


def test_done_without_a_date_is_done_not_on_time_and_scores_half(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    rows = [
        # due 15/10, done, no date: "không rõ ngày hoàn thành" — never "46 days late"
        task_row(**{C.MA_NHIEM_VU: "A", C.THOI_HAN: "15/10/2026", C.TRANG_THAI: "hoàn thành", C.TIEN_DO: None}),
        task_row(**{C.MA_NHIEM_VU: "B", C.THOI_HAN: "15/10/2026", C.NGAY_HOAN_THANH: "10/10/2026", C.TRANG_THAI: None}),
    ]  # fmt: skip
    report = import_tasks(
        session, write_sheet("t.xlsx", C.TASK_HEADERS, rows), now=datetime(2026, 11, 30, 3, tzinfo=UTC)
    )
    assert report.ok, report.errors
    a = session.scalars(select(Task).where(Task.code == "A")).one()
    assert (a.status, a.progress, a.completed_on) == (TaskStatus.HOAN_THANH, 100, None)

    node = unit_report(session, org.so_a, today=TODAY)
    assert (node.total, node.done, node.done_on_time, node.overdue) == (2, 2, 1, 0)
    parts = unit_kpis(session, TODAY)[org.so_a.id]
    # done without a date: counted apart (undated), neither on time nor late
    assert (parts.judged, parts.on_time, parts.late, parts.undated) == (2, 1, 0, 1)
    assert parts.points == 1.5 and parts.score == 75.0  # +1 on time, +0.5 date unknown
    assert task_points(a.status, a.deadline, a.completed_on, TODAY) == 0.5

    assert "không rõ ngày hoàn thành" in task_screen(a, TODAY).html


def test_reimporting_done_without_a_date_keeps_a_recorded_date(
    session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    first = [task_row(**{C.NGAY_HOAN_THANH: "20/10/2026", C.TRANG_THAI: "hoàn thành", C.TIEN_DO: None})]
    assert import_tasks(session, write_sheet("a.xlsx", C.TASK_HEADERS, first), now=T0).ok
    again = [task_row(**{C.TRANG_THAI: "hoàn thành", C.TIEN_DO: None})]
    report = import_tasks(session, write_sheet("b.xlsx", C.TASK_HEADERS, again), now=T0 + timedelta(days=1))
    assert report.ok and report.unchanged == 1
    assert session.scalars(select(Task.completed_on)).one() == date(2026, 10, 20)


_TYPES = {"at": DateTime(timezone=True), "deadline": Date(), "on": Date()}


def _bare(name: str, *columns: str) -> TableClause:
    """A table as the 0002 schema has it (not the models: later migrations may add columns)."""
    return table(name, *(column(c, _TYPES.get(c.rsplit("_", 1)[-1])) for c in columns))


UNITS_0002 = _bare("units", "id", "name", "name_folded", "created_at")
OFFICIALS_0002 = _bare(
    "officials", "id", "code", "full_name", "unit_id", "role", "active", "created_at", "updated_at"
)
TASKS_0002 = _bare(
    "tasks", "id", "code", "content", "assignee_id", "lead_unit_id", "deadline", "product", "assigned_by", "status",
    "progress", "completed_on", "created_at", "updated_at", "updated_via", "progress_updated_at",
    "progress_updated_via",
)  # fmt: skip
AUDIT_0002 = _bare("audit_log", "at", "actor", "via", "entity", "entity_key", "field", "new", "note")


def test_migration_clears_dates_that_earlier_imports_stamped(empty_db_url: str) -> None:
    """A database at 0002 holding what the old import did: the dates it invented are cleared; real ones
    (from the file, or through the bot) stay."""
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0002")
        import_at = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội on 30/11
        import_day = date(2026, 11, 30)
        bot_at = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(
                insert(UNITS_0002).values(
                    id=1, name="Sở Nội vụ", name_folded="so noi vu", created_at=import_at
                )
            )
            conn.execute(
                insert(OFFICIALS_0002).values(
                    id=1, code="SA01", full_name="A", unit_id=1, role=Role.CAN_BO.value, active=True,
                    created_at=import_at, updated_at=import_at,
                )
            )  # fmt: skip

            def task(tid: int, code: str, completed: date | None, via: str, at: datetime) -> None:
                conn.execute(
                    insert(TASKS_0002).values(
                        id=tid, code=code, content="x", assignee_id=1, lead_unit_id=1, deadline=date(2026, 10, 15),
                        product="p", assigned_by="g", status="hoan_thanh", progress=100, completed_on=completed,
                        created_at=import_at, updated_at=at, updated_via=via, progress_updated_at=at,
                        progress_updated_via=via,
                    )
                )  # fmt: skip

            def logged(code: str, at: datetime, field: str | None, new: str | None, note: str | None) -> None:
                conn.execute(
                    insert(AUDIT_0002).values(
                        at=at, actor="import:t.xlsx", via="import", entity="task", entity_key=code,
                        field=field, new=new, note=note,
                    )
                )  # fmt: skip

            # created done by an import that stamped its own date
            task(1, "CREATED", import_day, "import", import_at)
            logged("CREATED", import_at, None, None, "Tạo mới từ tệp")
            # updated to done by a later import that stamped its own date
            later = import_at + timedelta(days=1)
            task(2, "UPDATED", import_day + timedelta(days=1), "import", later)
            logged("UPDATED", later, "completed_on", (import_day + timedelta(days=1)).isoformat(), None)
            # the file gave a real, earlier date
            task(3, "FROMFILE", date(2026, 10, 10), "import", import_at)
            logged("FROMFILE", import_at, None, None, "Tạo mới từ tệp")
            # completed through the bot on the import day
            task(4, "BOT", import_day, "bot", bot_at)
            # codes and names stored with invisible characters by older imports
            conn.execute(
                insert(UNITS_0002).values(
                    id=2, name="Sở\u00a0Tài chính", name_folded="so tai chinh", created_at=import_at
                )
            )
            for oid, code, name in (
                (2, "A02\u200b", "Nguyễn\u00a0Văn An"),
                (3, "A03", "B"),
                (4, "a03\u200b", "C"),
            ):
                conn.execute(
                    insert(OFFICIALS_0002).values(
                        id=oid, code=code, full_name=name, unit_id=2, role="can_bo", active=True,
                        created_at=import_at, updated_at=import_at,
                    )
                )  # fmt: skip
            task(5, "NV\u200b-9", None, "bot", bot_at)
        upgrade(engine)
        with engine.connect() as conn:
            dates = dict(conn.execute(select(Task.code, Task.completed_on)).all())
            cleared = conn.execute(
                select(AuditLog.entity_key, AuditLog.old).where(AuditLog.actor == "migration:0003_imports")
            ).all()
        assert dates == {
            "CREATED": None,
            "UPDATED": None,
            "FROMFILE": date(2026, 10, 10),
            "BOT": import_day,
            "NV-9": None,
        }
        assert sorted(k for k, _ in cleared if k in ("CREATED", "UPDATED")) == ["CREATED", "UPDATED"]
        assert ("CREATED", "2026-11-30") in cleared and ("UPDATED", "2026-12-01") in cleared
        with engine.connect() as conn:
            people = dict(conn.execute(select(OFFICIALS_0002.c.code, OFFICIALS_0002.c.full_name)).all())
            unit = conn.execute(
                select(UNITS_0002.c.name, UNITS_0002.c.name_folded).where(UNITS_0002.c.id == 2)
            ).one()
        # cleaned, except where the cleaned code would collide with another official's ("a03" vs "A03")
        assert people == {"SA01": "A", "A02": "Nguyễn Văn An", "A03": "B", "a03\u200b": "C"}
        assert tuple(unit) == ("Sở Tài chính", "so tai chinh")
    finally:
        engine.dispose()


def test_done_without_date_is_shown_as_such_in_the_service_refusal(
    db: Database, session: Session, org: Org, write_sheet: SheetWriter
) -> None:
    import pytest

    from tasks.errors import InvalidOperation
    from tasks.service import set_progress

    rows = [task_row(**{C.TRANG_THAI: "hoàn thành", C.TIEN_DO: None})]
    assert import_tasks(session, write_sheet("a.xlsx", C.TASK_HEADERS, rows), now=T0).ok
    task_id = session.scalars(select(Task.id)).one()
    with pytest.raises(InvalidOperation, match="không rõ ngày hoàn thành"):
        set_progress(session, org.staff_a, task_id, 50, now=T0)
