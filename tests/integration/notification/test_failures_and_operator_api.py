"""A permanently refused mail is recorded, shown to the municipality's operators (address
masked), and sent again on request; a sender that dies mid-batch loses nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import asyncpg
import httpx
import pytest
import sqlalchemy as sa

from tests.integration.conftest import eventually
from tests.integration.notification.conftest import CHIYODA, KAKEGAWA, NotificationStack
from tsuen_common.auth import Role
from tsuen_common.db import make_engine
from tsuen_common.events.eligibility import ChildCertified
from tsuen_common.timeutil import today_jst
from tsuen_notification.adapters import mail_queue
from tsuen_notification.entrypoints.cli import mails_command, resend_command
from tsuen_notification.entrypoints.consumers import build_sender

NOBODY = "nobody@example.jp"


def _certified(email: str) -> ChildCertified:
    return ChildCertified(
        certification_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        guardian_id=uuid.uuid4(),
        guardian_email=email,
        certificate_number="KK-0042",
        valid_from=today_jst(),
        valid_until=today_jst() + timedelta(days=365),
    )


async def test_permanent_failure_is_visible_to_operators_and_a_resend_delivers(
    notification: NotificationStack, capsys: pytest.CaptureFixture[str]
) -> None:
    notification.smtp.catcher.reject.add(NOBODY)
    envelope = await notification.publish(_certified(NOBODY), municipality=KAKEGAWA)

    async def failed() -> bool:
        return [r.status for r in await notification.rows(event_id=envelope.event_id)] == ["failed"]

    await eventually(failed, what="the refused mail recorded as failed")
    [row] = await notification.rows(event_id=envelope.event_id)
    assert row.attempts == 1  # a 5xx is not retried
    assert "550" in row.last_error
    assert "notification.EmailFailed" in await notification.outbox_types()

    api, officer = notification.api, notification.token(Role.MUNICIPALITY_OFFICER, KAKEGAWA)
    listed = await api.get(f"/municipalities/{KAKEGAWA}/mails?status=failed", headers=officer)
    assert listed.status_code == 200
    [item] = listed.json()["mails"]
    assert item["notice_id"] == str(row.notice_id)
    assert item["subject"] == "アカウント発行のお知らせ"
    assert item["status"] == "failed"
    assert item["recipient"] == "n***@example.jp"
    assert NOBODY not in listed.text  # masked in the reply text too
    assert item["last_error"].startswith("550")

    detail = await api.get(f"/municipalities/{KAKEGAWA}/mails/{row.notice_id}", headers=officer)
    assert detail.status_code == 200
    assert detail.json()["recipient"] == NOBODY

    # The fix (here: the mailbox now exists), then the resend.
    notification.smtp.catcher.reject.discard(NOBODY)
    resent = await api.post(
        f"/municipalities/{KAKEGAWA}/mails/{row.notice_id}/resend", headers=officer
    )
    assert resent.status_code == 202
    assert resent.json()["status"] == "pending"

    async def delivered() -> bool:
        return len(notification.smtp.mails_to(NOBODY)) == 1

    await eventually(delivered, what="the resent mail")
    [caught] = notification.smtp.mails_to(NOBODY)
    assert caught.message["Message-ID"] == f"<{row.notice_id}@city.kakegawa.example.jp>"

    async def sent() -> bool:
        return [r.status for r in await notification.rows(event_id=envelope.event_id)] == ["sent"]

    await eventually(sent, what="the row marked sent")
    # The failure, the resend and the delivery were all logged, the address never in full.
    logged = capsys.readouterr().out
    assert "mail failed" in logged
    assert "mail sent" in logged
    assert NOBODY not in logged
    again = await api.post(
        f"/municipalities/{KAKEGAWA}/mails/{row.notice_id}/resend", headers=officer
    )
    assert again.status_code == 409  # a sent mail is not sent twice


async def test_operator_api_keeps_tenants_apart_and_answers_bad_input_with_4xx(
    notification: NotificationStack, capsys: pytest.CaptureFixture[str]
) -> None:
    notification.smtp.catcher.reject.add(NOBODY)
    envelope = await notification.publish(_certified(NOBODY), municipality=KAKEGAWA)

    async def failed() -> bool:
        rows = await notification.rows(event_id=envelope.event_id)
        return [r.status for r in rows] == ["failed"]

    await eventually(failed, what="the failed mail")
    [row] = await notification.rows(event_id=envelope.event_id)
    api = notification.api
    chiyoda = notification.token(Role.MUNICIPALITY_OFFICER, CHIYODA)
    admin = notification.token(Role.PLATFORM_ADMIN)
    guardian = notification.token(Role.GUARDIAN, KAKEGAWA)
    url = f"/municipalities/{KAKEGAWA}/mails/{row.notice_id}"

    async def status(response: httpx.Response) -> int:
        return response.status_code

    assert await status(await api.get(f"/municipalities/{KAKEGAWA}/mails")) == 401
    assert await status(await api.get(f"/municipalities/{KAKEGAWA}/mails", headers=guardian)) == 403
    assert await status(await api.get(f"/municipalities/{KAKEGAWA}/mails", headers=chiyoda)) == 403
    # Another municipality's mail does not exist for Chiyoda's officer.
    assert await status(await api.get(url, headers=chiyoda)) == 404
    assert await status(await api.post(f"{url}/resend", headers=chiyoda)) == 404
    chiyoda_list = await api.get(f"/municipalities/{CHIYODA}/mails", headers=chiyoda)
    assert chiyoda_list.json() == {"mails": []}
    # The platform admin sees every municipality.
    admin_list = await api.get(f"/municipalities/{KAKEGAWA}/mails", headers=admin)
    assert [m["notice_id"] for m in admin_list.json()["mails"]] == [str(row.notice_id)]
    everywhere = await api.get("/mails?status=failed", headers=admin)
    assert [(m["municipality"], m["recipient"]) for m in everywhere.json()["mails"]] == [
        (KAKEGAWA, "n***@example.jp")
    ]
    assert await status(await api.get("/mails", headers=chiyoda)) == 403
    # Bad input: 422, never a 500.
    assert await status(await api.get("/municipalities/12/mails", headers=admin)) == 422
    assert (
        await status(await api.get(f"/municipalities/{KAKEGAWA}/mails/not-a-uuid", headers=admin))
        == 422
    )
    bad_status = await api.get(f"/municipalities/{KAKEGAWA}/mails?status=lost", headers=admin)
    assert bad_status.status_code == 422
    bad_limit = await api.get(f"/municipalities/{KAKEGAWA}/mails?limit=0", headers=admin)
    assert bad_limit.status_code == 422
    unknown = await api.get(f"/municipalities/{KAKEGAWA}/mails/{uuid.uuid4()}", headers=admin)
    assert unknown.status_code == 404

    # The same from the command line (`tsuen-notification mails` / `resend`); the commands run
    # their own event loop, so in a thread.
    capsys.readouterr()
    args = ["--municipality", KAKEGAWA, "--status", "failed"]
    assert await asyncio.to_thread(mails_command, notification.settings, args) == 0
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert (line["notice_id"], line["to"], line["status"]) == (
        str(row.notice_id),
        "n***@example.jp",
        "failed",
    )
    notification.smtp.catcher.reject.discard(NOBODY)
    code = await asyncio.to_thread(resend_command, notification.settings, [str(row.notice_id)])
    assert code == 0

    async def delivered() -> bool:
        return len(notification.smtp.mails_to(NOBODY)) == 1

    await eventually(delivered, what="the mail resent from the command line")


async def test_a_sender_that_dies_after_claiming_leaves_the_mail_to_another(
    notification: NotificationStack,
) -> None:
    # The service's own sender is stopped, so only the two senders below touch the queue.
    await notification.worker.stop_sender()
    notification.smtp.catcher.reject.clear()
    envelope = await notification.publish(_certified("shiro@example.jp"))

    async def queued() -> bool:
        return len(await notification.rows(event_id=envelope.event_id)) == 1

    await eventually(queued, what="the mail queued")
    # A sender claims the mail and "dies": no SMTP, no mark.
    async with notification.engine.begin() as conn:
        claimed = await mail_queue.claim_due(conn, sender="doomed", lease_seconds=300, limit=10)
    assert [c.event_id for c in claimed] == [envelope.event_id]

    survivor = build_sender(notification.settings, notification.engine)
    assert await survivor.run_once() == 0  # still leased to the dead sender

    # Time passes: the dead sender's lease runs out.
    async with notification.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE mail_queue SET lease_until = now() - interval '1 second'")
        )

    async def taken_over() -> bool:
        await survivor.run_once()
        rows = await notification.rows(event_id=envelope.event_id)
        return rows[0].status == "sent"

    await eventually(taken_over, what="the mail sent after the lease ran out")
    assert len(notification.smtp.mails_to("shiro@example.jp")) == 1
    [row] = await notification.rows(event_id=envelope.event_id)
    assert row.attempts == 2
    assert row.claimed_by == survivor.sender_id


async def test_a_database_blip_while_smtp_accepts_does_not_send_the_mail_twice(
    notification: NotificationStack,
) -> None:
    # The service's own sender is stopped; the sender below has an engine of its own.
    await notification.worker.stop_sender()
    notification.smtp.catcher.reject.clear()
    envelope = await notification.publish(_certified("kuro@example.jp"))

    async def queued() -> bool:
        return len(await notification.rows(event_id=envelope.event_id)) == 1

    await eventually(queued, what="the mail queued")
    dsn = notification.settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    database = dsn.rsplit("/", 1)[1]
    terminated: list[int] = []

    async def drop_every_connection() -> None:
        # PostgreSQL restarts (or a proxy drops us) between the SMTP server's acceptance and the
        # sender's mark: every server-side connection to the database goes away.
        admin = await asyncpg.connect(dsn)
        try:
            rows = await admin.fetch(
                # Waits until each backend is gone (timeout form, PostgreSQL 14+).
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            terminated.append(len(rows))
        finally:
            await admin.close()

    notification.smtp.catcher.before_accepting = drop_every_connection
    engine = make_engine(notification.settings.database_url, pool_size=2)
    try:
        sender = build_sender(notification.settings, engine)
        assert await sender.run_once() == 1
        notification.smtp.catcher.before_accepting = None
        # The test's own pool lost its connections too; it is not what is tested here.
        await notification.engine.dispose()
        assert terminated == [terminated[0]]
        assert terminated[0] >= 1  # the lane's connection among them
        [row] = await notification.rows(event_id=envelope.event_id)
        assert row.status == "sent"  # marked on a fresh connection, not left for the lease
        assert sender.stats.sent == 1
        # Nothing comes back to be sent again, now or after the lease.
        async with notification.engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE mail_queue SET lease_until = now() - interval '1 second'")
            )
        assert await sender.run_once() == 0
        assert len(notification.smtp.mails_to("kuro@example.jp")) == 1
        assert (await notification.outbox_types()).count("notification.EmailDelivered") == 1
    finally:
        notification.smtp.catcher.before_accepting = None
        await engine.dispose()


async def test_a_mark_that_landed_before_its_answer_was_lost_is_not_written_twice(
    notification: NotificationStack,
) -> None:
    # The redo after a lost connection finds the row already `sent` by this very sender (the
    # first COMMIT landed, its answer did not): it counts the mail as sent, adds no second
    # EmailDelivered, and reports no lost claim.
    await notification.worker.stop_sender()
    notification.smtp.catcher.reject.clear()
    envelope = await notification.publish(_certified("ao@example.jp"))

    async def queued() -> bool:
        return len(await notification.rows(event_id=envelope.event_id)) == 1

    await eventually(queued, what="the mail queued")
    dsn = notification.settings.database_url.replace("postgresql+asyncpg://", "postgresql://")

    async def first_commit_landed() -> None:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(
                "UPDATE mail_queue SET status = 'sent', sent_at = now(), lease_until = NULL "
                "WHERE event_id = $1",
                envelope.event_id,
            )
        finally:
            await admin.close()

    notification.smtp.catcher.before_accepting = first_commit_landed
    try:
        sender = build_sender(notification.settings, notification.engine)
        assert await sender.run_once() == 1
    finally:
        notification.smtp.catcher.before_accepting = None
    [row] = await notification.rows(event_id=envelope.event_id)
    assert (row.status, row.claimed_by) == ("sent", sender.sender_id)
    assert sender.stats.sent == 1
    assert "notification.EmailDelivered" not in await notification.outbox_types()
    assert len(notification.smtp.mails_to("ao@example.jp")) == 1
