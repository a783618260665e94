"""``tsuen-eligibility``: the shared commands plus the service's operator commands.

tsuen-eligibility expire-aged-out [--on YYYY-MM-DD]     # daily cron: 満3歳 → aged_out
tsuen-eligibility lapse-acceptances [--on YYYY-MM-DD]   # daily cron: deadline passed → next 補欠
tsuen-eligibility replay-draw ROUND.json                # re-run a published draw
tsuen-eligibility seed-demo [--file deploy/demo/demo.yaml]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tsuen_common import idempotency
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.messaging import Outbox
from tsuen_common.policy import load_policies
from tsuen_common.service import run_cli
from tsuen_common.settings import ServiceSettings
from tsuen_common.timeutil import at_jst, now_jst, today_jst
from tsuen_eligibility.config import Settings
from tsuen_eligibility.service_layer import certifications, draw_replay, registries, waitlist
from tsuen_eligibility.service_layer.commands import ReplayRequest, ResidentRecordIn
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import UseCaseError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
DEMO_FILE = Path("deploy/demo/demo.yaml")
# demo.yaml has ids and birth dates only; the resident record needs a reading. Fictional.
DEMO_CHILD_KANA = "デモ タロウ"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def _with_context(
    settings: ServiceSettings, on: date | None, work: Callable[[Eligibility], Awaitable[Any]]
) -> Any:
    assert isinstance(settings, Settings)

    def clock() -> datetime:
        # --on DATE runs the command as if it were that day (re-running a missed cron day).
        return at_jst(on, now_jst().timetz().replace(tzinfo=None)) if on else now_jst()

    async def run() -> Any:
        engine = make_engine(settings.database_url, pool_size=2, max_overflow=0)
        ctx = Eligibility(
            sessions=make_sessions(engine),
            outbox=Outbox(producer="eligibility", topic_prefix=settings.kafka_topic_prefix),
            policies=load_policies(settings.policy_dir),
            settings=settings,
            clock=clock,
        )
        try:
            return await work(ctx)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _on_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"tsuen-eligibility {prog}", description=description)
    parser.add_argument("--on", type=_day, help="the day to act for (default: today, JST)")
    return parser


def expire_aged_out(settings: ServiceSettings, argv: list[str]) -> int:
    args = _on_parser(
        "expire-aged-out", "Revoke certifications whose last usable day has passed (aged_out)."
    ).parse_args(argv)
    on = args.on or today_jst()
    count = _with_context(settings, on, lambda ctx: certifications.expire_aged_out(ctx, on=on))
    print(json.dumps({"on": on.isoformat(), "revoked": count}))
    return 0


def lapse_acceptances(settings: ServiceSettings, argv: list[str]) -> int:
    args = _on_parser(
        "lapse-acceptances", "Winners past their acceptance deadline lose the place to the 補欠."
    ).parse_args(argv)
    on = args.on or today_jst()
    count = _with_context(settings, on, lambda ctx: waitlist.lapse_acceptances(ctx, on=on))
    print(json.dumps({"on": on.isoformat(), "lapsed": count}))
    return 0


def replay_draw(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-eligibility replay-draw",
        description="Re-run a draw from a published round (the JSON of GET …/lottery-rounds/{id},"
        " or a replay request); prints the order and compares it with the published one.",
    )
    parser.add_argument("file", type=Path, help="round JSON, or - for stdin")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
    published = json.loads(text)
    try:
        request = ReplayRequest.model_validate(
            {
                key: published[key]
                for key in (
                    "seed",
                    "seed_hash",
                    "places",
                    "applicants",
                    "priority_tiers",
                    "siblings_together",
                    "waitlist_enabled",
                )
                if key in published
            }
        )
    except ValidationError as exc:
        print(f"not a drawn round: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
        return 2
    try:
        result = draw_replay.replay(request)
    except UseCaseError as exc:
        print(str(exc))
        return 1
    out: dict[str, Any] = {
        key: [str(i) for i in value] for key, value in result.items() if key != "seed_hash"
    }
    if "order" in published:
        out["matches_published_order"] = [str(i) for i in result["order"]] == [
            str(i) for i in published["order"]
        ]
    print(json.dumps(out))
    return 0 if out.get("matches_published_order", True) else 1


def seed_demo(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tsuen-eligibility seed-demo",
        description="Resident records for the demo children (idempotent: an upsert).",
    )
    parser.add_argument("--file", type=Path, default=DEMO_FILE)
    args = parser.parse_args(argv)
    demo = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    by_municipality: dict[str, list[ResidentRecordIn]] = {}
    for guardian in demo.get("guardians", []):
        for child in guardian.get("children", []):
            birth = date.fromisoformat(str(child["birth_date"]))
            by_municipality.setdefault(str(guardian["municipality"]), []).append(
                ResidentRecordIn(
                    child_kana=child.get("kana", DEMO_CHILD_KANA),
                    child_birth_date=birth,
                    moved_in_on=birth,
                )
            )

    async def work(ctx: Eligibility) -> int:
        total = 0
        for code, rows in by_municipality.items():
            result = await registries.import_residents(
                ctx, municipality=code, rows=rows, actor="system:seed-demo"
            )
            total += result["rows"]
        return total

    count = _with_context(settings, None, work)
    print(json.dumps({"resident_records": count, "at": now_jst().isoformat()}))
    return 0


EXTRA_COMMANDS = {
    "expire-aged-out": ("revoke certifications past the last usable day", expire_aged_out),
    "lapse-acceptances": ("promote 補欠 where a winner's deadline passed", lapse_acceptances),
    "replay-draw": ("re-run a published lottery draw from its seed", replay_draw),
    "seed-demo": ("resident records for the demo data (idempotent)", seed_demo),
    "purge-idempotency-keys": idempotency.PURGE_COMMAND,
}


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        service="eligibility",
        migrations_dir=MIGRATIONS,
        settings_factory=Settings,
        app_path="tsuen_eligibility.entrypoints.app:create",
        extra_commands=EXTRA_COMMANDS,
        argv=argv,
    )
