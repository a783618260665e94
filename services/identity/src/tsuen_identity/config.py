from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tsuen_common.settings import ServiceSettings
from tsuen_identity.domain.policy import IdentityPolicy, ThrottleRule


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TSUEN_", extra="ignore")

    service_name: str = "identity"
    database_url: str = "postgresql+asyncpg://tsuen:tsuen@127.0.0.1:5432/identity"
    http_port: int = 8005

    # The ES256 private key that signs access tokens (`tsuen-identity gen-key PATH`). Only the
    # API needs it; the relay and the consumers run without it.
    identity_signing_key_file: Path | None = None
    # Public keys still published in the JWKS next to the signing key's: the previous key
    # during a rotation, until every token it signed has expired (docs/identity.md).
    identity_published_key_files: list[Path] = Field(default_factory=list)

    # Where the links in the account and reset mails point (the guardian's web app).
    portal_base_url: str = "http://127.0.0.1:8006"
    # Take the client address from X-Forwarded-For only behind a proxy that sets it (the
    # portal sends the browser's address there), and then only from these peers (addresses
    # or networks, JSON list: '["10.0.0.0/8"]'; empty: any peer).
    trust_forwarded_for: bool = False
    trusted_proxies: list[str] = Field(default_factory=list)

    # Roles that log in with a second factor (TOTP from an authenticator app) after the
    # password: officers open every family's application of their municipality.
    second_factor_roles: list[str] = Field(default_factory=lambda: ["municipality_officer"])

    # Lifetimes
    set_password_link_hours: int = Field(default=72, ge=1, le=24 * 30)
    reset_link_minutes: int = Field(default=60, ge=5, le=24 * 60)
    access_token_minutes: int = Field(default=10, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)

    # Throttling: failed logins per e-mail address (locks the account), failed logins per
    # client address, reset requests per client address and per e-mail address.
    login_failures_per_account: int = Field(default=5, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    login_failures_per_client: int = Field(default=30, ge=1)
    login_client_window_minutes: int = Field(default=15, ge=1)
    reset_requests_per_client: int = Field(default=3, ge=1)
    reset_requests_per_email: int = Field(default=3, ge=1)
    reset_window_minutes: int = Field(default=60, ge=1)

    # argon2id cost (RFC 9106 "low memory" profile by default: t=3, m=64 MiB, p=4).
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1)

    def policy(self) -> IdentityPolicy:
        return IdentityPolicy.from_minutes(
            set_password_link_minutes=self.set_password_link_hours * 60,
            reset_link_minutes=self.reset_link_minutes,
            access_token_minutes=self.access_token_minutes,
            refresh_token_minutes=self.refresh_token_days * 24 * 60,
            account_lockout=ThrottleRule.of(
                self.login_failures_per_account,
                window_minutes=self.login_lock_minutes,
                lock_minutes=self.login_lock_minutes,
            ),
            client_logins=ThrottleRule.of(
                self.login_failures_per_client,
                window_minutes=self.login_client_window_minutes,
                lock_minutes=self.login_client_window_minutes,
            ),
            client_resets=ThrottleRule.of(
                self.reset_requests_per_client,
                window_minutes=self.reset_window_minutes,
                lock_minutes=self.reset_window_minutes,
            ),
            email_resets=ThrottleRule.of(
                self.reset_requests_per_email,
                window_minutes=self.reset_window_minutes,
                lock_minutes=self.reset_window_minutes,
            ),
        )
