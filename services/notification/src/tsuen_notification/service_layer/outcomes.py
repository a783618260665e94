"""Recording what became of a claimed mail: ``sent``, ``failed``, deferred for a retry, or
``expired`` unsent, with the ``EmailDelivered`` / ``EmailFailed`` event in the same transaction.

Each mail is marked in its own transaction right after the server's verdict, before the lane
sends the next one: the window in which a crash re-sends a mail (the server accepted it, the
row is not yet ``sent``) is one SMTP round trip plus one small UPDATE wide, one mail per lane.
A mark that finds the database away is redone on fresh connections until the lane's deadline
(:meth:`Outcomes.marked`), so a database blip does not widen that window.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tsuen_common.db import database_unavailable
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.notification import EmailDelivered, EmailFailed
from tsuen_common.logging import get_logger, mask_email, mask_emails_in
from tsuen_common.messaging import Outbox
from tsuen_common.timeutil import now_jst
from tsuen_notification.adapters import mail_queue
from tsuen_notification.adapters.mail_queue import ClaimedMail
from tsuen_notification.domain.delivery import retry_delay_seconds

log = get_logger(__name__)

T = TypeVar("T")


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0


@dataclass
class Outcomes:
    """Marks a sender's claimed mails, each only while ``sender_id`` still holds its claim."""

    engine: AsyncEngine
    outbox: Outbox
    sender_id: str
    stats: SenderStats
    retry_base_seconds: float
    retry_max_seconds: float

    async def marked(
        self,
        conn: AsyncConnection,
        mark: Callable[[AsyncConnection], Awaitable[T]],
        deadline: float,
    ) -> T:
        """Run ``mark`` in a transaction on the lane's connection; if the database is away
        (the connection died, PostgreSQL restarts or fails over), again on fresh connections
        with backoff until the lane's deadline.

        Without this, a mail the SMTP server has just accepted would stay unmarked until its
        lease ran out and then go out again: a database blip must not widen the one duplicate
        window (a crash of this process). Redoing a mark is safe: it applies only while this
        sender still holds the claim (see :meth:`sent` for a mark that landed after all).
        """
        try:
            async with conn.begin():
                return await mark(conn)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("database unavailable while marking a mail; trying again")
        delay = 0.2
        while True:
            try:
                async with self.engine.begin() as fresh:
                    return await mark(fresh)
            except Exception as exc:
                if not database_unavailable(exc) or time.monotonic() + delay > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def expired(self, conn: AsyncConnection, mail: ClaimedMail, deadline: float) -> None:
        await self.marked(
            conn, lambda c: mail_queue.mark_expired(c, mail.id, sender=self.sender_id), deadline
        )
        self.stats.expired += 1
        log.info("mail expired unsent", notice_id=str(mail.notice_id), template=str(mail.template))

    async def sent(self, conn: AsyncConnection, mail: ClaimedMail, deadline: float) -> None:
        # The event is built before the mark, so a redone mark carries the same event id and
        # delivered_at is the row's sent_at exactly (the application's clock, not now()).
        sent_at = now_jst()
        _, announcement = delivered_announcement(self.outbox, mail, sent_at)

        async def mark(c: AsyncConnection) -> datetime | None:
            if await mail_queue.mark_sent(
                c, mail.id, sender=self.sender_id, sent_at=sent_at, announcement=announcement
            ):
                return sent_at
            # Nothing marked: either the claim was lost, or this is a redo and the first
            # attempt's COMMIT landed before its connection died (its EmailDelivered with it,
            # the same statement). Only the second is ours to count.
            return await mail_queue.sent_by(c, mail.id, sender=self.sender_id)

        marked_at = await self.marked(conn, mark, deadline)
        if marked_at is None:
            # The claim was lost (lease ran out, or a cancellation won the race): the mail has
            # gone out anyway; the row keeps whatever the other party decided.
            log.warning("mail sent but claim lost", notice_id=str(mail.notice_id))
            return
        self.stats.sent += 1
        log.info(
            "mail sent",
            notice_id=str(mail.notice_id),
            template=str(mail.template),
            to=mask_email(mail.recipient),
            attempts=mail.attempts,
        )

    async def retry(
        self, conn: AsyncConnection, mail: ClaimedMail, error: str, deadline: float
    ) -> None:
        delay = retry_delay_seconds(
            mail.attempts, base=self.retry_base_seconds, cap=self.retry_max_seconds
        )
        await self.marked(
            conn,
            lambda c: mail_queue.mark_retry(
                c, mail.id, sender=self.sender_id, delay_seconds=delay, error=error
            ),
            deadline,
        )
        self.stats.retried += 1
        log.warning(
            "mail deferred",
            notice_id=str(mail.notice_id),
            template=str(mail.template),
            attempts=mail.attempts,
            retry_in_seconds=delay,
            error=mask_emails_in(error),
        )

    async def failed(
        self,
        conn: AsyncConnection,
        mail: ClaimedMail,
        error: str,
        deadline: float,
        *,
        permanent: bool = True,
    ) -> None:
        envelope = self.outbox.envelope(
            EmailFailed(
                notice_id=mail.notice_id,
                template=str(mail.template),
                caused_by_event=mail.event_id,
                # Replies quote the address ("<taro@…>: user unknown"): mask it.
                error=mask_emails_in(error)[:500],
                permanent=permanent,
            ),
            municipality=mail.municipality,
        )
        announcement = self.outbox.params(envelope, topic=EmailFailed.topic)

        async def mark(c: AsyncConnection) -> bool:
            return await mail_queue.mark_failed(
                c, mail.id, sender=self.sender_id, error=error, announcement=announcement
            )

        await self.marked(conn, mark, deadline)
        self.stats.failed += 1
        log.error(
            "mail failed",
            notice_id=str(mail.notice_id),
            template=str(mail.template),
            attempts=mail.attempts,
            error=mask_emails_in(error),
            action="inspect with `tsuen-notification mails`, then `tsuen-notification resend`",
        )


def delivered_announcement(
    outbox: Outbox, mail: ClaimedMail, sent_at: datetime
) -> tuple[EventEnvelope, dict[str, Any]]:
    """The ``EmailDelivered`` event of a mail sent at ``sent_at`` and its outbox row's values,
    for ``mail_queue.mark_sent`` to write in the same statement as the mark."""
    envelope = outbox.envelope(
        EmailDelivered(
            notice_id=mail.notice_id,
            template=str(mail.template),
            caused_by_event=mail.event_id,
            delivered_at=sent_at,
        ),
        municipality=mail.municipality,
    )
    return envelope, outbox.params(envelope, topic=EmailDelivered.topic)
