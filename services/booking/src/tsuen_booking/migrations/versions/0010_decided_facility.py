"""The facility decided at application, per child (Chiyoda FY2025 books only there).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("children", sa.Column("decided_facility_id", postgresql.UUID(as_uuid=True)))


def downgrade() -> None:
    op.drop_column("children", "decided_facility_id")
