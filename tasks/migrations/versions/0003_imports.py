"""Clear the completion dates that earlier imports invented; clean the codes and names they stored.

Revision ID: 0003_imports
Revises: 0002
Create Date: 2026-11-30

Before this version, a task imported as "hoàn thành" without a `Ngày hoàn thành` was stamped with the
import's date, so a task due 15/10 imported on 30/11 looked "done 46 days late". A completion date is now
never invented ("không rõ ngày hoàn thành"). This data migration finds the dates the import stamped, using
the audit log: the task's progress was last set by an import (`progress_updated_via = 'import'`), the audit
log holds that import's event at that very instant (the task's creation from the file, or a `completed_on`
change to that date), and the date equals the import's own local date (TROLY_TIMEZONE, default
Asia/Ho_Chi_Minh). Those dates are cleared, each with an audit row. A file that really gave the import's
own date is indistinguishable and is cleared too: the task then counts as done with an unknown date (KPI
+0.5) instead of on time.

Codes and names are now cleaned of invisible characters, non-breaking spaces and look-alike letters
(`vntext.clean_line`) before matching; values stored by earlier imports may still carry them ("A02\u200b"),
so the same cleaning is applied to officials' codes and names, tasks' codes and units' names here (with
`name_folded` recomputed), unless the cleaned value would collide with another row's (then it is left for a
person to resolve, and the audit log says so). Downgrade leaves the data as it is (the audit rows say what
was changed).
"""

from __future__ import annotations


from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import context, op

revision: str = "0003_imports"
down_revision: str | None = "0003_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTOR = "migration:0003_imports"
NOTE = (
    "Xóa ngày hoàn thành do lần nhập trước tự điền bằng ngày nhập (tệp không ghi ngày hoàn thành): "
    "không rõ ngày hoàn thành"
)

tasks = sa.table(
    "tasks",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("status", sa.String),
    sa.column("completed_on", sa.Date),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("progress_updated_at", sa.DateTime(timezone=True)),
    sa.column("progress_updated_via", sa.String),
)
audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.Text),
    sa.column("via", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_key", sa.Text),
    sa.column("field", sa.String),
    sa.column("old", sa.Text),
    sa.column("new", sa.Text),
    sa.column("note", sa.Text),
)


def _zone() -> ZoneInfo:
    """The office's time zone, handed in by `tasks.db.upgrade` (TROLY_TIMEZONE, parsed by the settings);
    Việt Nam's when the migration runs from the `alembic` command line."""
    zone = context.config.attributes.get("timezone")
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("Asia/Ho_Chi_Minh")


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite may hand back text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _same_instant(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < 1e-3


def upgrade() -> None:
    bind = op.get_bind()
    zone = _zone()
    candidates = bind.execute(
        sa.select(
            tasks.c.id, tasks.c.code, tasks.c.completed_on, tasks.c.created_at, tasks.c.progress_updated_at
        ).where(
            tasks.c.status == "hoan_thanh",
            tasks.c.completed_on.is_not(None),
            tasks.c.progress_updated_via == "import",
        )
    ).all()
    now = datetime.now(UTC)
    for task_id, code, completed_on, created_at, progress_at in candidates:
        completed_on, progress_at = _as_date(completed_on), _utc(progress_at)
        if progress_at.astimezone(zone).date() != completed_on:
            continue
        events = bind.execute(
            sa.select(audit_log.c.at, audit_log.c.field, audit_log.c.new, audit_log.c.note).where(
                audit_log.c.entity == "task",
                audit_log.c.entity_key == code,
                audit_log.c.via == "import",
            )
        ).all()
        stamped = any(
            _same_instant(_utc(at), progress_at)
            and (
                (field == "completed_on" and new == completed_on.isoformat())
                or (
                    field is None
                    and (note or "").startswith("Tạo mới")
                    and _same_instant(_utc(created_at), progress_at)
                )
            )
            for at, field, new, note in events
        )
        if not stamped:
            continue
        bind.execute(sa.update(tasks).where(tasks.c.id == task_id).values(completed_on=None))
        bind.execute(
            sa.insert(audit_log).values(
                at=now, actor=ACTOR, via="import", entity="task", entity_key=code, field="completed_on",
                old=completed_on.isoformat(), new=None, note=NOTE,
            )
        )  # fmt: skip
    _clean_codes_and_names()


officials = sa.table(
    "officials", sa.column("id", sa.Integer), sa.column("code", sa.String), sa.column("full_name", sa.Text)
)
units = sa.table(
    "units", sa.column("id", sa.Integer), sa.column("name", sa.Text), sa.column("name_folded", sa.Text)
)


def _clean_column(
    bind: sa.Connection, table: sa.TableClause, column: str, entity: str, now: datetime
) -> None:
    """Clean one text column in place; a value whose cleaned form another row already has is kept."""
    from tasks.normalize import fold
    from vntext import clean_line

    rows = bind.execute(sa.select(table.c.id, table.c[column])).all()
    taken = {value.casefold() for _, value in rows if value}
    unique = column in ("code", "name")
    for row_id, value in rows:
        cleaned = clean_line(value) if value else value
        if not value or cleaned == value:
            continue
        if unique and (not cleaned or cleaned.casefold() in taken):
            bind.execute(
                sa.insert(audit_log).values(
                    at=now, actor=ACTOR, via="import", entity=entity, entity_key=value, field=column, old=value,
                    new=cleaned, note="Không làm sạch được: giá trị sau khi làm sạch trùng với một dòng khác",
                )
            )  # fmt: skip
            continue
        values: dict[str, str] = {column: cleaned}
        if table is units:
            values["name_folded"] = fold(cleaned)
        bind.execute(sa.update(table).where(table.c.id == row_id).values(**values))
        taken.add(cleaned.casefold())
        bind.execute(
            sa.insert(audit_log).values(
                at=now, actor=ACTOR, via="import", entity=entity, entity_key=cleaned, field=column, old=value,
                new=cleaned, note="Bỏ ký tự vô hình, dấu cách không ngắt, chữ trông giống",
            )
        )  # fmt: skip


def _clean_codes_and_names() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    _clean_column(bind, officials, "code", "official", now)
    _clean_column(bind, officials, "full_name", "official", now)
    _clean_column(bind, tasks, "code", "task", now)
    _clean_column(bind, units, "name", "unit", now)


def downgrade() -> None:
    """Nothing to undo in the schema; the cleared dates are listed in the audit log (actor above)."""
