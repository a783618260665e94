"""変更申請 reviewed by an officer: a guardian's change waits here until it is decided.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_requests",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("certification_id", sa.Uuid, sa.ForeignKey("certifications.id"), nullable=False),
        sa.Column("guardian_id", sa.Uuid, sa.ForeignKey("guardian_accounts.id"), nullable=False),
        sa.Column("requested", pg.JSONB, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.Text),
    )
    op.create_index(
        "ix_change_requests_queue", "change_requests", ["municipality", "status", "requested_at"]
    )
    # One open request per certification: a second one replaces nothing silently.
    op.create_index(
        "ux_change_requests_pending",
        "change_requests",
        ["certification_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("change_requests")
