"""Applications, registries, certifications, audit trail and lottery.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [
    "application_links",
    "applications",
    "attachments",
    "resident_records",
    "enrollments",
    "guardian_accounts",
    "certifications",
    "audit_log",
    "lottery_rounds",
    "lottery_entries",
]


def upgrade() -> None:
    op.create_table(
        "application_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("guardian_email", sa.Text(), nullable=False),
        sa.Column("guardian_name", sa.Text(), nullable=False),
        sa.Column("child_name", sa.Text(), nullable=False),
        sa.Column("child_kana_key", sa.Text(), nullable=False),
        sa.Column("child_birth_date", sa.Date(), nullable=False),
        sa.Column("desired_facility_id", sa.Uuid(), nullable=True),
        sa.Column("needs_support", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("priority_tier", sa.Text(), nullable=True),
        sa.Column("form", postgresql.JSONB(), nullable=False),
        sa.Column("checks", postgresql.JSONB(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["application_links.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_applications_municipality_status",
        "applications",
        ["municipality", "status", "submitted_at"],
        unique=False,
    )
    op.create_index(
        "uq_applications_live_child",
        "applications",
        ["municipality", "child_kana_key", "child_birth_date", "guardian_email"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'approved', 'waitlisted')"),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "resident_records",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("child_kana_key", sa.Text(), nullable=False),
        sa.Column("child_birth_date", sa.Date(), nullable=False),
        sa.Column("moved_in_on", sa.Date(), nullable=True),
        sa.Column("moved_out_on", sa.Date(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "municipality", "child_kana_key", "child_birth_date", name="uq_resident_records_child"
        ),
    )
    op.create_table(
        "enrollments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("child_kana_key", sa.Text(), nullable=False),
        sa.Column("child_birth_date", sa.Date(), nullable=False),
        sa.Column("facility_type", sa.Text(), nullable=False),
        sa.Column("enrolled_from", sa.Date(), nullable=False),
        sa.Column("enrolled_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "municipality",
            "child_kana_key",
            "child_birth_date",
            "facility_type",
            "enrolled_from",
            name="uq_enrollments_child_type_from",
        ),
    )
    op.create_table(
        "guardian_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality", "email", name="uq_guardian_accounts_email"),
    )
    op.create_table(
        "certifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("guardian_id", sa.Uuid(), nullable=False),
        sa.Column("certificate_number", sa.Text(), nullable=False),
        sa.Column("child_kana_key", sa.Text(), nullable=False),
        sa.Column("child_birth_date", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
        ),
        sa.ForeignKeyConstraint(
            ["guardian_id"],
            ["guardian_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("certificate_number"),
    )
    op.create_index(
        "ix_certifications_active_until", "certifications", ["status", "valid_until"], unique=False
    )
    op.create_index(
        "ix_certifications_child",
        "certifications",
        ["municipality", "child_kana_key", "child_birth_date"],
        unique=False,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("certification_id", sa.Uuid(), nullable=True),
        sa.Column("round_id", sa.Uuid(), nullable=True),
        sa.Column(
            "detail", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_audit_log_application", "audit_log", ["municipality", "application_id"], unique=False
    )
    op.create_table(
        "lottery_rounds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("facility_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("seed", sa.Text(), nullable=False),
        sa.Column("seed_hash", sa.String(length=64), nullable=False),
        sa.Column("priority_tiers", postgresql.JSONB(), nullable=False),
        sa.Column("siblings_together", sa.Boolean(), nullable=False),
        sa.Column("waitlist_enabled", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applicants", postgresql.JSONB(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "lottery_entries",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("draw_position", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("waitlist_position", sa.Integer(), nullable=True),
        sa.Column("acceptance_deadline", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["lottery_rounds.id"],
        ),
        sa.PrimaryKeyConstraint("round_id", "application_id"),
    )
    op.create_index(
        "ix_lottery_entries_application", "lottery_entries", ["application_id"], unique=False
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
