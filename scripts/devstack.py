"""Helper of scripts/up.sh: the dev-only JWT secret and dev tokens for the demo users.

Run through `uv run python scripts/devstack.py secret|tokens`; not meant to be imported.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import yaml

from tsuen_common.auth import Principal, Role, TokenIssuer

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".tsuen"


def dev_secret() -> str:
    """A random per-machine signing secret for dev tokens, kept out of the repository."""
    path = STATE / "dev-jwt-secret"
    if not path.exists():
        STATE.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


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
    parser.add_argument("command", choices=["tokens", "secret"])
    args = parser.parse_args()
    if args.command == "tokens":
        tokens()
    else:
        sys.stdout.write(dev_secret())


if __name__ == "__main__":
    main()
