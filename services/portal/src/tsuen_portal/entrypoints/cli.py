"""``tsuen-portal serve|migrate|all|purge-sessions``.

The portal has no outbox and no consumers (it owns only its sessions), so ``all`` is
``serve`` after an optional ``--migrate``: the same command line as the other services."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

import uvicorn

from tsuen_common.db import make_engine
from tsuen_common.logging import configure_logging
from tsuen_common.migrations import upgrade
from tsuen_common.timeutil import now_jst
from tsuen_portal.adapters.session_store import SessionStore, TokenBox
from tsuen_portal.config import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
APP = "tsuen_portal.entrypoints.app:create"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tsuen-portal")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("serve", "serve the pages"),
        ("all", "serve the pages (after --migrate): for compose and dev"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--host", default="127.0.0.1")
        cmd.add_argument("--port", type=int, default=None, help="default TSUEN_HTTP_PORT, 8006")
        cmd.add_argument("--workers", type=int, default=None)
        cmd.add_argument("--migrate", action="store_true", help="apply migrations first")
    sub.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    purge = sub.add_parser(
        "purge-sessions",
        help="delete expired sessions (idempotent: run it from cron, e.g. hourly)",
    )
    purge.add_argument(
        "--at",
        type=datetime.fromisoformat,
        default=None,
        help="judge expiry as of this ISO instant with offset (default: now)",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    settings = Settings()
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)
    if args.command == "migrate" or getattr(args, "migrate", False):
        upgrade(MIGRATIONS, settings.database_url)
    if args.command == "purge-sessions":
        count = asyncio.run(_purge(settings, args.at or now_jst()))
        print(f"{count} expired session(s) deleted")
        return 0
    if args.command in ("serve", "all"):
        uvicorn.run(
            APP,
            factory=True,
            host=args.host,
            port=args.port or settings.http_port,
            workers=args.workers or settings.web_workers,
            log_config=None,
        )
    return 0


async def _purge(settings: Settings, at: datetime) -> int:
    if at.tzinfo is None:
        raise SystemExit("--at needs an offset, e.g. 2027-01-07T09:00:00+09:00")
    engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
    try:
        return await SessionStore(engine, TokenBox(None)).delete_expired(at)
    finally:
        await engine.dispose()
