"""The child's name on each visit (from BookingConfirmed), for the facility's roster.

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
    op.add_column("visits", sa.Column("child_name", sa.Text))


def downgrade() -> None:
    op.drop_column("visits", "child_name")
