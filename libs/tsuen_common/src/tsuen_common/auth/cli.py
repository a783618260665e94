"""``tsuen-token``: mint development and test tokens.

    export TSUEN_JWT_SECRET=...   # the same secret the services verify with
    tsuen-token mint --role guardian --municipality 131016 --guardian-id G1
    tsuen-token mint --role facility_staff --municipality 131016 --facility-id F1 --ttl 600
    tsuen-token mint --role platform_admin --private-key-file dev-es256.pem --algorithm ES256

The key is read from an environment variable (``--secret-env``, default ``TSUEN_JWT_SECRET``)
or a ``--private-key-file``; there is no built-in key. Issuer and audience default to
``TSUEN_JWT_ISSUER``/``TSUEN_JWT_AUDIENCE`` or ``tsuen``, as the services do.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError

from tsuen_common.auth.errors import AuthConfigError
from tsuen_common.auth.issuer import TokenIssuer
from tsuen_common.auth.principal import Principal, Role


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tsuen-token", description="Mint tsuen development and test tokens."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    mint = commands.add_parser("mint", help="print a signed token to stdout")
    mint.add_argument("--role", required=True, choices=[role.value for role in Role])
    mint.add_argument("--municipality", help="6-digit municipality code (all but platform_admin)")
    mint.add_argument("--facility-id", help="required for facility_staff")
    mint.add_argument("--guardian-id", help="required for guardian")
    mint.add_argument("--subject", help="the 'sub' claim (default: dev-<role>)")
    mint.add_argument("--ttl", type=int, default=3600, help="seconds until expiry (default 3600)")
    mint.add_argument(
        "--secret-env",
        default="TSUEN_JWT_SECRET",
        help="environment variable holding the HS256 secret (default TSUEN_JWT_SECRET)",
    )
    mint.add_argument(
        "--private-key-file", type=Path, help="sign with this PEM private key instead"
    )
    mint.add_argument(
        "--algorithm",
        choices=["RS256", "ES256"],
        default="RS256",
        help="algorithm for --private-key-file (default RS256)",
    )
    mint.add_argument("--issuer", default=os.environ.get("TSUEN_JWT_ISSUER", "tsuen"))
    mint.add_argument("--audience", default=os.environ.get("TSUEN_JWT_AUDIENCE", "tsuen"))
    return parser


def _issuer(args: argparse.Namespace, parser: argparse.ArgumentParser) -> TokenIssuer:
    if args.private_key_file is not None:
        return TokenIssuer.from_private_key_file(
            args.private_key_file,
            algorithm=args.algorithm,
            issuer=args.issuer,
            audience=args.audience,
        )
    secret = os.environ.get(args.secret_env)
    if not secret:
        parser.error(
            f"environment variable {args.secret_env} is not set; "
            "export the HS256 secret there or pass --private-key-file"
        )
    return TokenIssuer(algorithm="HS256", key=secret, issuer=args.issuer, audience=args.audience)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        principal = Principal(
            subject=args.subject or f"dev-{args.role}",
            role=Role(args.role),
            municipality=args.municipality,
            facility_id=args.facility_id,
            guardian_id=args.guardian_id,
        )
    except ValidationError as exc:
        problems = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        parser.error(problems)
    try:
        issuer = _issuer(args, parser)
    except AuthConfigError as exc:
        parser.error(str(exc))
    print(issuer.mint(principal, ttl=timedelta(seconds=args.ttl)), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
