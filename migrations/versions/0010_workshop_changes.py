"""Workshop changes: who created, edited, cancelled a workshop or moved people on it; and the
indexes the desk's workshop list pages by.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workshop_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_workshop_changes_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_changes_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_changes")),
    )
    with op.batch_alter_table("workshop_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workshop_changes_workshop_id_id", ["workshop_id", "id"], unique=False
        )

    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.create_index("ix_workshops_starts_at_id", ["starts_at", "id"], unique=False)
        batch_op.create_index("ix_workshops_ends_at_id", ["ends_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.drop_index("ix_workshops_ends_at_id")
        batch_op.drop_index("ix_workshops_starts_at_id")
    with op.batch_alter_table("workshop_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_workshop_changes_workshop_id_id")
    op.drop_table("workshop_changes")
