"""Operator commands, run as `tsuen-booking <command>` would run them."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa

from tests.integration.booking.support import KAKEGAWA, Harness
from tests.integration.conftest import run_command


async def test_seed_demo_is_idempotent_and_reconcile_finds_a_tampered_month(
    harness: Harness,
) -> None:
    env = {"TSUEN_DATABASE_URL": harness.url}
    for _ in range(2):
        seeded = await run_command("tsuen-booking", "seed-demo", env=env)
        assert seeded.returncode == 0, seeded.stderr
    assert "0 added, 5 already there" in seeded.stdout
    assert await harness.scalar("SELECT count(*) FROM facilities") == 5

    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    assert (
        await harness.book(child, facility, date(2027, 6, 9), time(10), time(12))
    ).status_code == 201
    healthy = await run_command("tsuen-booking", "reconcile", env=env)
    assert healthy.returncode == 0, healthy.stderr

    # Someone edits a counter behind the ledger's back: the entries no longer add up to it.
    await _execute(harness, "UPDATE quota_months SET held_national = held_national - 60")
    tampered = await run_command("tsuen-booking", "reconcile", env=env)
    assert tampered.returncode == 1, tampered.stderr
    assert str(child.child_id) in tampered.stdout
    assert "2027-06" in tampered.stdout


async def _execute(harness: Harness, statement: str) -> None:
    async with harness.ctx.sessions() as session, session.begin():
        await session.execute(sa.text(statement))
