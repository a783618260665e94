"""Operator commands, run as `tsuen-booking <command>` would run them."""

from __future__ import annotations

import asyncio
from datetime import date, time

import pytest
import sqlalchemy as sa

from tests.integration.booking.support import KAKEGAWA, Harness
from tsuen_booking.entrypoints.cli import main


async def test_seed_demo_is_idempotent_and_reconcile_finds_a_tampered_month(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TSUEN_DATABASE_URL", harness.url)
    # The commands run their own event loop, as from a shell: a thread.
    assert await asyncio.to_thread(main, ["seed-demo"]) == 0
    assert await asyncio.to_thread(main, ["seed-demo"]) == 0
    assert "0 added, 5 already there" in capsys.readouterr().out
    assert await harness.scalar("SELECT count(*) FROM facilities") == 5

    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    assert (
        await harness.book(child, facility, date(2027, 6, 9), time(10), time(12))
    ).status_code == 201
    assert await asyncio.to_thread(main, ["reconcile"]) == 0

    # Someone edits a counter behind the ledger's back: the entries no longer add up to it.
    await _execute(harness, "UPDATE quota_months SET held_national = held_national - 60")
    assert await asyncio.to_thread(main, ["reconcile"]) == 1
    out = capsys.readouterr().out
    assert str(child.child_id) in out
    assert "2027-06" in out


async def _execute(harness: Harness, statement: str) -> None:
    async with harness.ctx.sessions() as session, session.begin():
        await session.execute(sa.text(statement))
