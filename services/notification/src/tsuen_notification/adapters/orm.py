"""The notification service's own database schema (no other service reads it)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from tsuen_common.messaging import add_messaging_tables
from tsuen_common.messaging.wakeup import add_wakeup_table

metadata = sa.MetaData()
messaging = add_messaging_tables(metadata)
# The relay's wake-up register (migration 0004): the relay of EmailDelivered/EmailFailed waits
# for a commit's NOTIFY instead of polling (tsuen_common.messaging.wakeup).
outbox_relay_waiting = add_wakeup_table(metadata)

MAIL_STATUSES = ("pending", "sent", "failed", "cancelled", "expired")

# The mail queue: an outbox for e-mails. A consumer writes one row per notice inside the inbox
# transaction; senders claim due rows, send them over SMTP and mark them. The row holds the
# formatted values, not the rendered mail, so a resend uses the current template and sender.
mail_queue = sa.Table(
    "mail_queue",
    metadata,
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
    sa.Column("child_id", pg.UUID(as_uuid=True)),  # 0003: scheduled mails, for address changes
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
    # The idempotency key of the brief: one mail per (event, recipient, template).
    sa.UniqueConstraint("event_id", "recipient", "template", name="uq_mail_queue_notice"),
    sa.CheckConstraint(
        "status IN ('pending', 'sent', 'failed', 'cancelled', 'expired')",
        name="ck_mail_queue_status",
    ),
    sa.Index(
        "ix_mail_queue_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")
    ),
    sa.Index("ix_mail_queue_operator", "municipality", "status", "created_at"),
    sa.Index(
        "ix_mail_queue_booking", "booking_id", postgresql_where=sa.text("booking_id IS NOT NULL")
    ),
    sa.Index(
        "ix_mail_queue_child",
        "child_id",
        postgresql_where=sa.text("child_id IS NOT NULL AND status = 'pending'"),
    ),
)

# Bookings already cancelled: a BookingConfirmed that arrives after its cancellation (a relay
# re-publishing an old batch) must not schedule a reminder.
cancelled_bookings = sa.Table(
    "cancelled_bookings",
    metadata,
    sa.Column("booking_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "cancelled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)
