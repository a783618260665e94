"""A sender killed mid-send and started again (issue 18): the new one reclaims its
predecessor's mails at start instead of waiting out the lease (120 s), and the one mail the kill
caught between the server's acceptance and its mark goes out once more with the same
Message-ID. A real ``tsuen-notification send`` process, kill -9, real PostgreSQL and SMTP."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import eventually
from tests.integration.notification.conftest import NotificationStack
from tests.integration.notification.test_failures_and_operator_api import _certified
from tsuen_notification.entrypoints.consumers import build_sender

LEASE_SECONDS = 120  # production's: the test would time out if the mail waited for it


async def test_a_restarted_sender_sends_its_predecessors_mail_at_once(
    notification: NotificationStack,
) -> None:
    await notification.worker.stop_sender()  # only the two senders below touch the queue
    notification.smtp.catcher.reject.clear()
    envelope = await notification.publish(_certified("kuro@example.jp"))

    async def queued() -> bool:
        return len(await notification.rows(event_id=envelope.event_id)) == 1

    await eventually(queued, what="the mail queued")
    settings = notification.settings
    env = {
        **os.environ,
        "TSUEN_DATABASE_URL": settings.database_url,
        "TSUEN_POLICY_DIR": str(settings.policy_dir),
        "TSUEN_SMTP_HOST": settings.smtp_host,
        "TSUEN_SMTP_PORT": str(settings.smtp_port),
        "TSUEN_PORTAL_URL": str(settings.portal_url),
        "TSUEN_SENDER_LEASE_SECONDS": str(LEASE_SECONDS),
        "TSUEN_SENDER_POLL_INTERVAL_MS": "50",
    }
    doomed = subprocess.Popen(  # noqa: ASYNC220 - started once, never waited on here
        [str(Path(sys.executable).with_name("tsuen-notification")), "send"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed = asyncio.Event()

    async def kill_before_the_answer() -> None:
        # The server has the mail; the sender dies before it hears 250 and marks it sent.
        if not killed.is_set():
            killed.set()  # first: the server drops this handler when the client's line dies
            doomed.send_signal(signal.SIGKILL)

    notification.smtp.catcher.before_accepting = kill_before_the_answer
    try:
        await eventually(_is_set(killed), what="the sender killed mid-send", within=60)
    finally:
        notification.smtp.catcher.before_accepting = None
        if doomed.poll() is None and not killed.is_set():
            doomed.kill()
        await asyncio.to_thread(doomed.wait)  # reaped, as a supervisor or runtime does
    [row] = await notification.rows(event_id=envelope.event_id)
    assert row.status == "pending"  # leased to the dead sender for two minutes
    assert row.claimed_by.endswith(f"-{doomed.pid}-" + row.claimed_by.rsplit("-", 1)[1])

    restarted = build_sender(settings, notification.engine)
    running = asyncio.create_task(restarted.run())
    try:

        async def sent() -> bool:
            [again] = await notification.rows(event_id=envelope.event_id)
            return bool(again.status == "sent")

        await eventually(sent, what="the mail sent by the restarted sender", within=30)
    finally:
        restarted.stop()
        await running

    mails = notification.smtp.mails_to("kuro@example.jp")
    assert len(mails) == 2  # the documented one re-send after a kill ...
    assert mails[0].message["Message-ID"] == mails[1].message["Message-ID"]  # ... same id
    [row] = await notification.rows(event_id=envelope.event_id)
    assert row.claimed_by == restarted.sender_id


def _is_set(event: asyncio.Event):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return event.is_set()

    return check
