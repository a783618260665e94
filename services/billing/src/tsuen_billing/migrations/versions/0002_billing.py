"""Certifications, fee categories, usage lines, month closes, claims, statements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _recorded_at() -> sa.Column[object]:
    return sa.Column(
        "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def upgrade() -> None:
    op.create_table(
        "certifications",
        sa.Column("child_id", sa.Uuid, primary_key=True),
        sa.Column("certification_id", sa.Uuid, primary_key=True),
        sa.Column("guardian_id", sa.Uuid, nullable=False),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=True),
        sa.Column("needs_support", sa.Boolean, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("source_event_id", sa.Uuid, nullable=False),
        _recorded_at(),
    )
    op.create_table(
        "fee_categories",
        sa.Column("child_id", sa.Uuid, primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        _recorded_at(),
    )
    op.create_table(
        "usage_lines",
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
        _recorded_at(),
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
        sa.UniqueConstraint("booking_id", "kind", name="uq_usage_lines_booking_kind"),
    )
    op.create_index(
        "ix_usage_lines_facility_billing", "usage_lines", ["facility_id", "billing_month"]
    )
    op.create_index(
        "ix_usage_lines_facility_service", "usage_lines", ["facility_id", "service_month"]
    )
    op.create_table(
        "month_closes",
        sa.Column("facility_id", sa.Uuid, primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("facility_municipality", sa.String(6), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("facility_id", sa.Uuid, nullable=False),
        sa.Column("facility_name", sa.Text, nullable=False),
        sa.Column("facility_municipality", sa.String(6), nullable=False),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("line_count", sa.Integer, nullable=False),
        sa.Column("benefit_yen", sa.Integer, nullable=False),
        sa.Column("addon_yen", sa.Integer, nullable=False),
        sa.Column("total_yen", sa.Integer, nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "facility_id", "municipality", "month", name="uq_claims_facility_month"
        ),
    )
    op.create_index("ix_claims_municipality_month", "claims", ["municipality", "month"])
    op.create_table(
        "statements",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("facility_id", sa.Uuid, nullable=False),
        sa.Column("facility_name", sa.Text, nullable=False),
        sa.Column("facility_municipality", sa.String(6), nullable=False),
        sa.Column("guardian_id", sa.Uuid, nullable=False),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("line_count", sa.Integer, nullable=False),
        sa.Column("fee_yen", sa.Integer, nullable=False),
        sa.Column("over_cap_yen", sa.Integer, nullable=False),
        sa.Column("total_yen", sa.Integer, nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "facility_id", "guardian_id", "month", name="uq_statements_facility_guardian_month"
        ),
    )
    op.create_index("ix_statements_guardian", "statements", ["guardian_id", "month"])


def downgrade() -> None:
    for table in (
        "statements",
        "claims",
        "month_closes",
        "usage_lines",
        "fee_categories",
        "certifications",
    ):
        op.drop_table(table)
