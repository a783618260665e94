"""Outbox relay: publishes committed outbox rows to Kafka and marks them sent.

Several relays may run against one database. Each claims a batch with
``FOR UPDATE SKIP LOCKED`` and stamps a lease on it, so two relays never publish the same row
while both are alive. A relay that dies after publishing but before marking leaves rows whose
lease runs out; another relay publishes them again. That duplicate is the price of never losing
an event, and the consumers' inbox makes it harmless (at-least-once delivery, exactly-once
effect).

Idle: on a database with the wake-up (:mod:`tsuen_common.messaging.wakeup`, one migration), a
relay that finds nothing waits for a commit's NOTIFY instead of polling every
``poll_interval``; ``idle_poll_interval`` is then only the fallback. Every statement here is a
single one, run in autocommit: no BEGIN and COMMIT round trips around each.

Ordering: rows are published in id order within a batch, and one relay drains a batch before
claiming the next, so one key's events keep commit order in the normal case. After a relay dies
its expired batch can be republished after newer rows of the same key; consumers must tolerate
that (they see the duplicate's event id already in their inbox, or check aggregate versions).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
import uvloop
from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tsuen_common.db import make_engine
from tsuen_common.heartbeat import beat
from tsuen_common.logging import configure_logging, get_logger
from tsuen_common.messaging.kafka import reliable_producer
from tsuen_common.messaging.security import client_options
from tsuen_common.messaging.wakeup import DEREGISTER, OutboxWakeup
from tsuen_common.settings import ServiceSettings

log = get_logger(__name__)

_CLAIM_SQL = """
    UPDATE outbox SET claimed_by = :relay,
                      lease_until = now() + make_interval(secs => :lease),
                      attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM outbox
        WHERE sent_at IS NULL AND (lease_until IS NULL OR lease_until < now())
        ORDER BY id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, topic, message_key, value, headers, attempts
