"""portal_sessions.account_id: an officer who disables an account ends its sessions at once.

Sessions started before this revision have no account id; they end at their next token refresh
as before (identity revoked the refresh tokens).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("portal_sessions", sa.Column("account_id", sa.Text))
    op.create_index("ix_portal_sessions_account_id", "portal_sessions", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_portal_sessions_account_id", table_name="portal_sessions")
    op.drop_column("portal_sessions", "account_id")
