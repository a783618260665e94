"""The connection pool against a real PostgreSQL: idle connections are checked before use,
busy ones are not (tsuen_common.db.make_engine)."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from tsuen_common.db import database_unavailable, driver_connection, make_engine

BACKEND = sa.text("SELECT pg_backend_pid()")


async def _terminate(url: str, pid: int) -> None:
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        # With a timeout it waits until the backend is gone (PostgreSQL 14+), so the test
        # does not race the server's own shutdown of the connection.
        assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
    finally:
        await admin.close()


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(new_database) -> None:
    url = await new_database("pool_idle")
    engine = make_engine(url, pool_size=1, max_overflow=0, ping_after_idle_seconds=0.0)
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(BACKEND)
        # PostgreSQL restarts, or a firewall forgets the idle line.
        await _terminate(url, first)
        async with engine.connect() as conn:  # the caller never sees the dead one
            second = await conn.scalar(BACKEND)
        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_not_pinged(new_database) -> None:
    url = await new_database("pool_busy")
    engine = make_engine(url, pool_size=1, max_overflow=0, ping_after_idle_seconds=3600.0)
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(BACKEND)
        await _terminate(url, first)
        # Not idle long enough to be checked: its next statement finds it dead, as a statement
        # in flight at a restart would (the trade for not pinging on every checkout) ...
        with pytest.raises(DBAPIError) as lost:
            async with engine.connect() as conn:
                await conn.scalar(BACKEND)
        assert lost.value.connection_invalidated
        # ... and the pool has dropped it: the next caller gets a new connection.
        async with engine.connect() as conn:
            assert await conn.scalar(BACKEND) != first
    finally:
        await engine.dispose()


async def test_a_hot_paths_driver_connection_that_died_says_unavailable_and_is_dropped(
    new_database,
) -> None:
    url = await new_database("pool_driver")
    engine = make_engine(url, pool_size=1, max_overflow=0, ping_after_idle_seconds=3600.0)
    try:
        async with driver_connection(engine) as conn:
            first = await conn.fetchval("SELECT pg_backend_pid()")
        await _terminate(url, first)  # PostgreSQL restarted while it sat in the pool
        # The driver's own error ("connection is closed") is said as ConnectionError, which
        # the services answer with 503 + Retry-After (database_unavailable), not 500 ...
        with pytest.raises(ConnectionError) as lost:
            async with driver_connection(engine) as conn:
                await conn.fetchval("SELECT pg_backend_pid()")
        assert database_unavailable(lost.value)
        # ... and the dead connection did not go back to the pool.
        async with driver_connection(engine) as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") != first
    finally:
        await engine.dispose()
