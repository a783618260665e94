"""The billing service's own database schema (no other service reads it).

Usage lines are facts (minutes booking's ledger consumed, one per booking and kind); the
``billed`` columns stay NULL until a monthly close prices the line into a claim and a statement,
and are never written again: a closed line does not change.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from tsuen_common.messaging import add_messaging_tables
from tsuen_common.messaging.wakeup import add_wakeup_table

metadata = sa.MetaData()
messaging = add_messaging_tables(metadata)
# The relay's wake-up register (migration 0007, tsuen_common.messaging.wakeup).
outbox_relay_waiting = add_wakeup_table(metadata)


def _now() -> sa.Column[datetime]:
    return sa.Column(
        "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


# What each certification says about the child (ChildCertified); several per child over time.
certifications = sa.Table(
    "certifications",
    metadata,
    sa.Column("child_id", sa.Uuid, primary_key=True),
    sa.Column("certification_id", sa.Uuid, primary_key=True),
    sa.Column("guardian_id", sa.Uuid, nullable=False),
    sa.Column("municipality", sa.String(6), nullable=False),  # pays the 給付
    sa.Column("birth_date", sa.Date, nullable=True),
    sa.Column("needs_support", sa.Boolean, nullable=False),
    sa.Column("medical_care", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("source_event_id", sa.Uuid, nullable=False),
    _now(),
)

# The household's fee category (利用者負担の階層) from a day on, as the municipality decided it.
fee_categories = sa.Table(
    "fee_categories",
    metadata,
    sa.Column("child_id", sa.Uuid, primary_key=True),
    sa.Column("effective_from", sa.Date, primary_key=True),
    sa.Column("municipality", sa.String(6), nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    _now(),
)

usage_lines = sa.Table(
    "usage_lines",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("booking_id", sa.Uuid, nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("child_id", sa.Uuid, nullable=False),
    sa.Column("guardian_id", sa.Uuid, nullable=True),
    sa.Column("facility_id", sa.Uuid, nullable=False),
    sa.Column("facility_name", sa.Text, nullable=False),
    sa.Column("facility_municipality", sa.String(6), nullable=False),
    sa.Column("use_date", sa.Date, nullable=False),
    sa.Column("service_month", sa.String(7), nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("over_cap_fee_yen", sa.Integer, nullable=False),
    sa.Column("source_event_id", sa.Uuid, nullable=False),
    sa.Column("source_event_type", sa.Text, nullable=False),
    _now(),
    # Set once by the close that bills the line.
    sa.Column("billing_month", sa.String(7), nullable=True),
    sa.Column("claim_id", sa.Uuid, nullable=True),
    sa.Column("statement_id", sa.Uuid, nullable=True),
    sa.Column("paying_municipality", sa.String(6), nullable=True),
    sa.Column("billed_guardian_id", sa.Uuid, nullable=True),
    sa.Column("benefit_yen", sa.Integer, nullable=True),
    sa.Column("addon_yen", sa.Integer, nullable=True),
    sa.Column("fee_yen", sa.Integer, nullable=True),
    sa.Column("over_cap_yen", sa.Integer, nullable=True),
    sa.Column("fiscal_year", sa.Integer, nullable=True),
    sa.Column("age_band", sa.String(8), nullable=True),
    sa.Column("fee_category", sa.String(16), nullable=True),
    # A billed visit's extras (domain.visits): the 初回 add-on (in addon_yen) and its 実費.
    sa.Column("first_visit", sa.Boolean, nullable=True),
    sa.Column("actual_cost_yen", sa.Integer, nullable=True),
    sa.Column("actual_costs", JSONB, nullable=True),  # [[item, yen], ...]
    sa.UniqueConstraint("booking_id", "kind", name="uq_usage_lines_booking_kind"),
    sa.Index("ix_usage_lines_facility_billing", "facility_id", "billing_month"),
    sa.Index("ix_usage_lines_facility_service", "facility_id", "service_month"),
)

# The visit behind a used booking (attendance.CheckedOut): the times the statement shows.
visits = sa.Table(
    "visits",
    metadata,
    sa.Column("booking_id", sa.Uuid, primary_key=True),
    sa.Column("child_id", sa.Uuid, nullable=False),
    sa.Column("facility_id", sa.Uuid, nullable=False),
    sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("late_minutes", sa.Integer, nullable=False),
    sa.Column("source_event_id", sa.Uuid, nullable=False),
    _now(),
)

# Where notices go (ClaimClosed, StatementClosed carry the address, as every notice-causing event
# does): the facility's address from booking's events, the guardian's from the certifications.
# The latest event seen wins.
facility_contacts = sa.Table(
    "facility_contacts",
    metadata,
    sa.Column("facility_id", sa.Uuid, primary_key=True),
    sa.Column("email", sa.Text, nullable=False),
    _now(),
)

guardian_contacts = sa.Table(
    "guardian_contacts",
    metadata,
    sa.Column("guardian_id", sa.Uuid, primary_key=True),
    sa.Column("email", sa.Text, nullable=False),
    _now(),
)

# A facility's 実費 items (meals, snacks), each change from a day on (domain.visits.CostItem);
# staff edit them through the API, never for a day of a month the facility has closed.
cost_items = sa.Table(
    "cost_items",
    metadata,
    sa.Column("facility_id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("effective_from", sa.Date, primary_key=True),
    sa.Column("facility_municipality", sa.String(6), nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("yen", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    _now(),
)

# 要支援家庭: the spans an officer marked a certification with (eligibility's
# FamilySupportMarked); the latest event for a (certification, from) wins.
family_support = sa.Table(
    "family_support",
    metadata,
    sa.Column("child_id", sa.Uuid, primary_key=True),
    sa.Column("certification_id", sa.Uuid, primary_key=True),
    sa.Column("valid_from", sa.Date, primary_key=True),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("municipality", sa.String(6), nullable=False),
    sa.Column("source_event_id", sa.Uuid, nullable=False),
    _now(),
)

# Which (facility, month) is closed: its claims and statements are final.
month_closes = sa.Table(
    "month_closes",
    metadata,
    sa.Column("facility_id", sa.Uuid, primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("facility_municipality", sa.String(6), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("facility_id", sa.Uuid, nullable=False),
    sa.Column("facility_name", sa.Text, nullable=False),
    sa.Column("facility_municipality", sa.String(6), nullable=False),
    sa.Column("municipality", sa.String(6), nullable=False),  # who pays
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("line_count", sa.Integer, nullable=False),
    sa.Column("benefit_yen", sa.Integer, nullable=False),
    sa.Column("addon_yen", sa.Integer, nullable=False),
    sa.Column("total_yen", sa.Integer, nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("facility_id", "municipality", "month", name="uq_claims_facility_month"),
    sa.Index("ix_claims_municipality_month", "municipality", "month"),
)

statements = sa.Table(
    "statements",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("facility_id", sa.Uuid, nullable=False),
    sa.Column("facility_name", sa.Text, nullable=False),
    sa.Column("facility_municipality", sa.String(6), nullable=False),
    sa.Column("guardian_id", sa.Uuid, nullable=False),
    sa.Column("municipality", sa.String(6), nullable=False),  # the guardian's
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("line_count", sa.Integer, nullable=False),
    sa.Column("fee_yen", sa.Integer, nullable=False),
    sa.Column("over_cap_yen", sa.Integer, nullable=False),
    sa.Column("actual_cost_yen", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("total_yen", sa.Integer, nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint(
        "facility_id", "guardian_id", "month", name="uq_statements_facility_guardian_month"
    ),
    sa.Index("ix_statements_guardian", "guardian_id", "month"),
)
