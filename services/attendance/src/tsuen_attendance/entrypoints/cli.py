from __future__ import annotations

from pathlib import Path

from tsuen_attendance.config import Settings
from tsuen_common.service import run_cli

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        service="attendance",
        migrations_dir=MIGRATIONS,
        settings_factory=Settings,
        app_path="tsuen_attendance.entrypoints.app:create",
        argv=argv,
    )
