"""Idempotency-Key rows against a real PostgreSQL (tsuen_common.idempotency): the key is
recorded in the committing transaction only when it wrote, a second commit under the same key
rolls back whole, and old rows are purged."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.integration.conftest import CreateDatabase
from tsuen_common import idempotency
from tsuen_common.db import make_engine, make_sessions

THINGS = sa.table("things", sa.column("name"))


async def _ready(
    new_database: CreateDatabase,
) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    url = await new_database("idempotency")
    engine = make_engine(url, pool_size=3, max_overflow=0)
    metadata = sa.MetaData()
    idempotency.add_idempotency_table(metadata)
    sa.Table("things", metadata, sa.Column("name", sa.Text))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine, make_sessions(engine)


async def _refused_write(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await session.execute(sa.insert(THINGS).values(name="rolled back"))
        raise RuntimeError("refused")


async def _count(sessions: async_sessionmaker[AsyncSession], table: str) -> int:
    async with sessions() as session:
        return int(await session.scalar(sa.text(f"SELECT count(*) FROM {table}")))


async def test_the_key_is_recorded_only_with_a_committed_change(
    new_database: CreateDatabase,
) -> None:
    engine, sessions = await _ready(new_database)
    try:
        with idempotency.claimed(idempotency.Claim("guardian-1", "k1", "fp")) as claim:
            async with sessions() as session, session.begin():
                await session.execute(sa.text("SELECT 1"))  # read-only: nothing to guard
            assert not claim.recorded
            with pytest.raises(RuntimeError):
                await _refused_write(sessions)
            assert not claim.recorded
            async with sessions() as session, session.begin():
                await session.execute(sa.insert(THINGS).values(name="kept"))
            assert claim.recorded
        assert await _count(sessions, "idempotency_keys") == 1
        assert await _count(sessions, "things") == 1
    finally:
        await engine.dispose()


async def test_a_second_commit_under_the_same_key_rolls_back_whole(
    new_database: CreateDatabase,
) -> None:
    engine, sessions = await _ready(new_database)
    try:
        first_wrote = asyncio.Event()

        async def attempt(name: str, wait: bool) -> str:
            try:
                with idempotency.claimed(idempotency.Claim("guardian-1", "k1", "fp")):
                    async with sessions() as session, session.begin():
                        await session.execute(sa.insert(THINGS).values(name=name))
                        if wait:  # both are in flight together, this one commits second
                            await first_wrote.wait()
                            await asyncio.sleep(0.2)
                        else:
                            first_wrote.set()
                return "committed"
            except idempotency.DuplicateRequest:
                return "duplicate"

        outcomes = await asyncio.gather(attempt("second", True), attempt("first", False))

        assert outcomes == ["duplicate", "committed"]
        async with sessions() as session:
            names = (await session.execute(sa.text("SELECT name FROM things"))).scalars().all()
        assert names == ["first"]
    finally:
        await engine.dispose()


async def test_rows_older_than_a_day_are_purged(new_database: CreateDatabase) -> None:
    engine, sessions = await _ready(new_database)
    try:
        async with sessions() as session, session.begin():
            await session.execute(
                sa.text(
                    "INSERT INTO idempotency_keys (caller, key, fingerprint, created_at) VALUES "
                    "('a', 'old', 'fp', now() - interval '25 hours'), ('a', 'new', 'fp', now())"
                )
            )

        assert await idempotency.purge(sessions, timedelta(days=1)) == 1
        async with sessions() as session:
            keys = (await session.execute(sa.text("SELECT key FROM idempotency_keys"))).scalars()
            assert list(keys) == ["new"]
    finally:
        await engine.dispose()


async def test_a_raw_statement_records_its_key_in_its_own_transaction(
    new_database: CreateDatabase,
) -> None:
    engine, sessions = await _ready(new_database)
    insert = "INSERT INTO things (name) VALUES ($1) RETURNING name"
    try:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            outcomes = []
            for name in ("first", "second"):
                with idempotency.claimed(idempotency.Claim("guardian-1", "k1", "fp")) as claim:
                    try:
                        row = await idempotency.fetchrow(raw, insert, name)
                        assert row is not None
                        outcomes.append((row["name"], claim.recorded))
                    except idempotency.DuplicateRequest:
                        outcomes.append(("duplicate", claim.recorded))
            unclaimed = await idempotency.fetchrow(raw, insert, "no key")

        assert outcomes == [("first", True), ("duplicate", False)]
        assert unclaimed is not None
        async with sessions() as session:
            names = (await session.execute(sa.text("SELECT name FROM things"))).scalars().all()
        assert sorted(names) == ["first", "no key"]
        assert await _count(sessions, "idempotency_keys") == 1
    finally:
        await engine.dispose()
