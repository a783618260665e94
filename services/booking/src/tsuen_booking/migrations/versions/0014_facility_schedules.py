"""A facility's later weeks (opening hours and places from a date on) and the record of who
changed them (利用枠と開所時間の変更, service_layer/capacity.py).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "facilities",
        sa.Column("schedules", pg.JSONB, nullable=False, server_default="[]"),
    )
    op.create_table(
        "capacity_changes",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("municipality", sa.Text, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("week_before", pg.JSONB, nullable=False),
        sa.Column("week_after", pg.JSONB, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("cancelled", pg.JSONB, nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index(
        "ix_capacity_changes_facility", "capacity_changes", ["facility_id", "changed_at"]
    )


def downgrade() -> None:
    op.drop_table("capacity_changes")
    op.drop_column("facilities", "schedules")
