"""The child's name and reading, from ChildCertified: mails and staff lists name the child.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("children", sa.Column("name", sa.Text))
    op.add_column("children", sa.Column("kana", sa.Text))


def downgrade() -> None:
    op.drop_column("children", "kana")
    op.drop_column("children", "name")
