"""Waking an idle outbox relay when a row is committed, instead of polling every 50 ms.

A relay that finds the outbox empty registers in ``outbox_relay_waiting`` and waits for a
``NOTIFY tsuen_outbox`` (or its long fallback poll); a trigger on ``outbox``, run at the
writer's commit (deferred), notifies only while some relay is registered there. So an idle
relay costs a few statements per fallback interval instead of twenty claims a second, and a
busy one costs the writers nothing but the trigger's look at a table that is then empty.

Why the register table, not a plain NOTIFY on every insert: PostgreSQL serialises the commits
of notifying transactions (a global lock is held from the notify queue's write to the end of
the commit), which would put every booking's commit in one line at 1,000/s. A relay is
woken once; it deregisters as it claims, and writers stop notifying while it works.

What stays a poll: a relay that registers in the instant between a writer's trigger (at its
commit) and the commit itself is not woken (the writer saw no relay registered, the relay's
re-poll did not yet see the row); the fallback poll publishes that row. Nothing is lost either
way: the rows stay until published.

A service opts in with one migration calling :func:`create_outbox_wakeup`; the relay uses it
when it finds the table and polls as before on a database without it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tsuen_common.logging import get_logger

log = get_logger(__name__)

CHANNEL = "tsuen_outbox"

DDL = (
    # One row per relay waiting, until when (a relay that died waiting stops the notifies when
    # its row expires; a live one renews it every fallback poll).
    "CREATE TABLE IF NOT EXISTS outbox_relay_waiting ("
    " relay text PRIMARY KEY, until timestamptz NOT NULL)",
    """
    CREATE OR REPLACE FUNCTION outbox_wake_relays() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM outbox_relay_waiting WHERE until > now()) THEN
            PERFORM pg_notify('tsuen_outbox', '');  -- CHANNEL
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS outbox_wake_relays ON outbox",
    # Deferred: it looks at the register as the writer commits, not when it inserted, so a
    # relay that registered while a long transaction was open still hears of its rows. NOTIFY
    # folds a transaction's identical notifies into one.
    "CREATE CONSTRAINT TRIGGER outbox_wake_relays AFTER INSERT ON outbox"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION outbox_wake_relays()",
)

_DROP = (
    "DROP TRIGGER IF EXISTS outbox_wake_relays ON outbox",
    "DROP FUNCTION IF EXISTS outbox_wake_relays()",
    "DROP TABLE IF EXISTS outbox_relay_waiting",
)

_INSTALLED = sa.text("SELECT to_regclass('outbox_relay_waiting') IS NOT NULL")
_REGISTER = sa.text(
    "INSERT INTO outbox_relay_waiting (relay, until)"
    " VALUES (:relay, now() + make_interval(secs => :seconds))"
    " ON CONFLICT (relay) DO UPDATE SET until = excluded.until"
)
# Deregistering rides on the relay's next claim (relay.py), one statement; this is for a stop.
DEREGISTER = "DELETE FROM outbox_relay_waiting WHERE relay = :relay"


def add_wakeup_table(metadata: sa.MetaData) -> sa.Table:
    """Declare the register in a service's metadata (its migration creates it with
    :func:`create_outbox_wakeup`), so the schema test sees no drift."""
    return sa.Table(
        "outbox_relay_waiting",
        metadata,
        sa.Column("relay", sa.Text, primary_key=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )


def create_outbox_wakeup() -> None:
    """For a service's Alembic migration (after the outbox table exists)."""
    from alembic import op

    for statement in DDL:
        op.execute(statement)


def drop_outbox_wakeup() -> None:
    from alembic import op

    for statement in _DROP:
        op.execute(statement)


async def install(conn: AsyncConnection) -> None:
    """The same DDL outside Alembic (benchmarks, tests)."""
    for statement in DDL:
        await conn.execute(sa.text(statement))


async def uninstall(conn: AsyncConnection) -> None:
    """Take it out again (a benchmark measuring the relay that polls)."""
    for statement in _DROP:
        await conn.execute(sa.text(statement))


class OutboxWakeup:
    """The relay's side: one listening connection, held while the relay runs."""

    def __init__(self, engine: AsyncEngine, relay_id: str) -> None:
        self.engine = engine
        self.relay_id = relay_id
        self._conn: AsyncConnection | None = None
        self._driver: Any = None
        self._woken = asyncio.Event()

    @staticmethod
    async def installed(engine: AsyncEngine) -> bool:
        async with engine.connect() as conn:
            return bool((await conn.execute(_INSTALLED)).scalar())

    def _notified(self, *_: object) -> None:
        self._woken.set()

    async def _listen(self) -> None:
        """LISTEN on a connection of the relay's pool, again if the last one died."""
        if self._driver is not None and not self._driver.is_closed():
            return
        await self.close()
        conn = await self.engine.connect()
        try:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.add_listener(CHANNEL, self._notified)
        except BaseException:
            await conn.close()
            raise
        self._conn, self._driver = conn, driver

    async def register(self, conn: AsyncConnection, *, seconds: float) -> None:
        """Listen, and ask writers to notify for the next ``seconds``. The caller polls once
        more after this: rows committed before it were not announced."""
        await self._listen()
        self._woken.clear()
        await conn.execute(_REGISTER, {"relay": self.relay_id, "seconds": seconds})

    async def wait(self, seconds: float, stopping: asyncio.Event) -> bool:
        """Until a notify (True), ``stopping``, or ``seconds`` (False)."""
        woken = asyncio.ensure_future(self._woken.wait())
        stop = asyncio.ensure_future(stopping.wait())
        try:
            await asyncio.wait({woken, stop}, timeout=seconds, return_when="FIRST_COMPLETED")
        finally:
            for task in (woken, stop):
                task.cancel()
        return self._woken.is_set()

    async def close(self) -> None:
        driver, conn = self._driver, self._conn
        self._driver = self._conn = None
        if driver is not None and not driver.is_closed():
            with contextlib.suppress(Exception):
                await driver.remove_listener(CHANNEL, self._notified)
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
