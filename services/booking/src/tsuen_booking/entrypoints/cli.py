"""``tsuen-booking serve | migrate | relay | consume | seed-demo | reconcile``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import time
from pathlib import Path
from typing import Any

import yaml

from tsuen_booking.config import Settings
from tsuen_booking.domain.errors import BookingError
from tsuen_booking.entrypoints.app import build_context
from tsuen_booking.entrypoints.consumers import build_worker
from tsuen_booking.service_layer import facilities as facility_cases
from tsuen_booking.service_layer import quota as quota_cases
from tsuen_booking.service_layer import regular_occurrences
from tsuen_booking.service_layer.commands import FacilitySpec, Hours
from tsuen_common import idempotency
from tsuen_common.service import run_cli
from tsuen_common.settings import ServiceSettings
from tsuen_common.timeutil import today_jst

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# services/booking/src/tsuen_booking/entrypoints/cli.py → the repository root.
DEMO_FILE = Path(__file__).resolve().parents[5] / "deploy" / "demo" / "demo.yaml"
WEEKDAYS = range(5)  # demo facilities open Monday to Friday


def _settings(settings: ServiceSettings) -> Settings:
    return settings if isinstance(settings, Settings) else Settings()


def demo_facilities(data: dict[str, Any]) -> list[tuple[str, FacilitySpec]]:
    specs = []
    for f in data.get("facilities", []):
        hours = Hours(open=time.fromisoformat(f["open"]), close=time.fromisoformat(f["close"]))
        specs.append(
            (
                str(f["municipality"]),
                FacilitySpec(
                    id=f["id"],
                    name=f["name"],
                    kana=f.get("kana", ""),
                    address=f.get("address", ""),
                    email=f.get("email"),
                    phone=f.get("phone"),
                    lat=f.get("lat"),
                    lon=f.get("lon"),
                    facility_type=f["type"],
                    opening_hours=dict.fromkeys(WEEKDAYS, hours),
                    places_per_slot=f["places_per_slot"],
                ),
            )
        )
    return specs


def seed_demo(settings: ServiceSettings, args: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-booking seed-demo",
        description="Load the demo facilities (idempotent: existing ids are left alone).",
    )
    parser.add_argument("--file", type=Path, default=DEMO_FILE)
    opts = parser.parse_args(args)
    data = yaml.safe_load(opts.file.read_text(encoding="utf-8"))
    specs = demo_facilities(data)

    async def run() -> int:
        ctx = build_context(_settings(settings), pool_size=1)
        try:
            return await facility_cases.seed(ctx, specs)
        finally:
            await ctx.close()

    added = asyncio.run(run())
    print(f"demo facilities: {added} added, {len(specs) - added} already there")
    return 0


def reconcile(settings: ServiceSettings, args: list[str]) -> int:
    argparse.ArgumentParser(
        prog="tsuen-booking reconcile",
        description="Prove balance = credits − holds − consumption for every child and month; "
        "print one JSON line per difference; exit 1 if there is any.",
    ).parse_args(args)

    async def run() -> tuple[int, list[quota_cases.Difference]]:
        ctx = build_context(_settings(settings), pool_size=1)
        try:
            return await quota_cases.reconcile(ctx)
        finally:
            await ctx.close()

    checked, differences = asyncio.run(run())
    for difference in differences:
        print(json.dumps(difference.as_dict(), ensure_ascii=False))
    print(f"reconciled {checked} child-months: {len(differences)} differences", file=sys.stderr)
    return 1 if differences else 0


def generate_regular(settings: ServiceSettings, args: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-booking generate-regular",
        description="Book every approved 定期利用 plan's occurrences in a month (idempotent).",
    )
    parser.add_argument(
        "--month", help="YYYY-MM (default: next month in Japan time, for the monthly CronJob)"
    )
    opts = parser.parse_args(args)
    if opts.month is None:
        today = today_jst()
        opts.month = f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"

    async def run() -> list[dict[str, Any]]:
        ctx = build_context(_settings(settings), pool_size=2)
        try:
            return await regular_occurrences.generate_all(ctx, opts.month)
        finally:
            await ctx.close()

    try:
        results = asyncio.run(run())
    except BookingError as exc:
        parser.error(str(exc))
    for result in results:
        print(
            json.dumps(
                {
                    "plan_id": str(result["plan_id"]),
                    "booked": len(result["booked"]),
                    "skipped": [
                        {"date": s["date"].isoformat(), "reason": s["reason"]}
                        for s in result["skipped"]
                    ],
                },
                ensure_ascii=False,
            )
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        service="booking",
        migrations_dir=MIGRATIONS,
        settings_factory=Settings,
        app_path="tsuen_booking.entrypoints.app:create",
        worker_factory=build_worker,
        extra_commands={
            "seed-demo": ("load the demo facilities from deploy/demo/demo.yaml", seed_demo),
            "reconcile": ("check the quota ledger; exit 1 on any difference", reconcile),
            "generate-regular": ("book a month of approved 定期利用 plans", generate_regular),
            "purge-idempotency-keys": idempotency.PURGE_COMMAND,
        },
        argv=argv,
    )
