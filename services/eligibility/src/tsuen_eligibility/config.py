from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tsuen_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TSUEN_", extra="ignore")

    service_name: str = "eligibility"
    database_url: str = "postgresql+asyncpg://tsuen:tsuen@127.0.0.1:5432/eligibility"
    http_port: int = 8001

    # Where the "利用申請URLのお知らせ" link points: the form page of the guardian web app, which
    # reads ``municipality`` and ``token`` from the query string.
    application_url_base: str = "http://127.0.0.1:8001/apply"

    # Where the confirmation link for a new e-mail address points (the portal's page, which
    # posts the token back to /v1/municipalities/{code}/email-changes/confirm), and how long
    # it works.
    email_change_url_base: str = "http://127.0.0.1:8006/email/confirm"
    email_change_validity_hours: int = Field(default=24, gt=0)

    # Public endpoints that mail someone or work hard, per e-mail address and per client
    # (tsuen_common.ratelimit): links per address and per client in an hour, replays per
    # client in a minute.
    link_requests_per_address_per_hour: int = Field(default=3, ge=1)
    link_requests_per_client_per_hour: int = Field(default=20, ge=1)
    replays_per_client_per_minute: int = Field(default=6, ge=1)

    # Attachments (障害者手帳 etc.) are stored in the database, so they are kept small.
    attachment_max_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    attachment_max_count: int = Field(default=10, ge=0)
    attachment_content_types: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
