"""Reliability: revocable invitation codes, throttled wrong codes, unreachable officials.

Revision ID: 0003_reliability
Revises: 0002
Create Date: 2026-11-30

- `link_codes.revoked_at` / `revoked_reason`: a code typed in a group ("group") or replaced by a newer
  invitation ("replaced") stops working at once, and the user is told which.
- `link_attempts`: one row per failed redemption by a Telegram account, so wrong codes are throttled per
  account (5 per 10 minutes, then a cool-down) whatever process receives them.
- `officials.unreachable_since`: Telegram answered 403 (bot blocked) or 400 (chat not found) for the
  official's chat; pushes stop until the official writes to the bot again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_reliability"
down_revision: str | None = "0003_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("link_codes") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_reason", sa.String(20), nullable=True))
    with op.batch_alter_table("officials") as batch:
        batch.add_column(sa.Column("unreachable_since", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_link_attempts"),
    )
    op.create_index("ix_link_attempts_telegram_user_id_at", "link_attempts", ["telegram_user_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_link_attempts_telegram_user_id_at", table_name="link_attempts")
    op.drop_table("link_attempts")
    # Plain nullable columns: ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35) rather than a copy of the table, which
    # SQLite refuses to drop while tasks still reference its officials (foreign keys are on).
    with op.batch_alter_table("officials", recreate="never") as batch:
        batch.drop_column("unreachable_since")
    with op.batch_alter_table("link_codes", recreate="never") as batch:
        batch.drop_column("revoked_reason")
        batch.drop_column("revoked_at")
