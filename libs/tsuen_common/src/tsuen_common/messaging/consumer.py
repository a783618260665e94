"""At-least-once delivery, exactly-once effect.

:class:`EventConsumer` turns one Kafka record into one committed transaction:

1. decode the envelope and payload; undecodable (bad JSON, unknown type or version, invalid
   payload) → dead letter at once, retrying cannot help;
2. in one database transaction: claim the event id in the inbox (a duplicate is skipped) and
   run the handler. :meth:`EventConsumer.process_batch` does this for a whole poll at once
   (one claim statement, one commit), and a :class:`BatchHandler` takes the poll's new events
   in one call;
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

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tsuen_common.events.envelope import EventEnvelope, EventPayload
from tsuen_common.events.registry import UndecodableEvent, decode
from tsuen_common.logging import get_logger
from tsuen_common.messaging.dead_letters import DeadLetterPublisher, Delivery
from tsuen_common.messaging.inbox import claim_event, claim_events
from tsuen_common.telemetry import consumer_span, extract_trace_context

log = get_logger(__name__)

Handler = Callable[[AsyncSession, EventEnvelope, Any], Awaitable[None]]
HandleMany = Callable[[AsyncSession, Sequence[tuple[EventEnvelope, Any]]], Awaitable[None]]

# Spans of batch handlers are started and ended here rather than through consumer_span: that
# one makes its span current, which only one span at a time can be.
_tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class BatchHandler:
    """A handler that takes several new events of a poll at once, for one statement per poll.

    ``handle_many(session, [(envelope, payload), ...])`` gets a run of consecutive new events
    (duplicates already dropped by the inbox) in poll order, inside the poll's transaction, and
    must apply them in that order: ``session.execute(stmt, [params, ...])`` (an executemany) does.
    Register it like any handler: ``{BookingConfirmed: BatchHandler(project_confirmed_many)}``.

    If the poll's transaction fails, each event is retried on its own: then ``handle_many`` gets
    a single event, with the usual retries and dead-lettering. So it must raise for a bad event
    (rolling back the whole run) rather than skip it.
    """

    handle_many: HandleMany

    async def __call__(self, session: AsyncSession, envelope: EventEnvelope, payload: Any) -> None:
        await self.handle_many(session, [(envelope, payload)])


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
        decoded: list[tuple[EventEnvelope, EventPayload]] = []
        for delivery in deliveries:
            try:
                decoded.append(decode(delivery.value))
            except UndecodableEvent:
                return [await self.process(d) for d in deliveries]
        try:
            outcomes = await self._commit_poll(deliveries, decoded)
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

    async def _commit_poll(
        self,
        deliveries: Sequence[Delivery],
        decoded: Sequence[tuple[EventEnvelope, EventPayload]],
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        async with self.sessions() as session, session.begin():
            # One inbox round trip for the whole poll; then the handlers, in poll order.
            first_seen = await claim_events(
                session,
                consumer=self.name,
                events=[
                    (envelope.event_id, envelope.event_type)
                    for envelope, payload in decoded
                    if type(payload) in self.handlers
                ],
            )
            # Consecutive new events for one BatchHandler form a run, handed over in one call.
            # Only consecutive ones: gathering a type's events from the whole poll would apply
            # them out of order with the other types' events between them (a booking's
            # cancellation before its confirmation).
            run: list[tuple[Delivery, EventEnvelope, Any]] = []
            run_handler: BatchHandler | None = None
            for delivery, (envelope, payload) in zip(deliveries, decoded, strict=True):
                handler = self.handlers.get(type(payload))
                if handler is None:
                    outcomes.append(Outcome.IGNORED)
                    continue
                if envelope.event_id not in first_seen:
                    outcomes.append(Outcome.DUPLICATE)
                    continue
                first_seen.discard(envelope.event_id)  # the same event twice in one poll
                outcomes.append(Outcome.PROCESSED)
                if run_handler is not None and handler is not run_handler:
                    await self._handle_run(session, run_handler, run)
                    run, run_handler = [], None
                if isinstance(handler, BatchHandler):
                    run_handler = handler
                    run.append((delivery, envelope, payload))
                    continue
                with consumer_span(
                    f"{self.name} process {envelope.event_type}",
                    envelope.trace,
                    _span_attributes(delivery, envelope),
                ):
                    await handler(session, envelope, payload)
            if run_handler is not None:
                await self._handle_run(session, run_handler, run)
        return outcomes

    async def _handle_run(
        self,
        session: AsyncSession,
        handler: BatchHandler,
        run: Sequence[tuple[Delivery, EventEnvelope, Any]],
    ) -> None:
        # Still one span per event, child of its producer's span, so every event's trace
        # shows it was consumed. None is made current: a run has many parents.
        spans = [
            _tracer.start_span(
                f"{self.name} process {envelope.event_type}",
                context=extract_trace_context(envelope.trace),
                kind=SpanKind.CONSUMER,
                attributes=_span_attributes(delivery, envelope),
            )
            for delivery, envelope, _ in run
        ]
        try:
            await handler.handle_many(session, [(env, payload) for _, env, payload in run])
        except BaseException as exc:
            for span in spans:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            for span in spans:
                span.end()

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
