"""Helper of scripts/up.sh: databases, migrations, topics, policies, demo data, dev tokens.

Run through `uv run python scripts/devstack.py prepare|tokens`; not meant to be imported.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import yaml

from tsuen_common.age import age_window
from tsuen_common.auth import Principal, Role, TokenIssuer
from tsuen_common.messaging.provision import ensure_topics
from tsuen_common.policy import load_policies

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".tsuen"
SERVICES = ["eligibility", "booking", "attendance", "notification"]


def dev_secret() -> str:
    """A random per-machine signing secret for dev tokens, kept out of the repository."""
    path = STATE / "dev-jwt-secret"
    if not path.exists():
        STATE.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


async def create_databases(admin_dsn: str) -> None:
    for attempt in range(60):
        try:
            conn = await asyncpg.connect(admin_dsn)
            break
        except (OSError, asyncpg.PostgresError):
            if attempt == 59:
                raise
            await asyncio.sleep(1)
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in SERVICES:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def prepare(pg_port: int, kafka_port: int) -> None:
    asyncio.run(create_databases(f"postgresql://tsuen:tsuen@127.0.0.1:{pg_port}/tsuen"))
    for service in SERVICES:
        url = f"postgresql+asyncpg://tsuen:tsuen@127.0.0.1:{pg_port}/{service}"
        env = {**os.environ, "TSUEN_DATABASE_URL": url}
        subprocess.run(
            ["uv", "run", "--frozen", f"tsuen-{service}", "migrate"], env=env, check=True
        )
        print(f"  migrated {service}")
    created = asyncio.run(ensure_topics(f"127.0.0.1:{kafka_port}"))
    print(f"  topics: {len(created)} created")
    policy_dir = os.environ.get("TSUEN_POLICY_DIR")
    policies = load_policies(Path(policy_dir) if policy_dir else None)
    demo = yaml.safe_load((ROOT / "deploy/demo/demo.yaml").read_text(encoding="utf-8"))
    for code in demo["municipalities"]:
        p = policies.get(code)
        print(
            f"  policy {p.code} {p.name}: cap {p.quota.monthly_cap_minutes} min/month, "
            f"unit {p.quota.unit_minutes} min"
        )
    for f in demo["facilities"]:
        policies.get(f["municipality"])
    print(f"  demo facilities: {len(demo['facilities'])} (deploy/demo/demo.yaml)")
    for g in demo["guardians"]:
        for child in g["children"]:
            w = age_window(date.fromisoformat(child["birth_date"]))
            print(
                f"  demo child {child['id']} ({g['municipality']}): usable "
                f"{w.first_usable_day} .. {w.last_usable_day}"
            )


def tokens() -> None:
    demo = yaml.safe_load((ROOT / "deploy/demo/demo.yaml").read_text(encoding="utf-8"))
    issuer = TokenIssuer(algorithm="HS256", key=dev_secret())
    guardian = demo["guardians"][0]
    facility = demo["facilities"][0]
    principals = {
        "guardian": Principal(
            subject=guardian["id"],
            role=Role.GUARDIAN,
            municipality=guardian["municipality"],
            guardian_id=guardian["id"],
        ),
        "facility_staff": Principal(
            subject="staff-demo",
            role=Role.FACILITY_STAFF,
            municipality=facility["municipality"],
            facility_id=facility["id"],
        ),
        "officer_chiyoda": Principal(
            subject="officer-chiyoda", role=Role.MUNICIPALITY_OFFICER, municipality="131016"
        ),
        "officer_kakegawa": Principal(
            subject="officer-kakegawa", role=Role.MUNICIPALITY_OFFICER, municipality="222135"
        ),
    }
    out = STATE / "dev-tokens.env"
    lines = [
        f"TSUEN_TOKEN_{name.upper()}={issuer.mint(p, ttl=timedelta(days=7))}"
        for name, p in principals.items()
    ]
    out.write_text("\n".join(lines) + "\n")
    out.chmod(0o600)
    print(f"  dev tokens (7 days) for {', '.join(principals)}: {out}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["prepare", "tokens", "secret"])
    parser.add_argument("--pg-port", type=int, default=15432)
    parser.add_argument("--kafka-port", type=int, default=19092)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.pg_port, args.kafka_port)
    elif args.command == "tokens":
        tokens()
    else:
        sys.stdout.write(dev_secret())


if __name__ == "__main__":
    main()
