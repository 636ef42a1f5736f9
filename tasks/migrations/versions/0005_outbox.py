"""The outbox: every message the bot sends, and the send budget shared by every bot process.

Revision ID: 0005_outbox
Revises: 0004_cycle
Create Date: 2026-12-01

- `outbox`: one row per message to send (reply, notice, reminder) until it is sent or has failed for good
  (`tasks.outbox`); `key` is unique (idempotent hand-over of reminders).
- `outbox_budget`: one row per rate scope ("all", "chat:<id>", "group:<id>") holding recent send times.

Downgrade drops both tables (messages still waiting in the outbox are lost with them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_outbox"
down_revision: str | None = "0004_cycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("sent_at IS NULL AND failed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(100), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_kind", sa.String(20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("retry_after", sa.Float(), nullable=True),
        sa.CheckConstraint("kind IN ('reply', 'notice', 'reminder')", name="ck_outbox_kind"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["priority", "next_attempt_at"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index(
        "ix_outbox_chat_pending", "outbox", ["chat_id", "id"], postgresql_where=PENDING, sqlite_where=PENDING
    )
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])
    op.create_table(
        "outbox_budget",
        sa.Column("scope", sa.String(40), primary_key=True),
        sa.Column("stamps", sa.JSON(), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outbox_budget")
    op.drop_index("ix_outbox_created_at", table_name="outbox")
    op.drop_index("ix_outbox_chat_pending", table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
