"""Database engine and session factory, the same way in every service."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled connection unused for longer than this is checked before it is handed out. Under
load connections come back within milliseconds and are never pinged; a restart or failover
takes seconds, so after one every pooled connection has been idle longer than this."""

POOL_TIMEOUT_SECONDS = 5.0
"""Longest a request waits for a pooled connection (SQLAlchemy's default is 30 s); then it
answers 503 with Retry-After (tsuen_common.overload) instead of holding its client."""

_LAST_RETURNED = "tsuen_last_returned"


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS,
    pool_timeout: float = POOL_TIMEOUT_SECONDS,
) -> AsyncEngine:
    # hide_parameters: SQL errors must not carry children's data into logs or dead letters.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        hide_parameters=True,
    )
    _ping_idle_connections(engine, ping_after_idle_seconds)
    return engine


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it sat idle, not on every checkout.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout, and on asyncpg a ping is three
    round trips (BEGIN, ``;``, ROLLBACK): a fifth of a booking's round trips, for connections
    that were in use milliseconds before. The connections that do go stale — after a
    PostgreSQL restart or failover, or a firewall dropping an idle line — have been idle; those
    are still pinged, and a dead one makes the pool start afresh before the caller sees it.
    (One returned less than ``idle_seconds`` before the server went away fails its next
    statement instead, like a statement in flight at that moment; SQLAlchemy then drops the
    whole pool, and the request answers 503: ``tsuen_common.service``.)
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_RETURNED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get(_LAST_RETURNED)
        if returned is None or time.monotonic() - returned <= idle_seconds:
            return  # new, or in use a moment ago
        try:
            dbapi_connection.ping()
        except Exception as error:
            # One dead idle connection means the server went away (restart, failover): the
            # pool drops every connection it holds and opens a new one for this checkout,
            # instead of finding the others dead one ping at a time.
            gone = f"idle connection is gone: {type(error).__name__}"
            raise exc.InvalidatePoolError(gone) from error


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# What a request meets when PostgreSQL is away: a connection that died under a statement
# (SQLAlchemy marks it ``connection_invalidated``), or a new connection refused while the
# server restarts (the driver's own errors, which SQLAlchemy passes on untranslated).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    ConnectionError,  # refused, reset (ConnectionRefusedError, ConnectionResetError, ...)
    asyncpg.PostgresConnectionError,  # 08xxx
    asyncpg.CannotConnectNowError,  # 57P03: the server is starting up or shutting down
)


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means "PostgreSQL is not there right now; try again shortly"."""
    if isinstance(error, exc.DBAPIError):
        return bool(error.connection_invalidated) or isinstance(error.orig, DATABASE_UNAVAILABLE)
    return isinstance(error, DATABASE_UNAVAILABLE)


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection from ``engine``'s pool, outside any transaction: for a hot path's
    prepared statements (booking's ``book_use``, attendance's ``register_visit``, the
    Idempotency-Key rows), sharing the service's one set of connections.

    A connection that dies under the call (PostgreSQL restarted while it sat in the pool) is
    not put back, and the driver's error ("connection is closed", a reset, a protocol left
    mid-operation) is raised as :class:`ConnectionError`: what :func:`database_unavailable`
    knows, so the request is answered 503 + Retry-After, not 500 (the chaos suite's PostgreSQL
    restart met these as 500s).
    """
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert isinstance(raw, asyncpg.Connection)
        try:
            yield raw
        except (
            OSError,
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,
            asyncpg.PostgresConnectionError,
        ) as error:
            await conn.invalidate()
            raise ConnectionError(f"database connection lost: {type(error).__name__}") from error
