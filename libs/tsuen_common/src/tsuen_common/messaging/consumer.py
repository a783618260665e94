"""At-least-once delivery, exactly-once effect.

:class:`EventConsumer` turns one Kafka record into one committed transaction:

1. decode the envelope and payload; undecodable (bad JSON, unknown type or version, invalid
   payload) → dead letter at once, retrying cannot help;
2. in one database transaction: claim the event id in the inbox (a duplicate is skipped) and
   run the handler;
3. a failing handler is retried with backoff up to ``max_attempts``, then dead-lettered;
   :class:`PermanentFailure` skips the retries.

Only after this returns does the subscriber acknowledge (commit the offset). If the process
dies anywhere before that, Kafka redelivers, and the inbox makes the redelivery harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tsuen_common.events.envelope import EventEnvelope, EventPayload
from tsuen_common.events.registry import UndecodableEvent, decode
from tsuen_common.logging import get_logger
from tsuen_common.messaging.dead_letters import DeadLetterPublisher, Delivery
from tsuen_common.messaging.inbox import claim_event, claim_events
from tsuen_common.telemetry import consumer_span

log = get_logger(__name__)

Handler = Callable[[AsyncSession, EventEnvelope, Any], Awaitable[None]]


class PermanentFailure(Exception):
    """Raised by a handler for an event that can never succeed (dead-letter, no retries)."""


class Outcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"  # a valid event this consumer has no handler for
    DEAD_LETTERED = "dead_lettered"


@dataclass
class ConsumerStats:
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))


@dataclass
class EventConsumer:
    name: str  # also the inbox's consumer column and the Kafka group id
    sessions: async_sessionmaker[AsyncSession]
    handlers: Mapping[type[EventPayload], Handler]
    dead_letters: DeadLetterPublisher
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    async def process(self, delivery: Delivery) -> Outcome:
        outcome = await self._process(delivery)
        self.stats.counts[outcome] += 1
        return outcome

    async def process_batch(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        """Process a poll's worth of records, in order, with one commit for all of them.

        The common case (every event decodes and every handler succeeds) costs one
        transaction per batch instead of one per event. If anything in the batch fails, the
        whole transaction rolls back and each record goes through :meth:`process` on its own,
        with its retries and dead-lettering, so one bad event never takes others with it.
        """
        if len(deliveries) == 1:
            return [await self.process(deliveries[0])]
        decoded: list[tuple[EventEnvelope, EventPayload] | None] = []
        for delivery in deliveries:
            try:
                decoded.append(decode(delivery.value))
            except UndecodableEvent:
                decoded.append(None)
        if any(d is None for d in decoded):
            return [await self.process(d) for d in deliveries]
        outcomes: list[Outcome] = []
        try:
            async with self.sessions() as session, session.begin():
                # One inbox round trip for the whole poll; then the handlers, in order.
                first_seen = await claim_events(
                    session,
                    consumer=self.name,
                    events=[
                        (item[0].event_id, item[0].event_type)
                        for item in decoded
                        if item is not None and type(item[1]) in self.handlers
                    ],
                )
                for delivery, item in zip(deliveries, decoded, strict=True):
                    assert item is not None
                    envelope, payload = item
                    handler = self.handlers.get(type(payload))
                    if handler is None:
                        outcomes.append(Outcome.IGNORED)
                        continue
                    if envelope.event_id not in first_seen:
                        outcomes.append(Outcome.DUPLICATE)
                        continue
                    first_seen.discard(envelope.event_id)  # the same event twice in one poll
                    with consumer_span(
                        f"{self.name} process {envelope.event_type}",
                        envelope.trace,
                        _span_attributes(delivery, envelope),
                    ):
                        await handler(session, envelope, payload)
                    outcomes.append(Outcome.PROCESSED)
        except Exception as exc:
            log.info(
                "batch rolled back; processing its events one by one",
                consumer=self.name,
                size=len(deliveries),
                error=type(exc).__name__,
            )
            return [await self.process(d) for d in deliveries]
        for outcome in outcomes:
            self.stats.counts[outcome] += 1
        return outcomes

    async def _process(self, delivery: Delivery) -> Outcome:
        try:
            envelope, payload = decode(delivery.value)
        except UndecodableEvent as exc:
            # Our own message: field paths and error kinds, no values, so safe to log.
            return await self._dead_letter(delivery, str(exc), attempts=1, loggable=str(exc))
        handler = self.handlers.get(type(payload))
        if handler is None:
            return Outcome.IGNORED

        error = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                with consumer_span(
                    f"{self.name} process {envelope.event_type}",
                    envelope.trace,
                    _span_attributes(delivery, envelope),
                ):
                    async with self.sessions() as session, session.begin():
                        first_time = await claim_event(
                            session,
                            consumer=self.name,
                            event_id=envelope.event_id,
                            event_type=envelope.event_type,
                        )
                        if not first_time:
                            log.info(
                                "duplicate event skipped",
                                consumer=self.name,
                                event_id=str(envelope.event_id),
                            )
                            return Outcome.DUPLICATE
                        await handler(session, envelope, payload)
                return Outcome.PROCESSED
            except PermanentFailure as exc:
                error = f"{type(exc).__name__}: {exc}"
                return await self._dead_letter(delivery, error, attempts=attempt, envelope=envelope)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "event handler failed",
                    consumer=self.name,
                    event_id=str(envelope.event_id),
                    event_type=envelope.event_type,
                    attempt=attempt,
                    error=type(exc).__name__,
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        return await self._dead_letter(
            delivery, error, attempts=self.max_attempts, envelope=envelope
        )

    async def _dead_letter(
        self,
        delivery: Delivery,
        error: str,
        *,
        attempts: int,
        envelope: EventEnvelope | None = None,
        loggable: str | None = None,
    ) -> Outcome:
        await self.dead_letters.publish(
            delivery, consumer=self.name, error=error, attempts=attempts
        )
        log.error(
            "event dead-lettered",
            consumer=self.name,
            topic=delivery.topic,
            partition=delivery.partition,
            offset=delivery.offset,
            event_id=str(envelope.event_id) if envelope else delivery.header("event_id"),
            attempts=attempts,
            # A handler's exception text may quote personal data: log only its kind.
            reason=loggable or error.split(":", 1)[0],
            action="inspect with `tsuen-dlq list`, fix, then `tsuen-dlq replay`",
        )
        return Outcome.DEAD_LETTERED


def _span_attributes(delivery: Delivery, envelope: EventEnvelope) -> dict[str, str]:
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": delivery.topic,
        "messaging.message.id": str(envelope.event_id),
        "tsuen.municipality": envelope.municipality,
    }
