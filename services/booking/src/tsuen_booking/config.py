from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from tsuen_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TSUEN_", extra="ignore")

    service_name: str = "booking"
    database_url: str = "postgresql+asyncpg://tsuen:tsuen@127.0.0.1:5432/booking"
    http_port: int = 8002
    waitlist_sweep_seconds: float = 15.0
    """How often the consumer process looks at every 空き待ち list: expires unanswered holds and
    offers places freed other than by an API cancellation (which offers at once)."""
    group_commit_ms: float | None = Field(
        default=None,
        ge=0,
        validation_alias=AliasChoices("TSUEN_BOOKING_GROUP_COMMIT_MS", "group_commit_ms"),
    )
    """Group commit for 柔軟利用 bookings (issue 20, ``adapters/group_commit.py``): unset or
    ``off`` (the default), each booking calls ``book_use`` alone; 0, a process sends the bookings
    that arrived while its previous call was in flight as one ``book_uses`` call; n, it waits
    n ms more before sending. Measured in docs/booking.md: less CPU per answer, but off until the
    tests that wait for one locked backend per booking know about batches."""

    @field_validator("group_commit_ms", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip().lower() in ("off", "") else value
