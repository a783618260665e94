"""The portal's own tables: only sessions (everything else belongs to the other services)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

portal_sessions = sa.Table(
    "portal_sessions",
    metadata,
    # SHA-256 of the cookie's random id: the table alone cannot be used as cookies.
    sa.Column("id_hash", sa.Text, primary_key=True),
    sa.Column("csrf_secret", sa.Text, nullable=False),
    sa.Column("role", sa.Text),
    sa.Column("municipality", sa.Text),
    sa.Column("guardian_id", sa.Text),
    sa.Column("facility_id", sa.Text),
    # identity's account id (migration 0002): disabling an account ends its sessions at once.
    sa.Column("account_id", sa.Text),
    # Fernet-encrypted when TSUEN_PORTAL_TOKEN_KEY is set, else as identity issued them.
    sa.Column("access_token", sa.Text),
    sa.Column("refresh_token", sa.Text),
    sa.Column("access_expires_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_portal_sessions_expires_at", "expires_at"),
    sa.Index("ix_portal_sessions_account_id", "account_id"),
)
