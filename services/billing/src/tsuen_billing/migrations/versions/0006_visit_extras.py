"""What a visit adds (初回加算, 実費) and the 要支援家庭 spans.

- ``cost_items``: each facility's 実費 items, versioned by the day a change applies from;
- ``usage_lines``: the 初回 flag and the 実費 a billed visit carried (frozen at the close);
- ``statements``: the 実費 total (the guardian pays it to the facility; never on a claim);
- ``family_support``: the spans an officer marked a certification as 要支援家庭.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _recorded_at() -> sa.Column[object]:
    return sa.Column(
        "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def upgrade() -> None:
    op.create_table(
        "cost_items",
        sa.Column("facility_id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("facility_municipality", sa.String(6), nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("yen", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        _recorded_at(),
    )
    op.add_column("usage_lines", sa.Column("first_visit", sa.Boolean, nullable=True))
    op.add_column("usage_lines", sa.Column("actual_cost_yen", sa.Integer, nullable=True))
    op.add_column("usage_lines", sa.Column("actual_costs", postgresql.JSONB, nullable=True))
    op.add_column(
        "statements",
        sa.Column("actual_cost_yen", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    op.create_table(
        "family_support",
        sa.Column("child_id", sa.Uuid, primary_key=True),
        sa.Column("certification_id", sa.Uuid, primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("source_event_id", sa.Uuid, nullable=False),
        _recorded_at(),
    )


def downgrade() -> None:
    op.drop_table("family_support")
    op.drop_column("statements", "actual_cost_yen")
    op.drop_column("usage_lines", "actual_costs")
    op.drop_column("usage_lines", "actual_cost_yen")
    op.drop_column("usage_lines", "first_visit")
    op.drop_table("cost_items")
