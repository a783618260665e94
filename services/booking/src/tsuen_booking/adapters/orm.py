"""The booking service's own database schema (no other service reads it).

Exactness under concurrency lives here, in constraints rather than in Python:

- ``facility_slots``: one row per facility, day and grid cell with ``CHECK (taken <= places)``;
  a booking takes a cell with ``UPDATE … SET taken = taken + 1 WHERE … AND taken < places``.
- ``quota_months``: one row per child and month, locked ``FOR UPDATE`` by whoever changes the
  month, with CHECKs that no balance is negative or over its credit.
- ``quota_entries``: the immutable ledger (a trigger refuses UPDATE and DELETE), one row per
  idempotency key.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from tsuen_common.idempotency import add_idempotency_table
from tsuen_common.messaging import add_messaging_tables
from tsuen_common.messaging.wakeup import add_wakeup_table

metadata = sa.MetaData()
messaging = add_messaging_tables(metadata)
# The relay's wake-up register (migration 0019, tsuen_common.messaging.wakeup).
outbox_relay_waiting = add_wakeup_table(metadata)
# Idempotency-Key answers (tsuen_common.idempotency): written by the shared HTTP guard.
idempotency_keys = add_idempotency_table(metadata)

_now = sa.func.now()

facilities = sa.Table(
    "facilities",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kana", sa.Text, nullable=False, server_default=""),
    sa.Column("address", sa.Text, nullable=False, server_default=""),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("facility_type", sa.Text, nullable=False),
    sa.Column("email", sa.Text),
    # The facility's phone: shown in search and in the 予約完了 mail (Kakegawa asks guardians
    # to phone the facility when they cancel).
    sa.Column("phone", sa.Text),
    sa.Column("comments", sa.Text, nullable=False, server_default=""),
    sa.Column("extra_hour_fee_yen", sa.Integer, nullable=False, server_default="0"),
    # {"0": {"open": "08:30", "close": "17:00"}, ...}: weekday (Monday 0) → hours.
    sa.Column("opening_hours", pg.JSONB, nullable=False),
    sa.Column("places_per_slot", sa.Integer, nullable=False),
    # {"0": {"9": 3}}: weekday → hour → places; {"2026-05-07": {"9": 0}}: date → hour → places.
    sa.Column("places_by_weekday", pg.JSONB, nullable=False, server_default="{}"),
    sa.Column("place_overrides", pg.JSONB, nullable=False, server_default="{}"),
    sa.Column("closed_days", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("interview_slots", pg.JSONB, nullable=False, server_default="[]"),
    # Later weeks (hours and places from a date on, domain.facility.WeeklySchedule), ascending.
    sa.Column("schedules", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.CheckConstraint("extra_hour_fee_yen >= 0", name="ck_facilities_fee"),
    sa.CheckConstraint("places_per_slot >= 0", name="ck_facilities_places"),
    sa.Index("ix_facilities_municipality", "municipality"),
)

children = sa.Table(
    "children",
    metadata,
    sa.Column("child_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("certification_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("guardian_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("guardian_email", sa.Text, nullable=False),
    # Name and reading from ChildCertified (NULL for children certified before they came):
    # mails and staff lists name the child; never logged.
    sa.Column("name", sa.Text),
    sa.Column("kana", sa.Text),
    sa.Column("decided_facility_id", pg.UUID(as_uuid=True)),
    # 配慮事項 and 医療的ケア (tsuen_common SpecialNeeds as JSON; NULL: none): shown to the
    # facilities the guardian asks for an interview, before they accept the child.
    sa.Column("considerations", pg.JSONB),
    sa.Column("birth_date", sa.Date),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("revoked_from", sa.Date),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Index("ix_children_guardian", "municipality", "guardian_id"),
)

# Tombstones: a CertificationRevoked or CertificationChanged that arrived before its
# ChildCertified (events reordered after an outbox relay crash). Applied, then deleted, when the
# certification arrives.
pending_certification_updates = sa.Table(
    "pending_certification_updates",
    metadata,
    sa.Column("certification_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("child_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("revoked_from", sa.Date),
    sa.Column("revocation_reason", sa.Text),
    sa.Column("guardian_id", pg.UUID(as_uuid=True)),
    sa.Column("guardian_email", sa.Text),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
)

facility_slots = sa.Table(
    "facility_slots",
    metadata,
    sa.Column("facility_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("use_date", sa.Date, primary_key=True),
    sa.Column("cell_start", sa.Time, primary_key=True),
    sa.Column("places", sa.Integer, nullable=False),
    sa.Column("taken", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("taken >= 0 AND taken <= places", name="ck_facility_slots_taken"),
)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    # The facility's municipality: where the use happens and whose rules (unit, deadline) apply.
    sa.Column("municipality", sa.Text, nullable=False),
    # The child's home municipality: whose cap and top-up the hours come from.
    sa.Column("child_municipality", sa.Text, nullable=False),
    sa.Column("child_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("guardian_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("use_date", sa.Date, nullable=False),
    sa.Column("start_time", sa.Time, nullable=False),
    sa.Column("end_time", sa.Time, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cell_minutes", sa.Integer, nullable=False),
    sa.Column("held_national", sa.Integer, nullable=False),
    sa.Column("held_topup", sa.Integer, nullable=False),
    sa.Column("by_proxy", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("consumed_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("penalty_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("over_cap_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    sa.Column("cancelled_by", sa.Text),
    sa.Column("cancel_reason", sa.Text),
    # Who caused it (domain.cancellation.CancellationCause), when the family phoned if staff
    # entered it for them, and which account entered it (the audit of a phoned cancellation).
    sa.Column("cancel_cause", sa.Text),
    sa.Column("called_at", sa.DateTime(timezone=True)),
    sa.Column("cancel_recorded_by", sa.Text),
    sa.Column("bulk_id", pg.UUID(as_uuid=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    # 定期利用: the plan an occurrence was generated from (migration 0003).
    sa.Column("plan_id", pg.UUID(as_uuid=True)),
    sa.Index("ix_bookings_child_date", "child_id", "use_date"),
    # One occurrence per plan and day, ever: generating a month twice adds nothing, and a
    # cancelled occurrence is not booked again behind the guardian's back.
    sa.Index(
        "ux_bookings_plan_day",
        "plan_id",
        "use_date",
        unique=True,
        postgresql_where=sa.text("plan_id IS NOT NULL"),
    ),
    sa.Index("ix_bookings_facility_date", "facility_id", "use_date"),
    sa.Index("ix_bookings_municipality_date", "municipality", "use_date"),
)

quota_months = sa.Table(
    "quota_months",
    metadata,
    sa.Column("child_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("month", sa.Text, primary_key=True),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("cap_minutes", sa.Integer, nullable=False),
    sa.Column("topup_minutes", sa.Integer, nullable=False),
    sa.Column("held_national", sa.Integer, nullable=False, server_default="0"),
    sa.Column("held_topup", sa.Integer, nullable=False, server_default="0"),
    sa.Column("consumed_national", sa.Integer, nullable=False, server_default="0"),
    sa.Column("consumed_topup", sa.Integer, nullable=False, server_default="0"),
    sa.Column("over_cap_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.CheckConstraint(
        "held_national >= 0 AND held_topup >= 0 AND consumed_national >= 0 "
        "AND consumed_topup >= 0 AND over_cap_minutes >= 0",
        name="ck_quota_months_non_negative",
    ),
    sa.CheckConstraint(
        "held_national + consumed_national <= cap_minutes "
        "AND held_topup + consumed_topup <= topup_minutes",
        name="ck_quota_months_within_credit",
    ),
)

quota_entries = sa.Table(
    "quota_entries",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
    sa.Column("child_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("month", sa.Text, nullable=False),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("booking_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("balance", sa.Text, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.CheckConstraint("minutes > 0", name="ck_quota_entries_minutes"),
    sa.Index("ix_quota_entries_child_month", "child_id", "month"),
)

acceptances = sa.Table(
    "acceptances",
    metadata,
    sa.Column("facility_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("child_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("accepted", sa.Boolean, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Column("recorded_by", sa.Text),  # the token subject of the staff member or officer
    # Set when an officer accepted without a held interview (domain/acceptance.py): why.
    sa.Column("override_reason", sa.Text),
    # 医療的ケア: the facility recorded the prior consultation the policy asks for.
    sa.Column("medical_care_consulted", sa.Boolean, nullable=False, server_default=sa.false()),
)

interviews = sa.Table(
    "interviews",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.Text, nullable=False),  # the facility's
    sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("child_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("child_municipality", sa.Text, nullable=False),
    sa.Column("guardian_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # requested | scheduled | held | cancelled
    # Times the guardian proposed (ISO-8601 strings); the facility picks or offers its own.
    sa.Column("proposed_times", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("starts_at", sa.DateTime(timezone=True)),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    sa.Column("cancelled_by", sa.Text),  # guardian | facility | municipality
    sa.Column("cancel_reason", sa.Text),
    # Recorded by the facility after the interview: when, by whom, the health check's result.
    sa.Column("held_at", sa.DateTime(timezone=True)),
    sa.Column("held_by", sa.Text),
    sa.Column("health_check", sa.Text),  # domain.acceptance.HealthCheck
    sa.Column("health_check_note", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Index("ix_interviews_facility", "facility_id", "status"),
    # One request per child and facility: a second one is a conflict, not a duplicate row; a
    # cancelled one is reopened by the next request.
    sa.Index("ux_interviews_child_facility", "child_id", "facility_id", unique=True),
)

regular_plans = sa.Table(
    "regular_plans",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.Text, nullable=False),  # the facility's
    sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("child_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("child_municipality", sa.Text, nullable=False),
    sa.Column("guardian_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("weekday", sa.Integer, nullable=False),
    sa.Column("start_time", sa.Time, nullable=False),
    sa.Column("end_time", sa.Time, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date),
    sa.Column("status", sa.Text, nullable=False),  # applied | approved | declined | withdrawn
    sa.Column("by_proxy", sa.Boolean, nullable=False),  # registered by the facility (代理予約)
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_regular_plans_weekday"),
    sa.Index("ix_regular_plans_facility", "facility_id", "status"),
)

favourites = sa.Table(
    "favourites",
    metadata,
    sa.Column("guardian_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("facility_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.Text, nullable=False),  # the guardian's
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
)

# 利用枠と開所時間の変更 (service_layer/capacity.py): who changed a facility's week, from when,
# what it was and became, and which bookings that cancelled. Written once, never changed.
capacity_changes = sa.Table(
    "capacity_changes",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("week_before", pg.JSONB, nullable=False),
    sa.Column("week_after", pg.JSONB, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("cancelled", pg.JSONB, nullable=False),  # [{"booking_id", "misfit"}]
    sa.Column("changed_by", sa.Text, nullable=False),  # the account (token subject)
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Index("ix_capacity_changes_facility", "facility_id", "changed_at"),
)

# The staff audit trail (domain/audit.py, issue 16): what a facility worker or an officer
# changed, written in the same transaction as the change. Proxy bookings and cancellations are
# read off the bookings' own columns instead (by_proxy, cancel_recorded_by, called_at).
staff_audit = sa.Table(
    "staff_audit",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.Text, nullable=False),  # the facility's
    sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),  # the account (token subject)
    sa.Column("actor_role", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),  # domain.audit.StaffAction
    sa.Column("subject_id", pg.UUID(as_uuid=True)),  # the interview, plan, child, closure…
    sa.Column("detail", pg.JSONB, nullable=False),  # ids, days and reasons: no names
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_staff_audit_municipality_at", "municipality", "at"),
)

# 空き待ち (service_layer/waitlist.py, issue 17): a child waiting for a full span of a facility's
# day. While ``offered``, the span's cells carry one taken place for the child (``held_cells``)
# until ``hold_until``, so nobody else can book it; accepting turns that hold into a booking.
waitlist_entries = sa.Table(
    "waitlist_entries",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("facility_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("child_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("guardian_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("municipality", sa.Text, nullable=False),  # the facility's
    sa.Column("use_date", sa.Date, nullable=False),
    sa.Column("start_time", sa.Time, nullable=False),
    sa.Column("end_time", sa.Time, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("offered_at", sa.DateTime(timezone=True)),
    sa.Column("hold_until", sa.DateTime(timezone=True)),
    sa.Column("held_cells", pg.ARRAY(sa.Time)),
    sa.Column("booking_id", pg.UUID(as_uuid=True)),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint(
        "status IN ('waiting', 'offered', 'booked', 'left', 'declined', 'expired', 'lapsed')",
        name="ck_waitlist_entries_status",
    ),
    sa.CheckConstraint("end_time > start_time", name="ck_waitlist_entries_span"),
    # The same span twice for one child is refused by the database too (overlaps by the service).
    sa.Index(
        "uq_waitlist_entries_active",
        "child_id",
        "facility_id",
        "use_date",
        "start_time",
        "end_time",
        unique=True,
        postgresql_where=sa.text("status IN ('waiting', 'offered')"),
    ),
    sa.Index("ix_waitlist_entries_day", "facility_id", "use_date", "joined_at"),
    sa.Index("ix_waitlist_entries_guardian", "guardian_id", "use_date"),
)
