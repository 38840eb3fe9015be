"""A workshop's own time zone (its town's, or its author's when online), and the SEQUENCE of a
booking's calendar file (NULL: never sent one), raised on each new time, place or cancellation.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_sequence", sa.Integer(), nullable=True))
    # Bookings that had a seat were sent their calendar file: version 0 of it.
    op.execute(
        "UPDATE bookings SET calendar_sequence = 0"
        " WHERE status IN ('booked', 'cancelled', 'called_off')"
    )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("calendar_sequence")
    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.drop_column("timezone")
