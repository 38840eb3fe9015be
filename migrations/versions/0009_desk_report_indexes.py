"""Indexes for the desk's dashboards: tasks done in a period and overdue now, self-assessments
completed in a period, and the people table's order by name (bench/console.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tasks_status_done_at", "tasks", ["status", "done_at"])
    op.create_index("ix_tasks_status_due_date", "tasks", ["status", "due_date"])
    op.create_index("ix_assessments_status_completed_at", "assessments", ["status", "completed_at"])
    op.create_index("ix_users_display_name_id", "users", ["display_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_users_display_name_id", table_name="users")
    op.drop_index("ix_assessments_status_completed_at", table_name="assessments")
    op.drop_index("ix_tasks_status_due_date", table_name="tasks")
    op.drop_index("ix_tasks_status_done_at", table_name="tasks")