"""
_CLAIM = sa.text(_CLAIM_SQL)
# The first claim after a wake-up also takes the relay off the waiting register: writers stop
# notifying while it works, at no extra round trip.
_CLAIM_AWAKE = sa.text(f"WITH awake AS ({DEREGISTER}) {_CLAIM_SQL}")
_MARK_SENT = sa.text(
    "UPDATE outbox SET sent_at = now(), lease_until = NULL "
    "WHERE id = ANY(:ids) AND claimed_by = :relay"
)
# A batch that could not be published is handed back at once, so the next claim (in id order)
# retries it before any newer row of the same key: per-key order survives a Kafka hiccup.
_RELEASE = sa.text(
    "UPDATE outbox SET lease_until = NULL, claimed_by = NULL "
    "WHERE id = ANY(:ids) AND claimed_by = :relay AND sent_at IS NULL"
)
_PURGE = sa.text(
    "DELETE FROM outbox WHERE sent_at IS NOT NULL "
    "AND sent_at < now() - make_interval(secs => :older_than)"
)


# Errors after which this producer can never succeed again (issue 18): after a broker restart
# aiokafka can fail an expired batch after giving it its idempotent sequence number, leaving a
# gap every later send trips over (OutOfOrderSequenceNumber, for minutes, until a restart). A
# new producer gets a new producer id and starts clean; the inbox absorbs any duplicate.
_PRODUCER_FATAL: tuple[type[BaseException], ...] = (
    kafka_errors.OutOfOrderSequenceNumber,
    kafka_errors.DuplicateSequenceNumber,
    kafka_errors.UnknownProducerId,
    kafka_errors.InvalidProducerEpoch,
    kafka_errors.InvalidProducerIdMapping,
    kafka_errors.ProducerFenced,
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.ClusterAuthorizationFailedError,
    kafka_errors.TransactionalIdAuthorizationFailed,
    kafka_errors.IllegalStateError,
)


def is_producer_fatal(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) leaves the producer unusable."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _PRODUCER_FATAL):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0
    errors: int = 0
    producers_recreated: int = 0


@dataclass
class OutboxRelay:
    engine: AsyncEngine
    producer: AIOKafkaProducer
    batch_size: int = 200
    poll_interval: float = 0.05
    lease_seconds: float = 30.0
    # Sent rows are kept this long for inspection, then purged.
    retention_seconds: float = 7 * 24 * 3600
    relay_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    )
    stats: RelayStats = field(default_factory=RelayStats)
    # Failure drill: die like `kill -9` right after a batch is on Kafka but before it is marked
    # sent, the worst moment for a relay. Set only by TSUEN_RELAY_DRILL_CRASH_AFTER_PUBLISH.
    crash_after_publish: bool = False
    # Makes a fresh producer when the current one can no longer succeed (is_producer_fatal).
    producer_factory: Callable[[], AIOKafkaProducer] | None = None
    # With the database's wake-up installed: how long an idle relay waits for a NOTIFY before
    # it polls anyway (rows whose announcement it missed, see wakeup.py). False: always poll.
    idle_poll_interval: float = 5.0
    use_wakeup: bool = True
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _autocommit: AsyncEngine | None = field(default=None, init=False)
    _wakeup: OutboxWakeup | None = field(default=None, init=False)
    # On the waiting register; and whether the next claim is the look right after registering
    # (which keeps the relay there) rather than one after waiting (which takes it off).
    _waiting: bool = field(default=False, init=False)
    _repoll: bool = field(default=False, init=False)

    def _connect(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        """Every statement of the relay is one atomic statement: autocommit, no BEGIN/COMMIT."""
        if self._autocommit is None:
            self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        return self._autocommit.connect()

    async def heal(self, exc: BaseException) -> bool:
        """Replace the producer after a fatal error; True if it was replaced."""
        if self.producer_factory is None or not is_producer_fatal(exc):
            return False
        old = self.producer
        with contextlib.suppress(Exception):
            await old.stop()
        fresh = self.producer_factory()
        await fresh.start()
        self.producer = fresh
        self.stats.producers_recreated += 1
        log.warning(
            "outbox relay recreated its Kafka producer",
            relay=self.relay_id,
            error=type(exc).__name__,
            action="none: a producer that cannot recover was replaced; duplicates are harmless",
        )
        return True

    async def run_once(self) -> int:
        """Claim, publish and mark one batch; return how many rows were published."""
        async with self._connect() as conn:
            rows = (
                await conn.execute(
                    _CLAIM_AWAKE if self._waiting and not self._repoll else _CLAIM,
                    {"relay": self.relay_id, "lease": self.lease_seconds, "limit": self.batch_size},
                )
            ).all()
        self._waiting = self._waiting and self._repoll
        self._repoll = False
        if not rows:
            return 0
        rows = sorted(rows, key=lambda r: r.id)
        # Send all, then wait for all acks: the idempotent producer keeps per-partition order
        # and one round trip serves the whole batch.
        try:
            futures = [
                await self.producer.send(
                    r.topic,
                    value=bytes(r.value),
                    key=r.message_key.encode(),
                    headers=[(k, str(v).encode()) for k, v in (r.headers or {}).items()],
                )
                for r in rows
            ]
            await asyncio.gather(*futures)
        except Exception:
            async with self._connect() as conn:
                await conn.execute(_RELEASE, {"ids": [r.id for r in rows], "relay": self.relay_id})
            raise
        if self.crash_after_publish:
            os._exit(137)
        async with self._connect() as conn:
            await conn.execute(_MARK_SENT, {"ids": [r.id for r in rows], "relay": self.relay_id})
        self.stats.published += len(rows)
        self.stats.batches += 1
        return len(rows)

    async def purge_sent(self) -> None:
        async with self._connect() as conn:
            await conn.execute(_PURGE, {"older_than": self.retention_seconds})

    async def run(self) -> None:
        log.info("outbox relay started", relay=self.relay_id, batch_size=self.batch_size)
        if self.use_wakeup and await OutboxWakeup.installed(self.engine):
            self._wakeup = OutboxWakeup(self.engine, self.relay_id)
        last_purge = time.monotonic()
        try:
            while not self._stopping.is_set():
                failed = False
                try:
                    published = await self.run_once()
                    beat()
                    if time.monotonic() - last_purge > 3600:
                        await self.purge_sent()
                        last_purge = time.monotonic()
                except Exception as exc:  # keep relaying: a failed batch was handed back
                    failed = True
                    self.stats.errors += 1
                    log.error(
                        "outbox relay batch failed; retrying",
                        error=type(exc).__name__,
                        detail=str(exc)[:300],
                        action="check Kafka and the service database; rows are kept until sent",
                    )
                    published = 0
                    if not await self.heal(exc):
                        await asyncio.sleep(min(5.0, self.poll_interval * 20))
                if published >= self.batch_size:
                    continue
                if published == 0 and not failed and self._wakeup is not None:
                    if self._waiting:
                        # Registered, and the look after it found nothing: wait. The next claim
                        # takes the relay off the register.
                        await self._wakeup.wait(self.idle_poll_interval, self._stopping)
                        continue
                    if await self._register():
                        continue  # look once more at once: rows committed before it
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_interval)
        finally:
            await self._leave_register()
        log.info("outbox relay stopped", relay=self.relay_id, published=self.stats.published)

    async def _register(self) -> bool:
        """Nothing to publish: ask writers to notify (rows committed before this are not
        announced, so the caller looks once more). False if the wake-up is unavailable: then
        the relay polls as without it, and tries again when next idle."""
        assert self._wakeup is not None
        try:
            async with self._connect() as conn:
                # Twice the wait and then some: renewed by every fallback poll while idle.
                await self._wakeup.register(conn, seconds=self.idle_poll_interval * 2 + 1)
        except Exception as exc:
            log.warning("outbox relay wake-up unavailable; polling", error=type(exc).__name__)
            await self._wakeup.close()
            return False
        self._waiting = self._repoll = True
        return True

    async def _leave_register(self) -> None:
        if self._wakeup is None:
            return
        self._waiting = False
        with contextlib.suppress(Exception):
            async with self._connect() as conn:
                await conn.execute(sa.text(DEREGISTER), {"relay": self.relay_id})
        await self._wakeup.close()

    def stop(self) -> None:
        self._stopping.set()


async def run_relay(settings: ServiceSettings) -> None:
    engine = make_engine(settings.database_url, pool_size=2, max_overflow=0)

    def new_producer() -> AIOKafkaProducer:
        return reliable_producer(
            settings.kafka_bootstrap_servers,
            client_id=f"{settings.service_name}-relay",
            security=client_options(settings),
        )

    producer = new_producer()
    await producer.start()
    relay = OutboxRelay(
        engine=engine,
        producer=producer,
        batch_size=settings.relay_batch_size,
        poll_interval=settings.relay_poll_interval_ms / 1000,
        lease_seconds=settings.relay_lease_seconds,
        crash_after_publish=os.environ.get("TSUEN_RELAY_DRILL_CRASH_AFTER_PUBLISH") == "1",
        producer_factory=new_producer,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, relay.stop)
    try:
        await relay.run()
    finally:
        await relay.producer.stop()  # the current one: it may have been replaced
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="tsuen-relay",
        description="Publish a service's committed outbox rows to Kafka (acks=all, idempotent).",
    )
    parser.add_argument("--database-url", help="overrides TSUEN_DATABASE_URL")
    parser.add_argument("--service-name", help="overrides TSUEN_SERVICE_NAME")
    args = parser.parse_args(argv)
    overrides = {
        k: v
        for k, v in {"database_url": args.database_url, "service_name": args.service_name}.items()
        if v
    }
    settings = ServiceSettings(**overrides)
    configure_logging(f"{settings.service_name}-relay", settings.log_level, json=settings.log_json)
    uvloop.run(run_relay(settings))  # the same loop as `tsuen-<service> relay`


if __name__ == "__main__":
    main()
