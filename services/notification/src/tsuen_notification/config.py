from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from tsuen_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TSUEN_", extra="ignore")

    service_name: str = "notification"
    database_url: str = "postgresql+asyncpg://tsuen:tsuen@127.0.0.1:5432/notification"
    http_port: int = 8004

    # SMTP relay. The development default is the local mail catcher
    # (`tsuen-notification mailcatcher`), so a laptop never mails a real person.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    # none: plain (local catcher only); starttls: upgrade on 587; tls: implicit TLS on 465.
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    smtp_validate_certs: bool = True

    # The sender loop (inside `consume`, or alone as `send`).
    sender_in_consumer: bool = True
    sender_batch_size: int = Field(default=40, ge=1)
    # SMTP connections one sender uses side by side (keep below the database pool size). A
    # lane sends one mail at a time (MAIL, RCPT, DATA, then the sent mark: five round trips):
    # 8 lanes delivered 146-180 mails/s where 4 delivered 96-147 (bench.email_pipeline, loaded
    # box). Beyond 8 the box's CPU binds, not the lanes: on a quiet box 8, 16, 24 and 32 lanes
    # all delivered 269-329 mails/s at 500/s asked, the machine 88-90 % busy (2026-12-06).
    sender_concurrency: int = Field(default=8, ge=1, le=32)
    # The fallback poll (mails due by time, retries, other processes' rows): inside `consume`
    # the consumers wake the sender as soon as they have committed new mails.
    sender_poll_interval_ms: int = Field(default=500, ge=1)
    # A lane's SMTP connection stays open across batches; closed after this long unused.
    sender_smtp_idle_seconds: float = Field(default=60.0, gt=0)
    # Must exceed the time one batch can take, or a second sender may send a claimed mail too.
    sender_lease_seconds: float = Field(default=120.0, gt=0)
    # Temporary failures: base·2^(n-1) seconds, at most max; failed after max_attempts tries
    # (30 s doubling to 1 h over 20 attempts covers roughly a day of outage).
    mail_retry_base_seconds: float = Field(default=30.0, gt=0)
    mail_retry_max_seconds: float = Field(default=3600.0, gt=0)
    mail_max_attempts: int = Field(default=20, ge=1)
    # Sent, cancelled and expired mails are deleted after this; failed ones are kept.
    mail_retention_days: int = Field(default=30, ge=1)

    # Shown in every notice (login, password setting, bookings). None leaves the link out.
    portal_url: str | None = None
