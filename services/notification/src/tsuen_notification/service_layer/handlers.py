"""Consuming other services' events: queue the notices they cause, in the inbox transaction.

A handler only writes rows; nothing is sent here. The inbox (same transaction) makes a
redelivered event a no-op, and the queue's unique notice id guards the rows themselves, so an
event delivered twice queues its mails once.

It is a :class:`BatchHandler`: the consumer hands over a poll's run of new events at once, and
their notices are queued in one statement (``mail_queue.enqueue_many``) instead of one per
event, at 500 bookings/s the difference between one INSERT per poll and one per booking. Order
still holds: an event that changes mails already queued (a cancellation withdrawing its
reminder, a new address) first queues what the events before it in the run caused, then makes
its change, exactly as event-by-event handling would.

``on_committed`` (the sender's wake-up, when it runs in the same process) is called once the
transaction that queued new mails has committed, not from the handler itself: woken earlier,
the sender could look before the rows are visible and then sleep a whole poll interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.envelope import EventEnvelope, EventPayload
from tsuen_common.logging import get_logger
from tsuen_common.messaging import BatchHandler, PermanentFailure
from tsuen_common.policy import PolicyRegistry, UnknownMunicipality
from tsuen_notification.adapters import mail_queue
from tsuen_notification.domain.notices import (
    Notice,
    QueueChange,
    RedirectScheduledMails,
    WithdrawReminders,
    notices_for,
    queue_changes_for,
)

log = get_logger(__name__)

Clock = Callable[[], datetime]


def queue_notices(
    policies: PolicyRegistry, clock: Clock, on_committed: Callable[[], None] | None = None
) -> BatchHandler:
    async def handle_many(
        session: AsyncSession, events: Sequence[tuple[EventEnvelope, Any]]
    ) -> None:
        waiting: list[tuple[EventEnvelope, list[Notice]]] = []  # not yet written
        queued = 0
        for envelope, payload in events:
            assert isinstance(payload, EventPayload)
            try:
                policy = policies.get(envelope.municipality)
            except UnknownMunicipality as exc:
                # No sender for this municipality: retrying cannot help; the DLQ keeps the
                # event until the policy is deployed and the event replayed. Raising rolls the
                # run back; the consumer then takes its events one by one, so only this one is
                # dead-lettered.
                raise PermanentFailure(str(exc)) from None
            notices = notices_for(
                payload, reminder_hour=policy.notification.reminder_hour, now=clock()
            )
            changes = queue_changes_for(payload)
            if changes:
                # The earlier events' mails go in first, so the change sees them (a booking
                # confirmed and cancelled in one poll: the reminder is queued, then withdrawn).
                queued += await mail_queue.enqueue_many(session, waiting)
                waiting = []
                for change in changes:
                    await _apply(session, change)
            if notices:
                waiting.append((envelope, notices))
            log.info(
                "notices queued",
                event_id=str(envelope.event_id),
                event_type=envelope.event_type,
                municipality=envelope.municipality,
                templates=[str(n.template) for n in notices],
            )
        # A reminder whose booking is already cancelled is left out by the statement itself.
        queued += await mail_queue.enqueue_many(session, waiting)
        if queued and on_committed is not None:
            _after_commit(session, on_committed)

    return BatchHandler(handle_many)


async def _apply(session: AsyncSession, change: QueueChange) -> None:
    """Carry out what an event changes in the mails already queued (the dispatch table says)."""
    match change:
        case WithdrawReminders(booking_id=booking_id):
            if await mail_queue.cancel_booking_reminders(session, booking_id):
                log.info("reminder withdrawn", booking_id=str(booking_id))
        case RedirectScheduledMails(child_id=child_id, email=email):
            if await mail_queue.redirect_scheduled_mails(session, child_id, email):
                log.info("scheduled mails redirected", child_id=str(child_id))


_AFTER_COMMIT = "tsuen_notification.after_commit"


def _after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call ``callback`` after ``session`` commits (once per session, however many events).

    A SQLAlchemy session event, so it holds whether the consumer commits one event or a whole
    poll per transaction; nothing happens if the transaction rolls back.
    """
    sync = session.sync_session
    if sync.info.get(_AFTER_COMMIT):
        return
    sync.info[_AFTER_COMMIT] = True
    event.listen(sync, "after_commit", lambda _session: callback())
