"""Visits (booking projection + check-in/out), early cancellations, facility code keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("booking_id", sa.Uuid, primary_key=True),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("facility_id", sa.Uuid, nullable=False),
        sa.Column("facility_name", sa.Text, nullable=False),
        sa.Column("child_id", sa.Uuid, nullable=False),
        sa.Column("guardian_id", sa.Uuid, nullable=False),
        sa.Column("guardian_email", sa.Text, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("use_date", sa.Date, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by_staff", sa.Text, nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_by_staff", sa.Text, nullable=True),
        sa.Column("late_minutes", sa.Integer, nullable=True),
        sa.Column("penalty_minutes", sa.Integer, nullable=True),
        sa.Column("no_show_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_visits_facility_day", "visits", ["facility_id", "use_date"])
    op.create_index("ix_visits_guardian_day", "visits", ["guardian_id", "use_date"])
    op.create_index(
        "ix_visits_open_by_end",
        "visits",
        ["ends_at"],
        postgresql_where=sa.text("checked_in_at IS NULL AND no_show_at IS NULL AND NOT cancelled"),
    )
    op.create_table(
        "early_cancellations",
        sa.Column("booking_id", sa.Uuid, primary_key=True),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "facility_keys",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("facility_id", sa.Uuid, nullable=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "uq_facility_keys_current",
        "facility_keys",
        ["facility_id"],
        unique=True,
        postgresql_where=sa.text("retired_at IS NULL"),
    )
    op.create_index("ix_facility_keys_facility", "facility_keys", ["facility_id", "retired_at"])


def downgrade() -> None:
    op.drop_table("facility_keys")
    op.drop_table("early_cancellations")
    op.drop_table("visits")
