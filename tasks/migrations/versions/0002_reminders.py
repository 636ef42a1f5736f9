"""Reminders: the queue of messages to push (`reminders`) and each official's choices (`reminder_settings`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

`reminders` is a durable queue: rows are claimed with a lease, marked sent, retried with backoff, or
cancelled when obsolete; they are never deleted by the queue. The unique key (task_id, kind, due_at) makes
planning idempotent; digest rows have no task, so a partial unique index covers them. A partial index on
the pending rows keeps "what is due now?" fast however long the history grows. Both partial indexes are
supported by SQLite (≥ 3.8) and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("before_3d", "before_1d", "due_day", "overdue", "digest")
PENDING = sa.text("sent_at IS NULL AND cancelled_at IS NULL")
NO_TASK = sa.text("task_id IS NULL")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_reminders_kind"),
        sa.CheckConstraint("attempts >= 0", name="ck_reminders_attempts_non_negative"),
        sa.CheckConstraint("(kind = 'digest') = (task_id IS NULL)", name="ck_reminders_digest_has_no_task"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_reminders_task_id_tasks", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name="fk_reminders_official_id_officials", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        sa.UniqueConstraint("task_id", "kind", "due_at", name="uq_reminders_task_id_kind_due_at"),
    )
    op.create_index("ix_reminders_task_id", "reminders", ["task_id"])
    op.create_index("ix_reminders_official_id", "reminders", ["official_id"])
    op.create_index(
        "uq_reminders_digest_official_id_kind_due_at",
        "reminders",
        ["official_id", "kind", "due_at"],
        unique=True,
        sqlite_where=NO_TASK,
        postgresql_where=NO_TASK,
    )
    op.create_index(
        "ix_reminders_pending_next_attempt_at",
        "reminders",
        ["next_attempt_at"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )

    op.create_table(
        "reminder_settings",
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("weekends", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name="ck_reminder_settings_hour_range"),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name="fk_reminder_settings_official_id_officials", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("official_id", name="pk_reminder_settings"),
    )


def downgrade() -> None:
    op.drop_table("reminder_settings")
    op.drop_index("ix_reminders_pending_next_attempt_at", table_name="reminders")
    op.drop_index("uq_reminders_digest_official_id_kind_due_at", table_name="reminders")
    op.drop_table("reminders")
