"""The sender's wake-up: a committed consumer transaction ends the sender's poll sleep at once.

No I/O: the claim is replaced by a counter and the session commits nothing; what is tested is
the loop's and the hook's logic, deterministically (events, not sleeps).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_notification.adapters.mail_queue import ClaimedMail
from tsuen_notification.adapters.smtp import SmtpSession, SmtpTransport
from tsuen_notification.service_layer.handlers import _after_commit
from tsuen_notification.service_layer.sender import MailSender


class CountingSender(MailSender):
    """A sender whose claims find nothing; it records each claim and signals the test."""

    def __init__(self) -> None:
        super().__init__(
            engine=None,  # type: ignore[arg-type]
            transport=SmtpTransport(host="127.0.0.1", port=9),  # never connected
            policies=None,  # type: ignore[arg-type]
            renderer=None,  # type: ignore[arg-type]
            outbox=None,  # type: ignore[arg-type]
            poll_interval=3600.0,  # only a wake-up can end the sleep within the test
            concurrency=1,
        )
        self.claims = 0
        self.claimed = asyncio.Queue[int]()

    async def _run_lane(self, smtp: SmtpSession, limit: int) -> int:
        self.claims += 1
        self.claimed.put_nowait(self.claims)
        return 0


async def _next_claim(sender: CountingSender) -> int:
    return await asyncio.wait_for(sender.claimed.get(), timeout=10)


async def test_wake_ends_the_poll_sleep_at_once() -> None:
    sender = CountingSender()
    task = asyncio.create_task(sender.run())
    try:
        assert await _next_claim(sender) == 1  # the first claim, then a sleep of an hour
        sender.wake()
        assert await _next_claim(sender) == 2
    finally:
        sender.stop()
        await asyncio.wait_for(task, timeout=10)


async def test_a_wake_during_the_claim_is_not_lost() -> None:
    class WakeDuringClaim(CountingSender):
        async def _run_lane(self, smtp: SmtpSession, limit: int) -> int:
            claimed = await super()._run_lane(smtp, limit)
            if self.claims == 1:
                # Rows committed while the claim ran (after its snapshot): the loop must not
                # sleep on them.
                self.wake()
            return claimed

    sender = WakeDuringClaim()
    task = asyncio.create_task(sender.run())
    try:
        assert await _next_claim(sender) == 1
        assert await _next_claim(sender) == 2
    finally:
        sender.stop()
        await asyncio.wait_for(task, timeout=10)


async def test_after_commit_fires_once_per_commit_and_never_on_rollback() -> None:
    calls: list[str] = []
    session = AsyncSession()  # no bind: the transaction commits without touching a database
    async with session.begin():
        _after_commit(session, lambda: calls.append("woken"))
        _after_commit(session, lambda: calls.append("woken"))  # a second event, same batch
        assert calls == []  # not before the commit
    assert calls == ["woken"]

    rolled_back = AsyncSession()

    async def failing_handler() -> None:
        async with rolled_back.begin():
            _after_commit(rolled_back, lambda: calls.append("rolled back"))
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        await failing_handler()
    assert calls == ["woken"]
    await session.close()
    await rolled_back.close()


async def test_a_lane_that_finds_a_full_share_wakes_another() -> None:
    class Lanes(CountingSender):
        """Claims find nothing, except the third, which finds a full share."""

        def __init__(self) -> None:
            super().__init__()
            self.concurrency = 2
            self.by_lane: list[int] = []

        async def _claim(self, limit: int) -> list[ClaimedMail]:
            self.claims += 1
            self.claimed.put_nowait(self.claims)
            return [None] * limit if self.claims == 3 else []  # type: ignore[list-item]

        async def _lane(self, smtp: SmtpSession, mails: list[ClaimedMail], deadline: float) -> None:
            return None

        async def _run_lane(self, smtp: SmtpSession, limit: int) -> int:
            self.by_lane.append(id(smtp))
            return await MailSender._run_lane(self, smtp, limit)

    sender = Lanes()
    task = asyncio.create_task(sender.run())
    try:
        assert [await _next_claim(sender) for _ in range(2)] == [1, 2]  # both lanes, asleep
        sender.wake()  # one lane: it finds a full share and wakes the other
        assert [await _next_claim(sender) for _ in range(3)] == [3, 4, 5]
        assert len(set(sender.by_lane[2:])) == 2
    finally:
        sender.stop()
        await asyncio.wait_for(task, timeout=10)


async def test_a_sleeping_lane_closes_its_idle_smtp_connection_without_claiming() -> None:
    closes: list[float] = []
    enough = asyncio.Event()

    class RecordingSession(SmtpSession):
        async def close_if_idle(self, max_idle_seconds: float) -> None:
            closes.append(max_idle_seconds)
            if len(closes) >= 6:
                enough.set()

    class RecordingTransport(SmtpTransport):
        def session(self) -> SmtpSession:
            return RecordingSession(self)

    sender = CountingSender()
    sender.transport = RecordingTransport(host="127.0.0.1", port=9)
    sender.concurrency = 2  # lane 1 only sleeps: no poll, no wake-up in this test
    sender.smtp_idle_seconds = 0.01
    task = asyncio.create_task(sender.run())
    try:
        # One round per lane (a claim and a check each); then only lane 1's timed sleeps
        # check its connection, again and again, with no claim in between.
        await asyncio.wait_for(enough.wait(), timeout=10)
        assert sender.claims == 2
        assert set(closes) == {0.01}
    finally:
        sender.stop()
        await asyncio.wait_for(task, timeout=10)
