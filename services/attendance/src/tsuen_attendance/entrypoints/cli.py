"""``tsuen-attendance serve|migrate|relay|consume|rotate-key|detect-no-shows``."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from pathlib import Path

from tsuen_attendance.config import Settings
from tsuen_attendance.domain.times import parse_instant
from tsuen_attendance.entrypoints.consumers import build_worker
from tsuen_attendance.service_layer.wiring import build_service
from tsuen_common import idempotency
from tsuen_common.db import make_engine
from tsuen_common.service import run_cli
from tsuen_common.settings import ServiceSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _settings(settings: ServiceSettings) -> Settings:
    return settings if isinstance(settings, Settings) else Settings()


def rotate_key(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-attendance rotate-key",
        description="Give a facility a new 2D-code key. Codes on screen now stay valid for "
        "their grace window; anything signed with the old key later is refused.",
    )
    parser.add_argument("--facility", required=True, type=uuid.UUID, help="facility id (UUID)")
    args = parser.parse_args(argv)

    async def run() -> None:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        try:
            await build_service(_settings(settings), engine).rotate_key(args.facility)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print(f"rotated the 2D-code key of facility {args.facility}")
    return 0


def reseal_keys(settings: ServiceSettings, argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog="tsuen-attendance reseal-keys",
        description="Seal every stored 2D-code key under the first of TSUEN_SEALING_KEYS "
        "(after turning sealing on or adding a new sealing key; see the runbook).",
    ).parse_args(argv)

    async def run() -> int:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        try:
            return await build_service(_settings(settings), engine).reseal_keys()
        finally:
            await engine.dispose()

    count = asyncio.run(run())
    print(f"{count} key(s) resealed")
    return 0


def detect_no_shows(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-attendance detect-no-shows",
        description="Emit NoShow for confirmed bookings without check-in by their booked end. "
        "Idempotent: run it from cron as often as you like.",
    )
    parser.add_argument(
        "--at",
        type=parse_instant,
        help="judge as of this ISO instant (default now; no offset means Asia/Tokyo)",
    )
    args = parser.parse_args(argv)

    async def run() -> int:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        try:
            return await build_service(_settings(settings), engine).detect_no_shows(args.at)
        finally:
            await engine.dispose()

    count = asyncio.run(run())
    print(f"{count} no-show(s) recorded")
    return 0


OPERATOR_COMMANDS = {
    "rotate-key": ("give a facility a new 2D-code signing key", rotate_key),
    "reseal-keys": ("seal the stored 2D-code keys under the current sealing key", reseal_keys),
    "detect-no-shows": ("emit NoShow for bookings never checked in", detect_no_shows),
    "purge-idempotency-keys": idempotency.PURGE_COMMAND,
}


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        service="attendance",
        migrations_dir=MIGRATIONS,
        settings_factory=Settings,
        app_path="tsuen_attendance.entrypoints.app:create",
        worker_factory=build_worker,
        extra_commands=OPERATOR_COMMANDS,
        argv=argv,
    )
