"""配慮事項 and 医療的ケア from the certification, and the facility's prior consultation.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("children", sa.Column("considerations", postgresql.JSONB))
    op.add_column(
        "acceptances",
        sa.Column("medical_care_consulted", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("acceptances", "medical_care_consulted")
    op.drop_column("children", "considerations")
