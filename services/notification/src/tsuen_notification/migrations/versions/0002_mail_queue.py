"""Mail queue (an outbox for e-mails) and cancelled bookings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_queue",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("notice_id", pg.UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("municipality", sa.Text, nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("recipient_kind", sa.Text, nullable=False),
        sa.Column("context", pg.JSONB, nullable=False),
        sa.Column("booking_id", pg.UUID(as_uuid=True)),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stale_after", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.Text),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("event_id", "recipient", "template", name="uq_mail_queue_notice"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'cancelled', 'expired')",
            name="ck_mail_queue_status",
        ),
    )
    op.create_index(
        "ix_mail_queue_due",
        "mail_queue",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_mail_queue_operator", "mail_queue", ["municipality", "status", "created_at"]
    )
    op.create_index(
        "ix_mail_queue_booking",
        "mail_queue",
        ["booking_id"],
        postgresql_where=sa.text("booking_id IS NOT NULL"),
    )
    op.create_table(
        "cancelled_bookings",
        sa.Column("booking_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "cancelled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("cancelled_bookings")
    op.drop_table("mail_queue")
