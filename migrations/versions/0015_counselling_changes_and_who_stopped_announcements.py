"""Counselling changes (who changed a counsellor's record, hours, time off or attendance, from
the desk or the bot), and who cancelled or stopped an announcement, and when.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "counselling_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_counselling_changes_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["counsellor_id"],
            ["counsellors.id"],
            name=op.f("fk_counselling_changes_counsellor_id_counsellors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counselling_changes")),
    )
    with op.batch_alter_table("counselling_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_counselling_changes_counsellor_id_id", ["counsellor_id", "id"], unique=False
        )

    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stopped_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("stopped_at", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_broadcasts_stopped_by_id_users"),
            "users",
            ["stopped_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_broadcasts_stopped_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("stopped_at")
        batch_op.drop_column("stopped_by_id")
    with op.batch_alter_table("counselling_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_counselling_changes_counsellor_id_id")
    op.drop_table("counselling_changes")
