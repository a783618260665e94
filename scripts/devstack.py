"""Helper of scripts/up.sh: the dev-only JWT secret, identity's dev signing key, and dev
tokens for the demo users.

Run through `uv run python scripts/devstack.py secret|identity-key|tokens`; not meant to be
imported.
"""

from __future__ import annotations

import argparse
import json
import os
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


def identity_key() -> None:
    """identity's ES256 signing key for the dev stack, made once per machine (never committed).

    The container runs as uid 10001, so the key file is handed to that uid when we are root.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder = STATE / "dev-identity"
    path = folder / "identity-dev.pem"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    if os.geteuid() == 0:
        for item in (folder, path):
            os.chown(item, 10001, 10001)
        path.chmod(0o600)
    else:
        path.chmod(0o644)  # a developer's own machine without root: the container must read it
    print(f"  identity's dev signing key: {path}")


def tokens() -> None:
    demo = yaml.safe_load((ROOT / "deploy/demo/demo.yaml").read_text(encoding="utf-8"))
    people = json.loads((STATE / "demo-people.json").read_text(encoding="utf-8"))
    issuer = TokenIssuer(algorithm="HS256", key=dev_secret())
    guardian = people["guardians"][0]
    facility = demo["facilities"][0]
    principals = {
        "guardian": Principal(
            subject=guardian["guardian_id"],
            role=Role.GUARDIAN,
            municipality=guardian["municipality"],
            guardian_id=guardian["guardian_id"],
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
    parser.add_argument("command", choices=["tokens", "secret", "identity-key"])
    args = parser.parse_args()
    if args.command == "tokens":
        tokens()
    elif args.command == "identity-key":
        identity_key()
    else:
        sys.stdout.write(dev_secret())


if __name__ == "__main__":
    main()
