"""Kept SMTP connections against a real SMTP server: aiosmtpd with the mail catcher's handler,
the server the notification integration tests use, on 127.0.0.1 (no containers needed).

The sender keeps one connection per lane open between mails and batches; these tests show a
connection the server dropped, restarted under, or is closing is replaced before the mail is on
the wire, so the mail is delivered once and no attempt is charged for the stale connection.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tsuen_common.policy import load_policies
from tsuen_common.timeutil import at_jst
from tsuen_notification.adapters.mailcatcher import MailCatcher
from tsuen_notification.adapters.message import compose
from tsuen_notification.adapters.rendering import RenderedMail
from tsuen_notification.adapters.smtp import SendFailed, SmtpSession, SmtpTransport
from tsuen_notification.domain.delivery import FailureKind

HOST = "127.0.0.1"
SENDER = load_policies().get("222135").notification


class ClosingCatcher(MailCatcher):
    """The catcher, plus what a server does to an idle client it no longer wants: answer MAIL
    FROM with 421 and close (``close_with_421``), or just drop the line (``drop``)."""

    def __init__(self) -> None:
        super().__init__()
        self.close_with_421 = 0
        self.drop = 0
        self.mail_commands = 0
        self.drop_at_data = 0
        self.data_commands = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.drop_at_data > 0:
            # The line dies after the message was handed over, before the verdict: the
            # server may or may not have kept it; the client cannot know.
            self.drop_at_data -= 1
            server.transport.close()
            return "421 4.4.2 gone"  # never arrives
        return await super().handle_DATA(server, session, envelope)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mail_commands += 1
        if self.drop > 0:
            self.drop -= 1
            server.transport.close()
            return "421 4.4.2 gone"  # never arrives: the line is already closed
        if self.close_with_421 > 0:
            self.close_with_421 -= 1
            server.transport.close()
            return "421 4.4.2 Idle timeout, closing connection"
        envelope.mail_from = address
        return "250 OK"


class Server:
    def __init__(self) -> None:
        self.catcher = ClosingCatcher()
        with socket.socket() as s:
            s.bind((HOST, 0))
            self.port = int(s.getsockname()[1])
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.catcher, hostname=HOST, port=self.port, ready_timeout=10)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[str]:
        return [rcpt for m in self.catcher.mails for rcpt in m.rcpt_tos]


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _session(server: Server) -> SmtpSession:
    return SmtpTransport(host=HOST, port=server.port, timeout=5).session()


def _mail(to: str) -> bytes:
    return compose(
        notice_id=uuid.uuid4(),
        mail=RenderedMail(
            subject="予約完了のお知らせ", text="保護者様\n", html="<p>保護者様</p>\n"
        ),
        recipient=to,
        sender=SENDER,
        date=at_jst(date(2026, 12, 1), time(10)),
    )


async def _send(smtp: SmtpSession, to: str) -> None:
    await smtp.send(_mail(to), sender=str(SENDER.sender_address), recipient=to)


async def test_one_connection_carries_many_mails(server: Server) -> None:
    async with _session(server) as smtp:
        for i in range(3):
            await _send(smtp, f"k{i}@example.jp")
        assert smtp.connections_opened == 1
    assert server.received() == ["k0@example.jp", "k1@example.jp", "k2@example.jp"]


async def test_server_restarted_while_idle_then_next_mail_goes_on_a_new_connection(
    server: Server,
) -> None:
    async with _session(server) as smtp:
        await _send(smtp, "before@example.jp")
        server.stop()  # drops every open connection
        server.start()
        await _send(smtp, "after@example.jp")
        assert smtp.connections_opened == 2
    assert server.received() == ["before@example.jp", "after@example.jp"]


@pytest.mark.parametrize("how", ["close_with_421", "drop"])
async def test_kept_connection_refused_at_mail_from_is_reopened_once(
    server: Server, how: str
) -> None:
    async with _session(server) as smtp:
        await _send(smtp, "first@example.jp")
        setattr(server.catcher, how, 1)
        await _send(smtp, "second@example.jp")  # no SendFailed: nothing of it was accepted
        assert smtp.connections_opened == 2
    assert server.received() == ["first@example.jp", "second@example.jp"]
    assert server.catcher.mail_commands == 3


async def test_a_fresh_connection_refused_at_mail_from_is_reported_not_retried(
    server: Server,
) -> None:
    server.catcher.close_with_421 = 5
    async with _session(server) as smtp:
        with pytest.raises(SendFailed) as failed:
            await _send(smtp, "nobody@example.jp")
    # Temporary (the server, not the mail): the sender retries it later with backoff.
    assert failed.value.kind is FailureKind.TEMPORARY
    assert server.catcher.mail_commands == 1
    assert server.received() == []


async def test_a_kept_connection_idle_too_long_is_closed_and_replaced(server: Server) -> None:
    async with _session(server) as smtp:
        await _send(smtp, "a@example.jp")
        await smtp.close_if_idle(0)
        assert smtp.idle_seconds == 0  # nothing open
        await _send(smtp, "b@example.jp")
        assert smtp.connections_opened == 2
    assert server.received() == ["a@example.jp", "b@example.jp"]


async def test_a_line_lost_after_the_message_went_over_is_reported_never_resent(
    server: Server,
) -> None:
    async with _session(server) as smtp:
        await _send(smtp, "first@example.jp")
        server.catcher.drop_at_data = 1
        with pytest.raises(SendFailed) as failed:
            await _send(smtp, "second@example.jp")
        # Sending it again on the spot could deliver it twice: it is reported (and retried
        # later with backoff, the known window), never re-sent by the connection logic.
        assert failed.value.kind is FailureKind.TEMPORARY
        assert server.catcher.data_commands == 2
        await _send(smtp, "third@example.jp")  # the next mail goes on a new connection
        assert smtp.connections_opened == 2
    assert server.catcher.data_commands == 3
    assert server.received() == ["first@example.jp", "third@example.jp"]
