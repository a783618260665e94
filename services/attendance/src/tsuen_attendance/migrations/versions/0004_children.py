"""The child as the roster shows it: reading, birth date and the guardian's record.

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
    op.create_table(
        "children",
        sa.Column("child_id", sa.Uuid, primary_key=True),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("child_kana", sa.Text),
        sa.Column("birth_date", sa.Date),
        sa.Column("profile", sa.JSON),
        sa.Column("profile_version", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("children")
