"""``tsuen-notification``: the shared commands plus the mail operator's.

tsuen-notification serve | migrate | relay | consume      (as every service; consume also
                                                           runs the sender loop)
tsuen-notification send                                   the sender loop alone
tsuen-notification mails [--municipality C] [--status failed] [--limit N]
tsuen-notification resend NOTICE_ID [...]
tsuen-notification mailcatcher [--smtp-port 1025] [--http-port 8025]   (development)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import uuid
from collections.abc import Callable
from pathlib import Path

from tsuen_common.db import make_engine, make_sessions
from tsuen_common.logging import mask_email, mask_emails_in
from tsuen_common.service import run_cli
from tsuen_common.settings import ServiceSettings
from tsuen_notification.adapters import mail_queue
from tsuen_notification.config import Settings
from tsuen_notification.entrypoints.consumers import build_sender, build_worker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _settings(settings: ServiceSettings) -> Settings:
    assert isinstance(settings, Settings)
    return settings


async def _send(settings: Settings) -> None:
    # One connection per SMTP lane for the marks, one for claiming.
    engine = make_engine(settings.database_url, pool_size=settings.sender_concurrency + 1)
    sender = build_sender(settings, engine)
    sender.heartbeat = True
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, sender.stop)
    try:
        await sender.run()
    finally:
        await engine.dispose()


def send_command(settings: ServiceSettings, argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog="tsuen-notification send", description="run the sender"
    ).parse_args(argv)
    asyncio.run(_send(_settings(settings)))
    return 0


async def _mails(settings: Settings, args: argparse.Namespace) -> None:
    engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
    try:
        async with make_sessions(engine)() as session:
            rows = await mail_queue.list_mails(
                session,
                municipality=args.municipality,
                statuses=args.status or ["failed", "pending"],
                limit=args.limit,
            )
    finally:
        await engine.dispose()
    for r in rows:
        print(
            json.dumps(
                {
                    "notice_id": str(r.notice_id),
                    "municipality": r.municipality,
                    "template": r.template,
                    "to": mask_email(r.recipient),
                    "status": r.status,
                    "attempts": r.attempts,
                    "last_error": mask_emails_in(r.last_error) if r.last_error else None,
                    "created_at": r.created_at.isoformat(),
                    "next_attempt_at": r.next_attempt_at.isoformat(),
                },
                ensure_ascii=False,
            )
        )


def mails_command(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-notification mails", description="list queued mails (addresses masked)"
    )
    parser.add_argument("--municipality", help="全国地方公共団体コード; default all")
    parser.add_argument(
        "--status",
        action="append",
        choices=["pending", "sent", "failed", "cancelled", "expired"],
        help="repeatable; default failed and pending",
    )
    parser.add_argument("--limit", type=int, default=100)
    asyncio.run(_mails(_settings(settings), parser.parse_args(argv)))
    return 0


async def _resend(settings: Settings, notice_ids: list[uuid.UUID]) -> int:
    engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
    code = 0
    try:
        for notice in notice_ids:
            async with make_sessions(engine)() as session, session.begin():
                ok = await mail_queue.requeue(session, notice)
            print(f"{notice}: {'queued again' if ok else 'not found or not failed'}")
            code = code if ok else 1
    finally:
        await engine.dispose()
    return code


def resend_command(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-notification resend", description="queue failed mails again"
    )
    parser.add_argument("notice_id", nargs="+", type=uuid.UUID)
    args = parser.parse_args(argv)
    return asyncio.run(_resend(_settings(settings), args.notice_id))


def mailcatcher_command(settings: ServiceSettings, argv: list[str]) -> int:
    from tsuen_notification.adapters.mailcatcher import run_mailcatcher

    parser = argparse.ArgumentParser(
        prog="tsuen-notification mailcatcher",
        description="local SMTP server that keeps mails, and a web page to read them (dev)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args(argv)
    asyncio.run(run_mailcatcher(args.host, args.smtp_port, args.http_port))
    return 0


EXTRA_COMMANDS: dict[str, tuple[str, Callable[[ServiceSettings, list[str]], int]]] = {
    "send": ("run the mail sender loop alone", send_command),
    "mails": ("list pending/failed mails (addresses masked)", mails_command),
    "resend": ("queue failed mails again by notice id", resend_command),
    "mailcatcher": ("development SMTP catcher with a web page", mailcatcher_command),
}


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        service="notification",
        migrations_dir=MIGRATIONS,
        settings_factory=Settings,
        app_path="tsuen_notification.entrypoints.app:create",
        worker_factory=build_worker,
        extra_commands=EXTRA_COMMANDS,
        argv=argv,
    )
