"""Pending certification updates: revocations and changes that arrived before ChildCertified.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_certification_updates",
        sa.Column("certification_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("child_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("revoked_from", sa.Date),
        sa.Column("revocation_reason", sa.Text),
        sa.Column("guardian_id", pg.UUID(as_uuid=True)),
        sa.Column("guardian_email", sa.Text),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("pending_certification_updates")
