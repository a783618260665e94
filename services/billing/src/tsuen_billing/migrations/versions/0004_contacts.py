"""Facility and guardian addresses for the notices ClaimClosed and StatementClosed cause.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _recorded_at() -> sa.Column[object]:
    return sa.Column(
        "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def upgrade() -> None:
    op.create_table(
        "facility_contacts",
        sa.Column("facility_id", sa.Uuid, primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        _recorded_at(),
    )
    op.create_table(
        "guardian_contacts",
        sa.Column("guardian_id", sa.Uuid, primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        _recorded_at(),
    )


def downgrade() -> None:
    op.drop_table("guardian_contacts")
    op.drop_table("facility_contacts")
