"""The attendance service's own database schema (no other service reads it)."""

from __future__ import annotations

import sqlalchemy as sa

from tsuen_common.idempotency import add_idempotency_table
from tsuen_common.messaging import add_messaging_tables
from tsuen_common.messaging.wakeup import add_wakeup_table

metadata = sa.MetaData()
messaging = add_messaging_tables(metadata)
# The relay's wake-up register (migration 0008, tsuen_common.messaging.wakeup).
outbox_relay_waiting = add_wakeup_table(metadata)
# Idempotency-Key answers (tsuen_common.idempotency): written by the shared HTTP guard.
idempotency_keys = add_idempotency_table(metadata)

# Projection of booking's BookingConfirmed/BookingCancelled plus what happened at the door.
# One row per booking; the attendance columns are this service's own state.
visits = sa.Table(
    "visits",
    metadata,
    sa.Column("booking_id", sa.Uuid, primary_key=True),
    sa.Column("municipality", sa.String(6), nullable=False),
    sa.Column("facility_id", sa.Uuid, nullable=False),
    sa.Column("facility_name", sa.Text, nullable=False),
    sa.Column("child_id", sa.Uuid, nullable=False),
    # The facility's roster names the child (issue 13); never logged.
    sa.Column("child_name", sa.Text, nullable=True),
    sa.Column("guardian_id", sa.Uuid, nullable=False),
    # Kept only to hand on in CheckedOut (the late-pickup notice); never logged.
    sa.Column("guardian_email", sa.Text, nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("use_date", sa.Date, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("checked_in_by_staff", sa.Text, nullable=True),
    sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("checked_out_by_staff", sa.Text, nullable=True),
    sa.Column("late_minutes", sa.Integer, nullable=True),
    sa.Column("penalty_minutes", sa.Integer, nullable=True),
    sa.Column("no_show_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Index("ix_visits_facility_day", "facility_id", "use_date"),
    sa.Index("ix_visits_guardian_day", "guardian_id", "use_date"),
    # The no-show sweep looks only at visits nobody has checked in or marked yet.
    sa.Index(
        "ix_visits_open_by_end",
        "ends_at",
        postgresql_where=sa.text("checked_in_at IS NULL AND no_show_at IS NULL AND NOT cancelled"),
    ),
)

# A cancellation that arrived before its confirmation (a relay may republish an old batch
# late): remembered so the late confirmation is stored as cancelled.
early_cancellations = sa.Table(
    "early_cancellations",
    metadata,
    sa.Column("booking_id", sa.Uuid, primary_key=True),
    sa.Column(
        "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

# Per-facility secrets that sign the rotating 2D code. At most one current key per facility
# (retired_at IS NULL); the newest retired one still verifies codes it signed before rotation.
facility_keys = sa.Table(
    "facility_keys",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("facility_id", sa.Uuid, nullable=False),
    sa.Column("secret", sa.LargeBinary, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index(
        "uq_facility_keys_current",
        "facility_id",
        unique=True,
        postgresql_where=sa.text("retired_at IS NULL"),
    ),
    sa.Index("ix_facility_keys_facility", "facility_id", "retired_at"),
)

# The child as the facility's roster shows it: reading and birth date (ChildCertified) and the
# record the guardian keeps (ChildProfileUpdated: allergies, 医療的ケア, contacts, pickup).
# One row per child; ``profile_version`` keeps the newest record whatever the delivery order.
children = sa.Table(
    "children",
    metadata,
    sa.Column("child_id", sa.Uuid, primary_key=True),
    sa.Column("municipality", sa.String(6), nullable=False),
    sa.Column("child_kana", sa.Text),
    sa.Column("birth_date", sa.Date),
    sa.Column("profile", sa.JSON),
    sa.Column("profile_version", sa.Integer, nullable=False, server_default="0"),
)

# 遅れる連絡 (domain/late_notice.py): one per booking and kind (arrival, pickup); a second
# notice of the same kind replaces the first. Shown on the day's roster; changes no rule.
late_notices = sa.Table(
    "late_notices",
    metadata,
    sa.Column("booking_id", sa.Uuid, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("booking_id", "kind"),
)
