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
  cooperation; each mail is marked in its own transaction right after the server's verdict
  (``outcomes.py``), so a crash re-sends at most one mail per lane.
- A lease shorter than a batch could let two senders hold the same mail; the loop therefore
  stops working on a batch whose lease is about to run out and leaves the rest to be reclaimed.
- **A restarted sender does not wait for its own leases** (issue 18): at start it releases the
  leases of this host's dead senders (``reclaim.py``).

Latency: :meth:`MailSender.run` runs ``concurrency`` lanes, each claiming its share of a batch
and sending it over its own SMTP connection, so no lane waits for the slowest before claiming
again. A lane sleeps only when it found less than its share. :meth:`MailSender.wake` wakes one
sleeping lane at once; the consumers in the same process call it when a transaction that
queued new mails has committed, and a lane that found a full share calls it too, so lanes join
in as the queue grows. Lane 0 also polls every ``poll_interval``, the fallback for what no one
announces: mails that fall due by time (reminders), retries, expired leases, rows queued by
another process or resent by an operator. A lane keeps its SMTP connection open from one round
to the next (closed after ``smtp_idle_seconds`` unused; a dead one is reopened, see
``adapters.smtp``) and holds one database connection while it marks its mails.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tsuen_common.heartbeat import beat
from tsuen_common.logging import get_logger
from tsuen_common.messaging import Outbox
from tsuen_common.policy import PolicyRegistry, UnknownMunicipality
from tsuen_common.timeutil import now_jst
from tsuen_notification.adapters import mail_queue
from tsuen_notification.adapters.mail_queue import ClaimedMail
from tsuen_notification.adapters.message import compose
from tsuen_notification.adapters.rendering import Renderer
from tsuen_notification.adapters.smtp import SendFailed, SmtpSession, SmtpTransport
from tsuen_notification.domain.delivery import FailureKind, gives_up
from tsuen_notification.service_layer.outcomes import Outcomes, SenderStats
from tsuen_notification.service_layer.reclaim import new_sender_id, reclaim_predecessors

__all__ = ["MailSender", "SenderStats"]

