"""Plans at the desk: where each plan change was made, and the order of tasks within a goal.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every change made before the desk existed was made in the bot (or by the import, which
    # left no actor: it stays "bot", as nothing tells the two apart afterwards).
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), server_default="bot", nullable=False)
        )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("position")
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.drop_column("source")
