"""A line to my mentor: which relayed message belongs to which young person and mentor (no
texts), and per programme whether staff turned the line on.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mentor_line_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("youth_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["youth_id"],
            ["users.id"],
            name=op.f("fk_mentor_line_messages_youth_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["users.id"],
            name=op.f("fk_mentor_line_messages_mentor_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_line_messages")),
        sa.UniqueConstraint(
            "chat_id", "message_id", name=op.f("uq_mentor_line_messages_chat_id_message_id")
        ),
    )
    with op.batch_alter_table("mentor_line_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mentor_line_messages_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mentor_line_messages_mentor_id"), ["mentor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mentor_line_messages_youth_id"), ["youth_id"], unique=False
        )
    op.create_table(
        "programme_settings",
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("mentor_line", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("programme", name=op.f("pk_programme_settings")),
    )


def downgrade() -> None:
    op.drop_table("programme_settings")
    with op.batch_alter_table("mentor_line_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentor_line_messages_youth_id"))
        batch_op.drop_index(batch_op.f("ix_mentor_line_messages_mentor_id"))
        batch_op.drop_index(batch_op.f("ix_mentor_line_messages_created_at"))
    op.drop_table("mentor_line_messages")
