"""Mail queue: the child of a scheduled mail, so a guardian's new address reaches it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mail_queue", sa.Column("child_id", pg.UUID(as_uuid=True)))
    op.create_index(
        "ix_mail_queue_child",
        "mail_queue",
        ["child_id"],
        postgresql_where=sa.text("child_id IS NOT NULL AND status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_mail_queue_child", table_name="mail_queue")
    op.drop_column("mail_queue", "child_id")
