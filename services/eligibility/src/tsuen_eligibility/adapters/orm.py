"""The eligibility service's own database schema (no other service reads it).

Every row carries its municipality (the tenant) and every query filters on it. Personal data
stays in this database: events and logs carry ids, and the published lottery list carries only
application ids and hashes.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from tsuen_common.idempotency import add_idempotency_table
from tsuen_common.messaging import add_messaging_tables
from tsuen_common.messaging.wakeup import add_wakeup_table
from tsuen_common.ratelimit import add_rate_limit_table

metadata = sa.MetaData()
messaging = add_messaging_tables(metadata)
# The relay's wake-up register (migration 0008, tsuen_common.messaging.wakeup).
outbox_relay_waiting = add_wakeup_table(metadata)
# Idempotency-Key answers (tsuen_common.idempotency): written by the shared HTTP guard.
idempotency_keys = add_idempotency_table(metadata)
rate_limits = add_rate_limit_table(metadata)


def _municipality() -> sa.Column[str]:
    return sa.Column("municipality", sa.String(6), nullable=False)


def _created_at() -> sa.Column[datetime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


application_links = sa.Table(
    "application_links",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    _municipality(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
)

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    _municipality(),
    sa.Column("link_id", sa.Uuid, sa.ForeignKey("application_links.id"), nullable=False),
    # pending → approved | rejected | withdrawn; waitlisted while a 補欠 of a lottery round.
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("guardian_email", sa.Text, nullable=False),
    sa.Column("guardian_name", sa.Text, nullable=False),
    sa.Column("child_name", sa.Text, nullable=False),
    sa.Column("child_kana_key", sa.Text, nullable=False),
    sa.Column("child_birth_date", sa.Date, nullable=False),
    sa.Column("desired_facility_id", sa.Uuid),
    sa.Column("needs_support", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("priority_tier", sa.Text),
    # The whole form as submitted (guardian, consents, proxies, child, 配慮事項).
    sa.Column("form", pg.JSONB, nullable=False),
    sa.Column("checks", pg.JSONB, nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("decided_by", sa.Text),
    sa.Column("decision_reason", sa.Text),
    sa.Index("ix_applications_municipality_status", "municipality", "status", "submitted_at"),
    # One live application per child and guardian: a second while one is pending or approved is
    # a duplicate (409). Siblings differ by child, so they pass.
    sa.Index(
        "uq_applications_live_child",
        "municipality",
        "child_kana_key",
        "child_birth_date",
        "guardian_email",
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'approved', 'waitlisted')"),
    ),
)

attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    _municipality(),
    sa.Column("application_id", sa.Uuid, sa.ForeignKey("applications.id"), nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("content_type", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

resident_records = sa.Table(
    "resident_records",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _municipality(),
    sa.Column("child_kana_key", sa.Text, nullable=False),
    sa.Column("child_birth_date", sa.Date, nullable=False),
    sa.Column("moved_in_on", sa.Date),
    sa.Column("moved_out_on", sa.Date),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.UniqueConstraint(
        "municipality", "child_kana_key", "child_birth_date", name="uq_resident_records_child"
    ),
)

enrollments = sa.Table(
    "enrollments",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _municipality(),
    sa.Column("child_kana_key", sa.Text, nullable=False),
    sa.Column("child_birth_date", sa.Date, nullable=False),
    sa.Column("facility_type", sa.Text, nullable=False),
    sa.Column("enrolled_from", sa.Date, nullable=False),
    sa.Column("enrolled_until", sa.Date),
    sa.UniqueConstraint(
        "municipality",
        "child_kana_key",
        "child_birth_date",
        "facility_type",
        "enrolled_from",
        name="uq_enrollments_child_type_from",
    ),
)

guardian_accounts = sa.Table(
    "guardian_accounts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    _municipality(),
    # Siblings apply with the same e-mail, so one account per (municipality, e-mail).
    sa.Column("email", sa.Text, nullable=False),
    # The guardian's reading + birth date (names.guardian_key): a new child joins this account
    # only when its applying guardian is this one, never on an e-mail match alone.
    sa.Column("identity_key", sa.Text),
    _created_at(),
    sa.UniqueConstraint("municipality", "email", name="uq_guardian_accounts_email"),
)

# An e-mail change waits here until the new address's owner opens the link sent to it.
email_changes = sa.Table(
    "email_changes",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    _municipality(),
    sa.Column("guardian_id", sa.Uuid, sa.ForeignKey("guardian_accounts.id"), nullable=False),
    sa.Column("certification_id", sa.Uuid, sa.ForeignKey("certifications.id"), nullable=False),
    sa.Column("new_email", sa.Text, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True)),
    sa.Index("ix_email_changes_guardian", "municipality", "guardian_id"),
)

certifications = sa.Table(
    "certifications",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    _municipality(),
    sa.Column("application_id", sa.Uuid, sa.ForeignKey("applications.id"), nullable=False),
    sa.Column("child_id", sa.Uuid, nullable=False),
    sa.Column("guardian_id", sa.Uuid, sa.ForeignKey("guardian_accounts.id"), nullable=False),
    sa.Column("certificate_number", sa.Text, nullable=False, unique=True),
    sa.Column("child_kana_key", sa.Text, nullable=False),
    sa.Column("child_birth_date", sa.Date, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # active | revoked
    sa.Column("revoked_on", sa.Date),
    sa.Column("revocation_reason", sa.Text),
    _created_at(),
    sa.Index("ix_certifications_active_until", "status", "valid_until"),
    sa.Index("ix_certifications_child", "municipality", "child_kana_key", "child_birth_date"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _municipality(),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),  # token subject, or "system:<command>"
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("application_id", sa.Uuid),
    sa.Column("certification_id", sa.Uuid),
    sa.Column("round_id", sa.Uuid),
    sa.Column("detail", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Index("ix_audit_log_application", "municipality", "application_id"),
)

lottery_rounds = sa.Table(
    "lottery_rounds",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    _municipality(),
    sa.Column("facility_id", sa.Uuid),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("places", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # open | drawn
    # The seed stays secret until the draw; only its sha256 is shown before.
    sa.Column("seed", sa.Text, nullable=False),
    sa.Column("seed_hash", sa.String(64), nullable=False),
    sa.Column("priority_tiers", pg.JSONB, nullable=False),
    sa.Column("siblings_together", sa.Boolean, nullable=False),
    sa.Column("waitlist_enabled", sa.Boolean, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("drawn_at", sa.DateTime(timezone=True)),
    # The applicant list as published at the draw (ids, tiers, random family tokens; no names).
    sa.Column("applicants", pg.JSONB),
)

lottery_entries = sa.Table(
    "lottery_entries",
    metadata,
    sa.Column("round_id", sa.Uuid, sa.ForeignKey("lottery_rounds.id"), primary_key=True),
    sa.Column("application_id", sa.Uuid, sa.ForeignKey("applications.id"), primary_key=True),
    _municipality(),
    sa.Column("draw_position", sa.Integer, nullable=False),
    # won | waitlisted | promoted | not_selected | accepted | declined | lapsed | rejected
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("waitlist_position", sa.Integer),
    sa.Column("acceptance_deadline", sa.Date),
    sa.Index("ix_lottery_entries_application", "application_id"),
)

# お子さんの情報登録: the guardian's record of the child's health and safety (allergies,
# 医療的ケア, emergency contacts, who may pick up), validated by tsuen_common's ChildProfile and
# sent to the facilities' rosters as ChildProfileUpdated. One row per child.
child_profiles = sa.Table(
    "child_profiles",
    metadata,
    _municipality(),
    sa.Column("child_id", sa.Uuid, nullable=False),
    sa.Column("guardian_id", sa.Uuid, sa.ForeignKey("guardian_accounts.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("profile", pg.JSONB, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("municipality", "child_id"),
)

# 変更申請 by a guardian (address, phone, name): applied only when an officer approves it
# (service_layer/change_requests.py). An officer's own change applies at once.
change_requests = sa.Table(
    "change_requests",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    _municipality(),
    sa.Column("certification_id", sa.Uuid, sa.ForeignKey("certifications.id"), nullable=False),
    sa.Column("guardian_id", sa.Uuid, sa.ForeignKey("guardian_accounts.id"), nullable=False),
    sa.Column("requested", pg.JSONB, nullable=False),  # {field: new value}
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # pending | approved | rejected | withdrawn
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("reason", sa.Text),
    sa.Index("ix_change_requests_queue", "municipality", "status", "requested_at"),
    sa.Index(
        "ux_change_requests_pending",
        "certification_id",
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    ),
)
