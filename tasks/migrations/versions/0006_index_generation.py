"""Index generation: a counter bumped when the document index changes, watched by every bot process.

Revision ID: 0006_index_generation
Revises: 0004_cycle
Create Date: 2026-12-01

- `index_generations` (key, generation, changed_at, changed_by): one row per index ("corpus"). A document
  added or removed in chat bumps it; the other bot processes see the new number and reload their index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_index_generation"
down_revision: str | None = "0005_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "index_generations",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("index_generations")
