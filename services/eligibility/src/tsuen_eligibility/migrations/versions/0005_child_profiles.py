"""お子さんの情報登録: one record per child, kept by the guardian.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_profiles",
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("child_id", sa.Uuid, nullable=False),
        sa.Column("guardian_id", sa.Uuid, sa.ForeignKey("guardian_accounts.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("profile", pg.JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("municipality", "child_id"),
    )


def downgrade() -> None:
    op.drop_table("child_profiles")
