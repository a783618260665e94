from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tsuen_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TSUEN_", extra="ignore")

    service_name: str = "attendance"
    database_url: str = "postgresql+asyncpg://tsuen:tsuen@127.0.0.1:5432/attendance"
    http_port: int = 8003

    # The facility's 2D code: a new token every step; a scanned one stays good for
    # ``code_grace_steps`` more steps, so a parent who scanned at the change is not refused.
    code_step_seconds: int = Field(default=30, ge=5, le=600)
    code_grace_steps: int = Field(default=1, ge=0, le=4)
    # What the code's URL starts with: where guardians' phones reach this service's /scan page.
    public_base_url: str = "http://127.0.0.1:8003"
    # The roster shows the guardian's record (allergies, contacts, pickup) for today's visits
    # and those of the next few days, so staff can prepare (e.g. an allergy-safe meal).
    roster_record_days_ahead: int = Field(default=3, ge=0, le=14)
