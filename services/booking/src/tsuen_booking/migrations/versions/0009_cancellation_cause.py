"""Who caused a cancellation, when the family phoned, and who entered it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("cancel_cause", sa.Text))
    op.add_column("bookings", sa.Column("called_at", sa.DateTime(timezone=True)))
    op.add_column("bookings", sa.Column("cancel_recorded_by", sa.Text))


def downgrade() -> None:
    for column in ("cancel_recorded_by", "called_at", "cancel_cause"):
        op.drop_column("bookings", column)
