"""``tsuen-identity serve|migrate|relay|consume|all|gen-key|create-account``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from tsuen_common.auth import Role
from tsuen_common.db import make_engine
from tsuen_common.service import run_cli
from tsuen_common.settings import ServiceSettings
from tsuen_identity.adapters.keys import generate_key_file
from tsuen_identity.config import Settings
from tsuen_identity.domain.errors import EmailTaken
from tsuen_identity.entrypoints.consumers import build_worker
from tsuen_identity.service_layer import accounts, login, second_factor
from tsuen_identity.service_layer.wiring import build_identity

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

STAFF_ROLES = {
    str(Role.FACILITY_STAFF): Role.FACILITY_STAFF,
    str(Role.MUNICIPALITY_OFFICER): Role.MUNICIPALITY_OFFICER,
}


def _settings(settings: ServiceSettings) -> Settings:
    return settings if isinstance(settings, Settings) else Settings()


def gen_key(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-identity gen-key",
        description="Create an ES256 (P-256) signing key: PATH (private, mode 0600) and "
        "PATH.pub (public). Never overwrites a file.",
    )
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    try:
        kid = generate_key_file(args.path)
    except FileExistsError:
        print(f"{args.path} exists already; not overwritten", file=sys.stderr)
        return 1
    print(f"wrote {args.path} and {args.path}.pub (kid {kid})")
    return 0


def create_account(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-identity create-account",
        description="Create a facility staff or municipality officer account. The holder gets "
        "the set-password link by mail (identity.AccountIssued); nothing secret is printed.",
    )
    parser.add_argument("--role", required=True, choices=sorted(STAFF_ROLES))
    parser.add_argument("--municipality", required=True, help="six-digit municipality code")
    parser.add_argument("--facility-id", type=uuid.UUID, help="required for facility_staff")
    parser.add_argument("--email", required=True)
    args = parser.parse_args(argv)
    role = STAFF_ROLES[args.role]
    if role is Role.FACILITY_STAFF and args.facility_id is None:
        parser.error("--facility-id is required for facility_staff")
    if role is Role.MUNICIPALITY_OFFICER and args.facility_id is not None:
        parser.error("--facility-id is only for facility_staff")

    async def run() -> uuid.UUID:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        try:
            return await accounts.create_account(
                build_identity(_settings(settings), engine),
                role=role,
                municipality=args.municipality,
                email=args.email,
                facility_id=args.facility_id,
            )
        finally:
            await engine.dispose()

    try:
        account_id = asyncio.run(run())
    except EmailTaken as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"invalid account: {exc}", file=sys.stderr)
        return 2
    print(f"account {account_id} created; the set-password link is being mailed to its holder")
    return 0


def purge(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-identity purge",
        description="Delete one-time links, refresh tokens and attempt counters that ended "
        "more than --days ago. Idempotent: run it from cron daily.",
    )
    parser.add_argument("--days", type=int, default=7, help="keep the dead this long (7)")
    args = parser.parse_args(argv)

    async def run() -> dict[str, int]:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        try:
            return await login.purge(
                build_identity(_settings(settings), engine), keep=timedelta(days=args.days)
            )
        finally:
            await engine.dispose()

    counts = asyncio.run(run())
    print(", ".join(f"{count} {what}" for what, count in counts.items()) + " deleted")
    return 0


def reset_second_factor(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-identity reset-second-factor",
        description="Forget an account's authenticator app (a lost or replaced phone) after "
        "checking who asks as your procedure says. Every session of the account ends; the next "
        "login shows a new QR code to enrol.",
    )
    parser.add_argument("--email", required=True)
    args = parser.parse_args(argv)

    async def run() -> bool:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        try:
            return await second_factor.reset(
                build_identity(_settings(settings), engine), args.email
            )
        finally:
            await engine.dispose()

    if not asyncio.run(run()):
        print("no account has that e-mail address", file=sys.stderr)
        return 1
    print("second factor reset: the next login enrols a new authenticator app")
    return 0


OPERATOR_COMMANDS = {
    "gen-key": ("create an ES256 signing key file (and its .pub)", gen_key),
    "create-account": ("create a facility staff or municipality officer account", create_account),
    "purge": ("delete expired links, sessions and attempt counters", purge),
    "reset-second-factor": (
        "forget an account's authenticator app (lost phone)",
        reset_second_factor,
    ),
}


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        service="identity",
        migrations_dir=MIGRATIONS,
        settings_factory=Settings,
        app_path="tsuen_identity.entrypoints.app:create",
        worker_factory=build_worker,
        extra_commands=OPERATOR_COMMANDS,
        argv=argv,
    )
