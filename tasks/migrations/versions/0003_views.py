"""Tasks may be cancelled: status `da_huy` (đã hủy) joins the allowed values of `tasks.status`.

Revision ID: 0003_views
Revises: 0002
Create Date: 2026-11-30

A cancelled task keeps its row and its audit history (who cancelled it, when, why) but is left out of
every count, KPI, overdue list and reminder. Only the CHECK constraint changes; on SQLite batch mode
rebuilds the table (the constraint is named, so it is dropped and created by name on both backends).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_views"
down_revision: str | None = "0003_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("chua_bat_dau", "dang_thuc_hien", "hoan_thanh", "tam_dung")
NEW_STATUSES = (*OLD_STATUSES, "da_huy")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace_check(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("ck_tasks_status", type_="check")
        batch.create_check_constraint("ck_tasks_status", _in("status", values))


def upgrade() -> None:
    _replace_check(NEW_STATUSES)


def downgrade() -> None:
    # Cancelled tasks cannot be expressed in the old schema: they go back to "tạm dừng" (paused).
    op.execute("UPDATE tasks SET status = 'tam_dung' WHERE status = 'da_huy'")
    _replace_check(OLD_STATUSES)
