"""Feedback that closes the loop: unguessable answer tokens, what was wrong after a 👎, and statistics.

Revision ID: 0003_feedback
Revises: 0002
Create Date: 2026-11-30

- `feedback.token`: the random id put in the buttons' callback data (the sequential `id` could be guessed, so
  anybody could rate anybody's answer). Existing rows get a token too; buttons sent before the upgrade carry
  the old numeric id and are answered "Câu trả lời này đã cũ".
- `feedback.question_key` (normalised question, for grouping in statistics) and `feedback.refused` (the bot
  found nothing): filled for existing rows from the question and the stored sources.
- `feedback.reason` (sai | thieu | khong_lien_quan | khac) and `feedback.comment`, set after a 👎.
- `feedback_pending`: a 👎 waiting for its optional comment, with an expiry, in the database so the step
  survives a restart.

SQLite cannot add a unique constraint or change nullability in place: `batch_alter_table` copies the table.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_feedback"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = ("sai", "thieu", "khong_lien_quan", "khac")


def _fill_existing_rows() -> None:
    from tasks.feedback import question_key

    bind = op.get_bind()
    feedback = sa.table(
        "feedback",
        sa.column("id", sa.Integer()),
        sa.column("question", sa.Text()),
        sa.column("sources", sa.JSON()),
        sa.column("token", sa.String(32)),
        sa.column("question_key", sa.Text()),
        sa.column("refused", sa.Boolean()),
    )
    rows = bind.execute(sa.select(feedback.c.id, feedback.c.question, feedback.c.sources)).all()
    for row_id, question, sources in rows:
        bind.execute(
            feedback.update()
            .where(feedback.c.id == row_id)
            .values(
                token="a" + secrets.token_urlsafe(12),
                question_key=question_key(question or ""),
                refused=not sources,
            )
        )


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("token", sa.String(32), nullable=True))
        batch.add_column(sa.Column("question_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("refused", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(20), nullable=True))
        batch.add_column(sa.Column("comment", sa.Text(), nullable=True))
    _fill_existing_rows()
    with op.batch_alter_table("feedback") as batch:
        batch.alter_column("token", existing_type=sa.String(32), nullable=False)
        batch.alter_column("question_key", existing_type=sa.Text(), nullable=False)
        batch.alter_column("refused", existing_type=sa.Boolean(), nullable=False)
        batch.create_unique_constraint("uq_feedback_token", ["token"])
        batch.create_check_constraint(
            "ck_feedback_reason", "reason IS NULL OR reason IN (" + ", ".join(repr(r) for r in REASONS) + ")"
        )
    op.create_index("ix_feedback_question_key", "feedback", ["question_key"])

    op.create_table(
        "feedback_pending",
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("prompt_message_id", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name="fk_feedback_pending_feedback_id_feedback",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("telegram_user_id", "chat_id", name="pk_feedback_pending"),
    )
    op.create_index("ix_feedback_pending_feedback_id", "feedback_pending", ["feedback_id"])
    op.create_index("ix_feedback_pending_expires_at", "feedback_pending", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_pending_expires_at", table_name="feedback_pending")
    op.drop_index("ix_feedback_pending_feedback_id", table_name="feedback_pending")
    op.drop_table("feedback_pending")
    op.drop_index("ix_feedback_question_key", table_name="feedback")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_constraint("ck_feedback_reason", type_="check")
        batch.drop_constraint("uq_feedback_token", type_="unique")
        batch.drop_column("comment")
        batch.drop_column("reason")
        batch.drop_column("refused")
        batch.drop_column("question_key")
        batch.drop_column("token")
