"""What the desk's staff reports would otherwise work out per row on every view, stored: each
task's deadline as a moment (deadline_at, by the service's TIMEZONE), when a completed
self-assessment stopped being the person's latest (superseded_at), and on a later one's scores
the person's first averages (first_average). Existing rows are filled here; the plans and
self-assessment rules keep them from now on. Indexes cover what the reports read of tasks done,
of tasks overdue and of scores, so none needs a row.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 07:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base
from bot.config import DatabaseSettings
from bot.plans.reminders import deadline_at

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_tasks = sa.table(
    "tasks",
    sa.column("due_date", sa.Date()),
    sa.column("due_time", sa.Time()),
    sa.column("deadline_at", bot.db.base.UTCDateTime(timezone=True)),
)


def _fill_deadlines() -> None:
    """One UPDATE per distinct deadline: a few thousand at most, whatever the number of tasks."""
    bind = op.get_bind()
    tz = DatabaseSettings().timezone
    found = bind.execute(
        sa.select(_tasks.c.due_date, _tasks.c.due_time)
        .where(_tasks.c.due_date.is_not(None))
        .distinct()
    ).all()
    for due_date, due_time in found:
        same_time = (
            _tasks.c.due_time.is_(None) if due_time is None else _tasks.c.due_time == due_time
        )
        bind.execute(
            sa.update(_tasks)
            .where(_tasks.c.due_date == due_date, same_time)
            .values(deadline_at=deadline_at(due_date, due_time, tz))
        )


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deadline_at", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_index("ix_tasks_status_done_at")
        batch_op.drop_index("ix_tasks_status_due_date")
        batch_op.create_index(
            "ix_tasks_status_due", ["status", "due_date", "due_time", "youth_id"], unique=False
        )
        batch_op.create_index(
            "ix_tasks_status_done_at_deadline",
            ["status", "done_at", "youth_id", "deadline_at"],
            unique=False,
        )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("superseded_at", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("assessment_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_average", sa.Float(), nullable=True))
        batch_op.create_index(
            "ix_assessment_scores_figures",
            ["assessment_id", "domain", "average", "first_average"],
            unique=False,
        )
    _fill_deadlines()
    # A completed self-assessment was superseded when the person's next one of the same kind
    # was completed (a short check is compared with short checks only).
    op.execute(
        "UPDATE assessments SET superseded_at = ("
        " SELECT MIN(n.completed_at) FROM assessments n"
        " WHERE n.user_id = assessments.user_id AND n.status = 'completed'"
        " AND n.kind = assessments.kind"
        " AND (n.completed_at > assessments.completed_at"
        "  OR (n.completed_at = assessments.completed_at AND n.id > assessments.id)))"
        " WHERE status = 'completed'"
    )
    # A later one's scores carry the same domain's average from the person's first one of
    # its kind.
    op.execute(
        "UPDATE assessment_scores SET first_average = ("
        " SELECT f.average FROM assessment_scores f"
        " WHERE f.domain = assessment_scores.domain"
        " AND f.assessment_id <> assessment_scores.assessment_id"
        " AND f.assessment_id = ("
        "  SELECT a1.id FROM assessments a1 JOIN assessments a ON a.user_id = a1.user_id"
        "  WHERE a.id = assessment_scores.assessment_id AND a1.status = 'completed'"
        "  AND a1.kind = a.kind"
        "  ORDER BY a1.completed_at, a1.id LIMIT 1))"
    )


def downgrade() -> None:
    with op.batch_alter_table("assessment_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_scores_figures")
        batch_op.drop_column("first_average")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_column("superseded_at")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_status_done_at_deadline")
        batch_op.drop_index("ix_tasks_status_due")
        batch_op.create_index("ix_tasks_status_due_date", ["status", "due_date"], unique=False)
        batch_op.create_index("ix_tasks_status_done_at", ["status", "done_at"], unique=False)
        batch_op.drop_column("deadline_at")
