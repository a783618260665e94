"""Idempotency-Key rows: the table, the key recorded in the state change's own transaction,
the lookup and the stored answer, and the purge (the design: :mod:`tsuen_common.idempotency`)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from tsuen_common.db import driver_connection
from tsuen_common.idempotency.answers import Stored
from tsuen_common.settings import ServiceSettings

TABLE_NAME = "idempotency_keys"
KEEP = timedelta(days=1)

# One round trip at commit: record the key only if the transaction wrote something.
_RECORD = sa.text(
    """
    WITH wrote AS (SELECT txid_current_if_assigned() IS NOT NULL AS wrote),
    recorded AS (
        INSERT INTO idempotency_keys (caller, key, fingerprint)
        SELECT :caller, :key, :fingerprint FROM wrote WHERE wrote.wrote
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT wrote FROM wrote) AS wrote, (SELECT count(*) FROM recorded) AS recorded
    """
)
# The lookup and the stored answer run on a raw asyncpg connection, outside a transaction: one
# round trip each, where a SQLAlchemy session would add BEGIN and COMMIT/ROLLBACK.
_LOOKUP = (
    "SELECT fingerprint, status, content_type, body, "
    "extract(epoch FROM now() - created_at)::float8 AS age_seconds "
    "FROM idempotency_keys WHERE caller = $1 AND key = $2"
)
_STORE = (
    "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 "
    "WHERE caller = $1 AND key = $2 AND status IS NULL"
)
_PURGE = sa.text(
    "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => :s)"
)


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("caller", sa.Text(), primary_key=True),
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
            index=True,
        ),
        sa.Column("status", sa.SmallInteger(), nullable=True),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
    ]


def add_idempotency_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(TABLE_NAME, metadata, *_columns())


def create_idempotency_table() -> None:
    """For a service's Alembic migration."""
    from alembic import op

    op.create_table(TABLE_NAME, *_columns())


def drop_idempotency_table() -> None:
    from alembic import op

    op.drop_table(TABLE_NAME)


# -- recording the key in the state change's own transaction ------------------------------------


@dataclass
class Claim:
    caller: str
    key: str
    fingerprint: str
    recorded: bool = False


_claim: ContextVar[Claim | None] = ContextVar("tsuen_idempotency_claim", default=None)


@contextmanager
def claimed(claim: Claim) -> Iterator[Claim]:
    """Within: the first committing transaction that writes records ``claim``'s key (what the
    guard does around a request)."""
    token = _claim.set(claim)
    try:
        yield claim
    finally:
        _claim.reset(token)


def pending_claim() -> Claim | None:
    """The current request's key if it is still to be recorded: for a hot path that writes the
    key row itself (booking's group commit batches several requests' keys into one call)."""
    claim = _claim.get()
    return None if claim is None or claim.recorded else claim


class DuplicateRequest(Exception):
    """Another request with the same caller and key committed first; this one rolls back."""


@event.listens_for(Session, "before_commit")
def _record_key(session: Session) -> None:
    claim = pending_claim()
    if claim is None:
        return
    params = {"caller": claim.caller, "key": claim.key, "fingerprint": claim.fingerprint}
    wrote, recorded = session.connection().execute(_RECORD, params).one()
    if not wrote:
        return  # a read-only transaction: nothing to guard
    if not recorded:
        raise DuplicateRequest(f"idempotency key {claim.key!r} was used by a committed request")
    claim.recorded = True


async def fetchrow(conn: asyncpg.Connection, query: str, *args: Any) -> asyncpg.Record | None:
    """``conn.fetchrow`` for a hot path that runs one statement as its own transaction on a
    raw asyncpg connection (booking's ``book_use`` call): with a key pending, the key row is
    inserted by the same statement when it returns a row, so both commit or neither does. A
    second request under the same key fails the whole statement on the key's primary key
    (nothing it did is kept) and raises :class:`DuplicateRequest`."""
    claim = pending_claim()
    if claim is None:
        return await conn.fetchrow(query, *args)
    n = len(args)
    recording = (
        f"WITH done AS ({query}), recorded AS ("  # noqa: S608 - the caller's own constant
        f"INSERT INTO {TABLE_NAME} (caller, key, fingerprint) "
        f"SELECT ${n + 1}::text, ${n + 2}::text, ${n + 3}::text "
        "WHERE EXISTS (SELECT 1 FROM done)) SELECT * FROM done"
    )
    try:
        row = await conn.fetchrow(recording, *args, claim.caller, claim.key, claim.fingerprint)
    except asyncpg.UniqueViolationError as error:
        if error.table_name != TABLE_NAME:
            raise
        duplicate = f"idempotency key {claim.key!r} was used by a committed request"
        raise DuplicateRequest(duplicate) from None
    if row is not None:
        claim.recorded = True
    return row


# -- the lookup and the stored answer: one round trip each ---------------------------------------


async def lookup(engine: AsyncEngine, caller: str, key: str) -> Stored | None:
    async with driver_connection(engine) as conn:
        row = await conn.fetchrow(_LOOKUP, caller, key)
    if row is None:
        return None
    return Stored(row[0], row[1], row[2], row[3], float(row[4]))


async def store(
    engine: AsyncEngine, caller: str, key: str, status: int, content_type: str, body: bytes
) -> None:
    """Keep the answer with its key row (only a row that has none yet)."""
    async with driver_connection(engine) as conn:
        await conn.execute(_STORE, caller, key, status, content_type, body)


# -- purge ---------------------------------------------------------------------------------------


async def purge(sessions: async_sessionmaker[AsyncSession], keep: timedelta = KEEP) -> int:
    """Delete key rows older than ``keep``; the number deleted."""
    async with sessions() as session, session.begin():
        result = await session.execute(_PURGE, {"s": keep.total_seconds()})
    return int(getattr(result, "rowcount", 0) or 0)


def purge_command(settings: ServiceSettings, args: list[str]) -> int:
    """``tsuen-<service> purge-idempotency-keys``: for a CronJob (idempotent)."""
    parser = argparse.ArgumentParser(
        prog=f"tsuen-{settings.service_name} purge-idempotency-keys",
        description="Delete Idempotency-Key rows older than a day.",
    )
    parser.add_argument("--keep-hours", type=float, default=KEEP.total_seconds() / 3600)
    opts = parser.parse_args(args)
    from tsuen_common.db import make_engine, make_sessions

    async def run() -> int:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        try:
            return await purge(make_sessions(engine), timedelta(hours=opts.keep_hours))
        finally:
            await engine.dispose()

    deleted = asyncio.run(run())
    print(f"idempotency keys: {deleted} deleted")
    return 0


PURGE_COMMAND: tuple[str, Callable[[ServiceSettings, list[str]], int]] = (
    "delete Idempotency-Key answers older than a day",
    purge_command,
)
