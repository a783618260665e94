from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from tsuen_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TSUEN_", extra="ignore")

    service_name: str = "billing"
    database_url: str = "postgresql+asyncpg://tsuen:tsuen@127.0.0.1:5432/billing"
    http_port: int = 8007

    # Price tables (YAML, docs/billing.md#prices); unset: the presets shipped in the package.
    billing_prices_dir: Path | None = None

    # `tsuen-billing reconcile` reads booking's ledger through booking's API (never its
    # database) with a platform-admin token (`tsuen-token --role platform_admin`).
    booking_api_url: str = "http://127.0.0.1:8002"
    booking_api_token: SecretStr | None = None