log = get_logger(__name__)


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
    sender_id: str = field(default_factory=new_sender_id)
    # A kept SMTP connection unused for this long is closed (servers drop idle clients).
    smtp_idle_seconds: float = 60.0
    stats: SenderStats = field(default_factory=SenderStats)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Lanes asleep, each with the event that wakes it; and a wake-up that came while every
    # lane was busy, for the next lane that would otherwise go to sleep.
    _idle: list[asyncio.Event] = field(default_factory=list)
    _wake_pending: bool = False
    _outcomes: Outcomes = field(init=False)
    _autocommit: AsyncEngine | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._outcomes = Outcomes(
            engine=self.engine,
            outbox=self.outbox,
            sender_id=self.sender_id,
            stats=self.stats,
            retry_base_seconds=self.retry_base_seconds,
            retry_max_seconds=self.retry_max_seconds,
        )

    def wake(self) -> None:
        """New mails were committed: one lane claims now instead of at the next poll.

        One, not all: a lane that finds a full share wakes the next (``_run_lane``), so lanes
        join in as the queue grows, and a single new mail costs one claim, not one per lane.
        """
        if self._idle:
            self._idle.pop().set()
        else:
            self._wake_pending = True

    async def run_once(self) -> int:
        """Claim and handle one batch of due mails, its lanes side by side; return how many
        were claimed. For a single pass (tests, tools); :meth:`run` keeps lanes running."""
        batch = await self._claim(self.batch_size)
        if not batch:
            return 0
        deadline = self._deadline()
        lanes = [batch[i :: self.concurrency] for i in range(min(self.concurrency, len(batch)))]
        sessions = [self.transport.session() for _ in lanes]
        try:
            outcomes = await asyncio.gather(
                *(
                    self._lane(smtp, lane, deadline)
                    for smtp, lane in zip(sessions, lanes, strict=True)
                ),
                return_exceptions=True,
            )
        finally:
            for smtp in sessions:
                await smtp.close()
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                # E.g. the database went away mid-lane: that lane's unmarked mails come back
                # when the lease runs out; the other lanes' results stand.
                log.error("mail lane failed", error=type(outcome).__name__)
        return len(batch)

    async def _claim(self, limit: int) -> list[ClaimedMail]:
        async with self._connection() as conn:  # one statement: no BEGIN/COMMIT needed
            return await mail_queue.claim_due(
                conn, sender=self.sender_id, lease_seconds=self.lease_seconds, limit=limit
            )

    def _deadline(self) -> float:
        return time.monotonic() + max(
            self.lease_seconds / 2, self.lease_seconds - self.transport.timeout * 2
        )

    async def _run_lane(self, smtp: SmtpSession, limit: int) -> int:
        """One round of a lane in :meth:`run`: claim up to ``limit`` mails and send them."""
        mails = await self._claim(limit)
        if len(mails) == limit:
            self.wake()  # there may be more: another lane claims the next share meanwhile
        if mails:
            await self._lane(smtp, mails, self._deadline())
        return len(mails)

    def _connection(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        """A connection in autocommit: the claim and every mark are single statements (a mark
        writes its event in the same statement, ``mail_queue.mark_sent``), atomic on their own,
        so a BEGIN and a COMMIT around each would only add two round trips per mail."""
        if self._autocommit is None:
            # The same pool; its connections run in autocommit while a lane has them.
            self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        return self._autocommit.connect()

    async def _lane(self, smtp: SmtpSession, mails: list[ClaimedMail], deadline: float) -> None:
        # One database connection for the lane's marks: checking one out of the pool per mail
        # cost a pre-ping round trip each time. Each mark is still atomic on its own, and one
        # that finds the connection dead is redone on a fresh one (Outcomes.marked).
        async with self._connection() as conn:
            await self._send_all(conn, smtp, mails, deadline)

    async def _send_all(
        self, conn: AsyncConnection, smtp: SmtpSession, mails: list[ClaimedMail], deadline: float
    ) -> None:
        for done, mail in enumerate(mails):
            if time.monotonic() > deadline:
                # Stop before the lease ends, or a second sender could take these too.
                log.warning("lease nearly over; leaving the rest", left=len(mails) - done)
                return
            if mail.stale:
                await self._outcomes.expired(conn, mail, deadline)
                continue
            await self._deliver(conn, smtp, mail, deadline)

    async def _deliver(
        self, conn: AsyncConnection, smtp: SmtpSession, mail: ClaimedMail, deadline: float
    ) -> None:
        try:
            policy = self.policies.get(mail.municipality)
            rendered = self.renderer.render(
                mail.template, mail.context, recipient_kind=mail.recipient_kind, policy=policy
            )
            message = compose(
                notice_id=mail.notice_id,
                mail=rendered,
                recipient=mail.recipient,
                sender=policy.notification,
                date=now_jst(),
            )
        except (UnknownMunicipality, TemplateError, ValueError) as exc:
            # Our side cannot build this mail; sending it again unchanged cannot help.
            await self._outcomes.failed(
                conn, mail, f"cannot compose: {type(exc).__name__}: {exc}", deadline
            )
            return
        try:
            await smtp.send(
                message, sender=str(policy.notification.sender_address), recipient=mail.recipient
            )
        except SendFailed as exc:
            if exc.kind is FailureKind.PERMANENT or gives_up(
                mail.attempts, max_attempts=self.max_attempts
            ):
                await self._outcomes.failed(
                    conn, mail, str(exc), deadline, permanent=exc.kind is FailureKind.PERMANENT
                )
            else:
                await self._outcomes.retry(conn, mail, str(exc), deadline)
            return
        # Marked at once, before the next mail goes out: the crash window stays one mail wide.
        await self._outcomes.sent(conn, mail, deadline)

    async def purge(self) -> int:
        async with self.engine.begin() as conn:
            return await mail_queue.purge_finished(conn, older_than_seconds=self.retention_seconds)

    async def reclaim_predecessors(self) -> int:
        """Release the leases of this host's dead senders (``reclaim.py``); how many mails."""
        return await reclaim_predecessors(self.engine, self.sender_id)

    async def run(self) -> None:
        """Send until :meth:`stop`: ``concurrency`` lanes, each claiming its own share of a
        batch, so a lane that finished does not wait for the slowest one before claiming more."""
        log.info("mail sender started", sender=self.sender_id)
        await self.reclaim_predecessors()
        share = -(-self.batch_size // self.concurrency)  # ceil: together about one batch
        await asyncio.gather(*(self._lane_loop(lane, share) for lane in range(self.concurrency)))
        log.info("mail sender stopped", sender=self.sender_id, sent=self.stats.sent)

    async def _lane_loop(self, lane: int, share: int) -> None:
        last_purge = time.monotonic()
        # The lane's SMTP connection stays open from one round to the next.
        async with self.transport.session() as smtp:
            while not self._stopping.is_set():
                # Taken before claiming: the claim sees every row committed before this point;
                # a wake-up after it finds this lane busy and stays pending for a lane about to
                # sleep (this one, at the latest). No new mail waits for the poll.
                self._wake_pending = False
                try:
                    claimed = await self._run_lane(smtp, share)
                    if lane == 0:
                        if self.heartbeat:
                            beat()
                        if time.monotonic() - last_purge > 3600:
                            last_purge = time.monotonic()
                            await self.purge()
                except Exception as exc:  # keep sending; claimed rows come back after the lease
                    log.error("mail batch failed", error=type(exc).__name__)
                    claimed = 0
                await smtp.close_if_idle(self.smtp_idle_seconds)
                if claimed >= share or self._wake_pending or self._stopping.is_set():
                    continue
                # Only lane 0 polls (mails due by time, retries, other processes' rows); it
                # wakes the others when it finds more than its share.
                if lane == 0:
                    await self._sleep(self.poll_interval)
                    continue
                # The others sleep until woken, closing their SMTP connection once it has
                # idled out (a connection a firewall forgot would cost the next mail a whole
                # SMTP timeout), without claiming on their own.
                while not await self._sleep(self.smtp_idle_seconds):
                    await smtp.close_if_idle(self.smtp_idle_seconds)
                    if self._wake_pending or self._stopping.is_set():
                        break

    async def _sleep(self, seconds: float) -> bool:
        """Sleep until :meth:`wake` (True) or for ``seconds`` (False)."""
        woken = asyncio.Event()
        self._idle.append(woken)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=seconds)
        finally:
            if woken in self._idle:
                self._idle.remove(woken)
        return woken.is_set()

    def stop(self) -> None:
        self._stopping.set()
        for woken in self._idle:
            woken.set()
