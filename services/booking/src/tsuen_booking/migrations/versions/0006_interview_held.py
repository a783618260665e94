"""An interview recorded as held (with the health check); who recorded an acceptance and why.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("interviews", sa.Column("held_at", sa.DateTime(timezone=True)))
    op.add_column("interviews", sa.Column("held_by", sa.Text))
    op.add_column("interviews", sa.Column("health_check", sa.Text))
    op.add_column("interviews", sa.Column("health_check_note", sa.Text))
    op.add_column("acceptances", sa.Column("recorded_by", sa.Text))
    op.add_column("acceptances", sa.Column("override_reason", sa.Text))


def downgrade() -> None:
    for column in ("override_reason", "recorded_by"):
        op.drop_column("acceptances", column)
    for column in ("health_check_note", "health_check", "held_by", "held_at"):
        op.drop_column("interviews", column)
