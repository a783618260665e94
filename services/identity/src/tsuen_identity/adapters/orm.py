"""The identity service's own database schema (no other service reads it)."""

from __future__ import annotations

import sqlalchemy as sa

from tsuen_common.messaging import add_messaging_tables
from tsuen_common.messaging.wakeup import add_wakeup_table

metadata = sa.MetaData()
messaging = add_messaging_tables(metadata)
# The relay's wake-up register (migration 0005, tsuen_common.messaging.wakeup).
outbox_relay_waiting = add_wakeup_table(metadata)

# One row per person who can log in. A guardian's id is the guardian_id eligibility minted at
# the first certification; staff and officers get an id here. The e-mail is the login ID,
# stored normalised (lower case) and unique across the platform.
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("municipality", sa.String(6), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("email", sa.Text, nullable=False, unique=True),
    sa.Column("facility_id", sa.Uuid, nullable=True),
    # argon2id PHC string; NULL until the holder sets a password with the account link.
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
    # Bumped by logout-all and password resets: refresh tokens of older generations are dead.
    sa.Column("token_generation", sa.Integer, nullable=False, server_default="0"),
    # Set by an officer: the account cannot log in (its sessions ended then); NULL = enabled.
    sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

# Which certified children belong to a guardian account (siblings share one account).
guardian_children = sa.Table(
    "guardian_children",
    metadata,
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("child_id", sa.Uuid, primary_key=True),
    sa.Column("certification_id", sa.Uuid, nullable=False),
    sa.Column("municipality", sa.String(6), nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

# Set-password and reset links: only the SHA-256 of the secret is kept.
one_time_links = sa.Table(
    "one_time_links",
    metadata,
    sa.Column("token_digest", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("municipality", sa.String(6), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_one_time_links_account", "account_id"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_digest", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("municipality", sa.String(6), nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_refresh_tokens_account", "account_id"),
)

# Attempt counters for lockouts and rate limits. The key is a digest of the e-mail or client
# address (domain/throttle.py), so this table holds no personal data in the clear.
throttles = sa.Table(
    "throttles",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
)

# The second factor (officers, domain/second_factor.py): the TOTP secret sealed with the
# service's key (tsuen_common.sealed), confirmed once a right code came back, and the last
# step used (no code twice). One row per account that has one.
second_factors = sa.Table(
    "second_factors",
    metadata,
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("sealed_secret", sa.LargeBinary, nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_step", sa.BigInteger, nullable=True),
)

# After a right password, the login waits for the code: a random challenge (only its digest
# kept) that expires in minutes and allows a few tries.
login_challenges = sa.Table(
    "login_challenges",
    metadata,
    sa.Column("token_digest", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
)

# Who invited, disabled or enabled which staff or officer account, and when (officers read it
# for their municipality). ``actor`` is the officer's account id, or "command" for the CLI.
account_audit = sa.Table(
    "account_audit",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("municipality", sa.String(6), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Index("ix_account_audit_municipality_at", "municipality", "at"),
)
