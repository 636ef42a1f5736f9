"""The "6 rõ" cycle in chat: assigner as an official, first deadline, "chờ duyệt", products, extensions,
dialogue state.

Revision ID: 0004_cycle
Revises: 0003_reliability
Create Date: 2026-11-30

- `tasks.original_deadline`: the first deadline, kept when an approved extension moves `deadline`.
- `tasks.assigner_official_id`: the assigner as an official (nullable; `assigned_by` keeps the text).
- `tasks.submitted_on`: the office's date of the hand-in waiting for review (not overdue if ≤ deadline).
- status `cho_duyet` (chờ duyệt) joins the CHECK constraint of `tasks.status`.
- `task_products` (what was handed in, with the review), `extension_requests` (one pending per task: a
  partial unique index), `dialogue_states` (multi-step dialogues shared by every bot process).

On SQLite the CHECK change copies the `tasks` table; `tasks.db` runs migrations with foreign keys off, so
the copy does not cascade-delete the reminders. Downgrade: tasks waiting for review go back to "đang thực
hiện" (the old schema has no such state), the new tables and columns are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_cycle"
down_revision: str | None = "0003_reliability"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("chua_bat_dau", "dang_thuc_hien", "hoan_thanh", "tam_dung", "da_huy")
NEW_STATUSES = (*OLD_STATUSES, "cho_duyet")
PENDING = sa.text("status = 'pending'")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("original_deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("assigner_official_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("submitted_on", sa.Date(), nullable=True))
        batch.create_foreign_key(
            "fk_tasks_assigner_official_id_officials", "officials", ["assigner_official_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
        batch.create_index("ix_tasks_assigner_official_id", ["assigner_official_id"])
        batch.drop_constraint("ck_tasks_status", type_="check")
        batch.create_check_constraint("ck_tasks_status", _in("status", NEW_STATUSES))

    op.create_table(
        "task_products",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("mime_type", sa.String(100), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(10), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('file', 'photo', 'text', 'link')", name="ck_task_products_kind"),
        sa.CheckConstraint("verdict IS NULL OR verdict IN ('dat', 'chua_dat')", name="ck_task_products_verdict"),
        sa.CheckConstraint("size IS NULL OR size >= 0", name="ck_task_products_size_non_negative"),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_task_products_task_id_tasks", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["officials.id"], name="fk_task_products_submitted_by_id_officials",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["officials.id"], name="fk_task_products_reviewer_id_officials", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_task_products"),
    )  # fmt: skip
    op.create_index("ix_task_products_task_id", "task_products", ["task_id"])
    op.create_index("ix_task_products_sha256", "task_products", ["sha256"])
    op.create_index("ix_task_products_submitted_by_id", "task_products", ["submitted_by_id"])

    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("old_deadline", sa.Date(), nullable=False),
        sa.Column("requested_deadline", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="ck_extension_requests_status"),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_extension_requests_task_id_tasks", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["officials.id"], name="fk_extension_requests_requested_by_id_officials",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["officials.id"], name="fk_extension_requests_decided_by_id_officials",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_extension_requests"),
    )  # fmt: skip
    op.create_index("ix_extension_requests_task_id", "extension_requests", ["task_id"])
    op.create_index("ix_extension_requests_requested_by_id", "extension_requests", ["requested_by_id"])
    op.create_index(
        "uq_extension_requests_pending_task_id",
        "extension_requests",
        ["task_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )

    op.create_table(
        "dialogue_states",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_dialogue_states"),
    )
    op.create_index("ix_dialogue_states_expires_at", "dialogue_states", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_dialogue_states_expires_at", table_name="dialogue_states")
    op.drop_table("dialogue_states")
    op.drop_index("uq_extension_requests_pending_task_id", table_name="extension_requests")
    op.drop_index("ix_extension_requests_requested_by_id", table_name="extension_requests")
    op.drop_index("ix_extension_requests_task_id", table_name="extension_requests")
    op.drop_table("extension_requests")
    op.drop_index("ix_task_products_submitted_by_id", table_name="task_products")
    op.drop_index("ix_task_products_sha256", table_name="task_products")
    op.drop_index("ix_task_products_task_id", table_name="task_products")
    op.drop_table("task_products")
    # A task waiting for review cannot be expressed in the old schema: it is in progress again.
    op.execute("UPDATE tasks SET status = 'dang_thuc_hien' WHERE status = 'cho_duyet'")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("ck_tasks_status", type_="check")
        batch.create_check_constraint("ck_tasks_status", _in("status", OLD_STATUSES))
        batch.drop_index("ix_tasks_assigner_official_id")
        batch.drop_constraint("fk_tasks_assigner_official_id_officials", type_="foreignkey")
        batch.drop_column("submitted_on")
        batch.drop_column("assigner_official_id")
        batch.drop_column("original_deadline")
