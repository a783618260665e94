"""Idempotency-Key answers (tsuen_common.idempotency, issue 18): one row per caller and key,
written in the same transaction as the state change, kept for a day.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from tsuen_common.idempotency import create_idempotency_table, drop_idempotency_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
