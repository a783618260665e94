from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tsuen_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TSUEN_", extra="ignore")

    service_name: str = "notification"
    database_url: str = "postgresql+asyncpg://tsuen:tsuen@127.0.0.1:5432/notification"
    http_port: int = 8004
