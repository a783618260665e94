from __future__ import annotations

from pathlib import Path

from tsuen_common.service import run_cli
from tsuen_eligibility.config import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        service="eligibility",
        migrations_dir=MIGRATIONS,
        settings_factory=Settings,
        app_path="tsuen_eligibility.entrypoints.app:create",
        argv=argv,
    )
