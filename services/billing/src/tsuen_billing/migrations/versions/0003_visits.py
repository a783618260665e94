"""Visits (attendance.CheckedOut) behind used bookings.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("booking_id", sa.Uuid, primary_key=True),
        sa.Column("child_id", sa.Uuid, nullable=False),
        sa.Column("facility_id", sa.Uuid, nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late_minutes", sa.Integer, nullable=False),
        sa.Column("source_event_id", sa.Uuid, nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
    )


def downgrade() -> None:
    op.drop_table("visits")
