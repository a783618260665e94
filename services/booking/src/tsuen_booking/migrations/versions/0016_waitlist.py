"""空き待ち: the cancellation wait list and its held places (issue 17).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("facility_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("guardian_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("municipality", sa.Text, nullable=False),
        sa.Column("use_date", sa.Date, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True)),
        sa.Column("hold_until", sa.DateTime(timezone=True)),
        sa.Column("held_cells", postgresql.ARRAY(sa.Time)),
        sa.Column("booking_id", postgresql.UUID(as_uuid=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "status IN ('waiting', 'offered', 'booked', 'left', 'declined', 'expired', 'lapsed')",
            name="ck_waitlist_entries_status",
        ),
        sa.CheckConstraint("end_time > start_time", name="ck_waitlist_entries_span"),
    )
    op.create_index(
        "uq_waitlist_entries_active",
        "waitlist_entries",
        ["child_id", "facility_id", "use_date", "start_time", "end_time"],
        unique=True,
        postgresql_where=sa.text("status IN ('waiting', 'offered')"),
    )
    op.create_index(
        "ix_waitlist_entries_day", "waitlist_entries", ["facility_id", "use_date", "joined_at"]
    )
    op.create_index("ix_waitlist_entries_guardian", "waitlist_entries", ["guardian_id", "use_date"])


def downgrade() -> None:
    op.drop_table("waitlist_entries")
