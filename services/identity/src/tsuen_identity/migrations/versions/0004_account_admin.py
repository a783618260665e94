"""Officers manage their municipality's staff and officer accounts: an account can be
disabled (and enabled again), and every change is kept in an audit trail.

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


def upgrade() -> None:
    op.add_column("accounts", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "account_audit",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False),
    )
    op.create_index("ix_account_audit_municipality_at", "account_audit", ["municipality", "at"])


def downgrade() -> None:
    op.drop_index("ix_account_audit_municipality_at", table_name="account_audit")
    op.drop_table("account_audit")
    op.drop_column("accounts", "disabled_at")
