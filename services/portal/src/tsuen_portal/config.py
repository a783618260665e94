from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from tsuen_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """The portal's settings. Those only the portal reads start with ``TSUEN_PORTAL_``."""

    model_config = SettingsConfigDict(env_prefix="TSUEN_", extra="ignore")

    service_name: str = "portal"
    database_url: str = "postgresql+asyncpg://tsuen:tsuen@127.0.0.1:5432/portal"
    http_port: int = 8006

    # The services the portal calls on the guardian's behalf (backend-for-frontend).
    portal_identity_url: str = "http://127.0.0.1:8005"
    portal_eligibility_url: str = "http://127.0.0.1:8001"
    portal_booking_url: str = "http://127.0.0.1:8002"
    portal_attendance_url: str = "http://127.0.0.1:8003"
    portal_billing_url: str = "http://127.0.0.1:8007"
    portal_backend_timeout_seconds: float = Field(default=10.0, gt=0)

    # The session cookie is Secure unless this says otherwise; None means "true, except in
    # the test and dev environments" (plain http on 127.0.0.1).
    portal_secure_cookies: bool | None = None
    # A signed-in session ends after this long without a request, and in any case after
    # ``portal_session_absolute_minutes`` (a phone left logged in on a bus).
    portal_session_idle_minutes: int = Field(default=30, ge=1)
    portal_session_absolute_minutes: int = Field(default=12 * 60, ge=1)
    # The access token is refreshed at identity this long before it expires. A margin as long
    # as the token's lifetime refreshes on every request (the tests use that).
    portal_refresh_margin_seconds: int = Field(default=30, ge=0)
    # Optional Fernet key (urlsafe base64, 32 bytes) that encrypts the access and refresh
    # tokens at rest in portal_sessions; without it they are stored as they are.
    portal_token_key: SecretStr | None = None

    @model_validator(mode="after")
    def _secure_by_default(self) -> Settings:
        if self.portal_secure_cookies is None:
            self.portal_secure_cookies = self.environment not in ("test", "dev")
        return self

    @property
    def secure_cookies(self) -> bool:
        return bool(self.portal_secure_cookies)
