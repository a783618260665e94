"""Guardian accounts keyed by identity; e-mail changes wait for the new address's confirmation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

from tsuen_eligibility.domain.names import guardian_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("guardian_accounts", sa.Column("identity_key", sa.Text(), nullable=True))
    # Existing accounts take the identity of the guardian on their first certification's form.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT DISTINCT ON (c.guardian_id) c.guardian_id, a.form -> 'guardian' AS g "
            "FROM certifications c JOIN applications a ON a.id = c.application_id "
            "ORDER BY c.guardian_id, c.created_at"
        )
    ).all()
    for guardian_id, guardian in rows:
        if not guardian or "kana" not in guardian or "birth_date" not in guardian:
            continue
        bind.execute(
            sa.text("UPDATE guardian_accounts SET identity_key = :k WHERE id = :id"),
            {"k": guardian_key(guardian["kana"], guardian["birth_date"]), "id": guardian_id},
        )
    op.create_table(
        "email_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("guardian_id", sa.Uuid(), nullable=False),
        sa.Column("certification_id", sa.Uuid(), nullable=False),
        sa.Column("new_email", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["guardian_id"], ["guardian_accounts.id"]),
        sa.ForeignKeyConstraint(["certification_id"], ["certifications.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_email_changes_guardian", "email_changes", ["municipality", "guardian_id"])


def downgrade() -> None:
    op.drop_index("ix_email_changes_guardian", table_name="email_changes")
    op.drop_table("email_changes")
    op.drop_column("guardian_accounts", "identity_key")
