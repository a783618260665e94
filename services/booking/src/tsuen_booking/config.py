from __future__ import annotations

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
