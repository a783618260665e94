"""Interviews (初回面談), regular plans (定期利用) with their occurrences, favourites.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    now = sa.func.now()
    op.create_table(
        "interviews",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("municipality", sa.Text, nullable=False),
        sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("child_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("child_municipality", sa.Text, nullable=False),
        sa.Column("guardian_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("proposed_times", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("starts_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Index("ix_interviews_facility", "facility_id", "status"),
        sa.Index("ux_interviews_child_facility", "child_id", "facility_id", unique=True),
    )
    op.create_table(
        "regular_plans",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("municipality", sa.Text, nullable=False),
        sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("child_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("child_municipality", sa.Text, nullable=False),
        sa.Column("guardian_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("by_proxy", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_regular_plans_weekday"),
        sa.Index("ix_regular_plans_facility", "facility_id", "status"),
    )
    op.create_table(
        "favourites",
        sa.Column("guardian_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("facility_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("municipality", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
    )
    op.add_column("bookings", sa.Column("plan_id", pg.UUID(as_uuid=True)))
    op.create_index(
        "ux_bookings_plan_day",
        "bookings",
        ["plan_id", "use_date"],
        unique=True,
        postgresql_where=sa.text("plan_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ux_bookings_plan_day", table_name="bookings")
    op.drop_column("bookings", "plan_id")
    op.drop_table("favourites")
    op.drop_table("regular_plans")
    op.drop_table("interviews")
