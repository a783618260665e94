"""The sender loop: claim due mails, send them over SMTP, record the outcome.

Guarantees, and the one window that remains:

- **Nothing lost.** A mail leaves the queue only when the server accepted it (``sent``), the
  server refused it for good (``failed``, shown to operators, resendable), it was withdrawn
  (``cancelled``), or it became pointless (``expired``). A crash anywhere leaves the row pending;
  its lease runs out and a sender claims it again.
- **Nothing sent twice**, except in one window: the server accepted the mail and the process
  died before the row was marked ``sent``. Then the mail goes out once more, with the same
  Message-ID (derived from the notice id), so mail clients that de-duplicate by Message-ID show
  one. SMTP has no idempotency key of its own, so closing this window would need the server's
  cooperation; the window is one SMTP round trip plus one small UPDATE wide.
- A lease shorter than a batch could let two senders hold the same mail; the loop therefore
  stops working on a batch whose lease is about to run out and leaves the rest to be reclaimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from dataclasses import dataclass, field

from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_common.events.notification import EmailDelivered, EmailFailed
from tsuen_common.heartbeat import beat
from tsuen_common.logging import get_logger, mask_email, mask_emails_in
from tsuen_common.messaging import Outbox
from tsuen_common.policy import PolicyRegistry, UnknownMunicipality
from tsuen_common.timeutil import now_jst
from tsuen_notification.adapters import mail_queue
from tsuen_notification.adapters.mail_queue import ClaimedMail
from tsuen_notification.adapters.message import build_message
from tsuen_notification.adapters.rendering import Renderer
from tsuen_notification.adapters.smtp import SendFailed, SmtpSession, SmtpTransport
from tsuen_notification.domain.delivery import FailureKind, gives_up, retry_delay_seconds

log = get_logger(__name__)


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0


@dataclass
class MailSender:
    engine: AsyncEngine
    transport: SmtpTransport
    policies: PolicyRegistry
    renderer: Renderer
    outbox: Outbox
    batch_size: int = 20
    poll_interval: float = 0.5
    lease_seconds: float = 120.0
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    max_attempts: int = 20
    concurrency: int = 4
    retention_seconds: float = 30 * 24 * 3600
    # Liveness for the exec probe when the sender runs alone (`send`); inside `consume` the
    # consumer worker beats, and a healthy sender must not hide a stuck consumer.
    heartbeat: bool = False
    sender_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    )
    stats: SenderStats = field(default_factory=SenderStats)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def run_once(self) -> int:
        """Claim and handle one batch of due mails; return how many were claimed."""
        async with self.engine.begin() as conn:
            batch = await mail_queue.claim_due(
                conn, sender=self.sender_id, lease_seconds=self.lease_seconds, limit=self.batch_size
            )
        if not batch:
            return 0
        deadline = time.monotonic() + max(
            self.lease_seconds / 2, self.lease_seconds - self.transport.timeout * 2
        )
        # Several SMTP connections work through the batch side by side; each mail is still
        # marked on its own, so one slow or failing connection holds up nobody else's mails.
        lanes = [batch[i :: self.concurrency] for i in range(min(self.concurrency, len(batch)))]
        outcomes = await asyncio.gather(
            *(self._lane(lane, deadline) for lane in lanes), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                # E.g. the database went away mid-lane: that lane's unmarked mails come back
                # when the lease runs out; the other lanes' results stand.
                log.error("mail lane failed", error=type(outcome).__name__)
        return len(batch)

    async def _lane(self, mails: list[ClaimedMail], deadline: float) -> None:
        async with self.transport.session() as smtp:
            for done, mail in enumerate(mails):
                if time.monotonic() > deadline:
                    # Stop before the lease ends, or a second sender could take these too.
                    log.warning("lease nearly over; leaving the rest", left=len(mails) - done)
                    return
                if mail.stale:
                    await self._expired(mail)
                    continue
                await self._deliver(smtp, mail)

    async def _expired(self, mail: ClaimedMail) -> None:
        async with self.engine.begin() as conn:
            await mail_queue.mark_expired(conn, mail.id, sender=self.sender_id)
        self.stats.expired += 1
        log.info("mail expired unsent", notice_id=str(mail.notice_id), template=str(mail.template))

    async def _deliver(self, smtp: SmtpSession, mail: ClaimedMail) -> None:
        try:
            policy = self.policies.get(mail.municipality)
            rendered = self.renderer.render(
                mail.template, mail.context, recipient_kind=mail.recipient_kind, policy=policy
            )
            message = build_message(
                notice_id=mail.notice_id,
                mail=rendered,
                recipient=mail.recipient,
                sender=policy.notification,
                date=now_jst(),
            )
        except (UnknownMunicipality, TemplateError, ValueError) as exc:
            # Our side cannot build this mail; sending it again unchanged cannot help.
            await self._failed(mail, f"cannot compose: {type(exc).__name__}: {exc}")
            return
        try:
            await smtp.send(
                message, sender=str(policy.notification.sender_address), recipient=mail.recipient
            )
        except SendFailed as exc:
            if exc.kind is FailureKind.PERMANENT or gives_up(
                mail.attempts, max_attempts=self.max_attempts
            ):
                await self._failed(mail, str(exc), permanent=exc.kind is FailureKind.PERMANENT)
            else:
                await self._retry(mail, str(exc))
            return
        await self._sent(mail)

    async def _sent(self, mail: ClaimedMail) -> None:
        async with self.engine.begin() as conn:
            sent_at = await mail_queue.mark_sent(conn, mail.id, sender=self.sender_id)
            if sent_at is not None:
                await self.outbox.add(
                    conn,
                    EmailDelivered(
                        notice_id=mail.notice_id,
                        template=str(mail.template),
                        caused_by_event=mail.event_id,
                        delivered_at=sent_at,
                    ),
                    municipality=mail.municipality,
                )
        if sent_at is None:
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

    async def _retry(self, mail: ClaimedMail, error: str) -> None:
        delay = retry_delay_seconds(
            mail.attempts, base=self.retry_base_seconds, cap=self.retry_max_seconds
        )
        async with self.engine.begin() as conn:
            await mail_queue.mark_retry(
                conn, mail.id, sender=self.sender_id, delay_seconds=delay, error=error
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

    async def _failed(self, mail: ClaimedMail, error: str, *, permanent: bool = True) -> None:
        async with self.engine.begin() as conn:
            if await mail_queue.mark_failed(conn, mail.id, sender=self.sender_id, error=error):
                await self.outbox.add(
                    conn,
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
        self.stats.failed += 1
        log.error(
            "mail failed",
            notice_id=str(mail.notice_id),
            template=str(mail.template),
            attempts=mail.attempts,
            error=mask_emails_in(error),
            action="inspect with `tsuen-notification mails`, then `tsuen-notification resend`",
        )

    async def purge(self) -> int:
        async with self.engine.begin() as conn:
            return await mail_queue.purge_finished(conn, older_than_seconds=self.retention_seconds)

    async def run(self) -> None:
        log.info("mail sender started", sender=self.sender_id)
        last_purge = time.monotonic()
        while not self._stopping.is_set():
            try:
                claimed = await self.run_once()
                if self.heartbeat:
                    beat()
                if time.monotonic() - last_purge > 3600:
                    last_purge = time.monotonic()
                    await self.purge()
            except Exception as exc:  # keep sending; claimed rows come back after their lease
                log.error("mail batch failed", error=type(exc).__name__)
                claimed = 0
            if claimed < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_interval)
        log.info("mail sender stopped", sender=self.sender_id, sent=self.stats.sent)

    def stop(self) -> None:
        self._stopping.set()
