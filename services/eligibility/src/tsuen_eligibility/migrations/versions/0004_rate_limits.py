"""Rate-limit counters (tsuen_common.ratelimit) for the public endpoints.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from alembic import op

from tsuen_common.ratelimit import create_rate_limit_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_rate_limit_table()


def downgrade() -> None:
    op.drop_table("rate_limits")
