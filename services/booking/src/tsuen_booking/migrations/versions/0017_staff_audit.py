"""staff_audit: what facility staff and officers changed, for the officers' audit trail.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_audit",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("municipality", sa.Text, nullable=False),
        sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_role", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("subject_id", pg.UUID(as_uuid=True)),
        sa.Column("detail", pg.JSONB, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_audit_municipality_at", "staff_audit", ["municipality", "at"])


def downgrade() -> None:
    op.drop_table("staff_audit")
