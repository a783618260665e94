"""``tsuen-billing serve|migrate|relay|consume|all|close|reconcile``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx

from tsuen_billing.adapters.booking_api import BookingLedger, LedgerUnavailable
from tsuen_billing.config import Settings
from tsuen_billing.domain.errors import BillingError
from tsuen_billing.domain.money import parse_month
from tsuen_billing.domain.reconcile import Difference
from tsuen_billing.entrypoints.consumers import build_worker
from tsuen_billing.service_layer.closing import CloseResult, close_month
from tsuen_billing.service_layer.reconcile import reconcile_month
from tsuen_billing.service_layer.wiring import build_billing
from tsuen_common.db import make_engine
from tsuen_common.service import run_cli
from tsuen_common.settings import ServiceSettings
from tsuen_common.timeutil import today_jst

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _settings(settings: ServiceSettings) -> Settings:
    return settings if isinstance(settings, Settings) else Settings()


def _month(value: str) -> str:
    try:
        parse_month(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def last_month(today: date) -> str:
    """The month that ended most recently: what the cron job on the 1st closes."""
    return f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"


def close(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-billing close",
        description="Close a month (月次締め): claims per paying municipality and statements per "
        "guardian for every facility with unbilled usage (or one facility). Idempotent: a "
        "facility's closed month is skipped. Exit 1 when a facility could not be closed (no "
        "prices for a use date): the others are. Run it from cron on the 1st.",
    )
    parser.add_argument(
        "--month", type=_month, help="YYYY-MM, a month that ended (default: last month, JST)"
    )
    parser.add_argument("--facility-id", type=uuid.UUID)
    args = parser.parse_args(argv)
    args.month = args.month or last_month(today_jst())

    async def run() -> CloseResult:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        try:
            ctx = build_billing(_settings(settings), engine)
            return await close_month(ctx, args.month, facility_id=args.facility_id)
        finally:
            await engine.dispose()

    try:
        result = asyncio.run(run())
    except BillingError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    for f in result.facilities:
        if f.failed:
            print(f"{f.facility_id}: NOT closed ({f.failed})")
        elif f.skipped:
            print(f"{f.facility_id}: skipped ({f.skipped})")
        else:
            print(
                f"{f.facility_id}: {f.claims} claims, {f.statements} statements, {f.lines} lines "
                f"({f.adjustments} adjustments), {f.waiting} waiting for a certification"
            )
    return 1 if any(f.failed for f in result.facilities) else 0


def reconcile(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-billing reconcile",
        description="Compare the month's billed minutes with booking's ledger, booking by booking, "
        "through booking's API (TSUEN_BOOKING_API_URL, TSUEN_BOOKING_API_TOKEN: platform admin). "
        "Exit 0 when they agree, 1 naming every difference, 2 when booking cannot be read.",
    )
    parser.add_argument("--month", type=_month, help="YYYY-MM (default: last month, JST)")
    args = parser.parse_args(argv)
    args.month = args.month or last_month(today_jst())
    own = _settings(settings)
    if own.booking_api_token is None:
        print("set TSUEN_BOOKING_API_TOKEN (a platform_admin token)", file=sys.stderr)
        return 2
    token = own.booking_api_token.get_secret_value()

    async def run() -> list[Difference]:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        client = httpx.AsyncClient(
            base_url=own.booking_api_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        try:
            return await reconcile_month(
                build_billing(own, engine), BookingLedger(client), args.month
            )
        finally:
            await client.aclose()
            await engine.dispose()

    try:
        differences = asyncio.run(run())
    except (LedgerUnavailable, httpx.HTTPError) as exc:
        print(f"booking's ledger could not be read: {exc}", file=sys.stderr)
        return 2
    for difference in differences:
        print(difference.describe())
    print(f"{args.month}: {len(differences)} differences")
    return 1 if differences else 0


OPERATOR_COMMANDS = {
    "close": ("close a month into claims and statements", close),
    "reconcile": ("compare billed minutes with booking's ledger", reconcile),
}


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        service="billing",
        migrations_dir=MIGRATIONS,
        settings_factory=Settings,
        app_path="tsuen_billing.entrypoints.app:create",
        worker_factory=build_worker,
        extra_commands=OPERATOR_COMMANDS,
        argv=argv,
    )
