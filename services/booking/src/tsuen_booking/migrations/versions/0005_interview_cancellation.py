"""Interview cancellation: who cancelled a 初回面談, when and why.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("interviews", sa.Column("cancelled_at", sa.DateTime(timezone=True)))
    op.add_column("interviews", sa.Column("cancelled_by", sa.Text))
    op.add_column("interviews", sa.Column("cancel_reason", sa.Text))


def downgrade() -> None:
    for column in ("cancel_reason", "cancelled_by", "cancelled_at"):
        op.drop_column("interviews", column)
