"""Sending over SMTP with aiosmtplib: kept connections, failures as :class:`SendFailed`.

What counts against *this mail* is only the server's verdict on it: a refused recipient or
refused data (4xx temporary, 5xx permanent). Everything else — no connection, a timeout, a
failed greeting, TLS or login — is about the server or our configuration, never about the mail,
so it is reported without a code and retried: a wrong password must not turn a morning's notices
into permanent failures that each need a resend.

A sender keeps its connections open from one mail to the next (no TCP + greeting + EHLO (+ TLS +
AUTH) per mail or per batch). A kept connection can die while it is idle: the server timed it
out (RFC 5321 allows 5 minutes), restarted, or a middlebox dropped it. :class:`SmtpSession`
notices that before the mail is on the wire and reopens, so a stale connection never costs a
mail one of its attempts.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Literal

import aiosmtplib

from tsuen_notification.domain.delivery import FailureKind, classify_smtp_failure

Security = Literal["none", "starttls", "tls"]

# 421: "service not available, closing transmission channel", the reply of a server that is
# about to drop an idle or overloaded client.
_CLOSING = 421


class SendFailed(Exception):
    def __init__(self, code: int | None, reply: str) -> None:
        super().__init__(f"{code or '-'} {reply}".strip())
        self.code = code
        self.reply = reply

    @property
    def kind(self) -> FailureKind:
        return classify_smtp_failure(self.code)


class SmtpTransport:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Security = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        validate_certs: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self.validate_certs = validate_certs

    def session(self) -> SmtpSession:
        return SmtpSession(self)

    def _client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            validate_certs=self.validate_certs,
            timeout=self.timeout,
        )


class _StaleConnection(Exception):
    """A kept connection failed before the server had seen anything of the mail."""


class SmtpSession:
    """One SMTP connection, opened on the first mail and kept for the next ones.

    Reopened after any failure (a connection that saw an error may be mid-transaction), and once,
    transparently, when a *kept* connection turns out to be dead at MAIL FROM: the server has
    then accepted nothing of the mail, so sending it on a fresh connection cannot duplicate it.
    """

    def __init__(self, transport: SmtpTransport) -> None:
        self._transport = transport
        self._client: aiosmtplib.SMTP | None = None
        self._last_used = 0.0
        self.connections_opened = 0

    @property
    def idle_seconds(self) -> float:
        """Seconds since the open connection last carried a mail (0 when none is open)."""
        return 0.0 if self._client is None else time.monotonic() - self._last_used

    async def __aenter__(self) -> SmtpSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    async def close_if_idle(self, max_idle_seconds: float) -> None:
        # Ours to close politely before the server drops it (or a firewall forgets it).
        if self._client is not None and self.idle_seconds > max_idle_seconds:
            await self.close()

    async def send(self, data: bytes, *, sender: str, recipient: str) -> None:
        """Send one mail, already encoded (``adapters.message.compose``), to one recipient."""
        # Non-ASCII mailboxes need SMTPUTF8 (RFC 6531); aiosmtplib refuses them otherwise.
        utf8 = not (sender.isascii() and recipient.isascii())
        try:
            try:
                await self._transaction(data, sender, recipient, utf8=utf8)
            except _StaleConnection:
                self._reset()
                await self._transaction(data, sender, recipient, utf8=utf8)
        except aiosmtplib.SMTPRecipientRefused as exc:
            self._reset()
            raise SendFailed(exc.code, exc.message) from exc
        except aiosmtplib.SMTPDataError as exc:
            self._reset()
            raise SendFailed(exc.code, exc.message) from exc
        except _StaleConnection as exc:
            self._reset()
            cause = exc.__cause__
            raise SendFailed(None, f"{type(cause).__name__}: {cause}") from cause
        except aiosmtplib.SMTPResponseException as exc:
            # Greeting, HELO, STARTTLS, AUTH, MAIL FROM: the server or our setup, not the mail.
            self._reset()
            raise SendFailed(None, f"{exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            self._reset()
            raise SendFailed(None, f"{type(exc).__name__}: {exc}") from exc
        self._last_used = time.monotonic()

    async def _transaction(self, data: bytes, sender: str, recipient: str, *, utf8: bool) -> None:
        client = self._client
        kept = client is not None and client.is_connected
        if client is None or not kept:
            # Never opened, or the server closed it while idle (seen as EOF by the transport).
            self._reset()
            client = self._transport._client()
            await client.connect()
            self._client = client
            self.connections_opened += 1
        options = ["SMTPUTF8"] if utf8 else []
        encoding = "utf-8" if utf8 else "ascii"
        try:
            await client.mail(sender, options=options, encoding=encoding)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            if kept:
                raise _StaleConnection from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if kept and exc.code == _CLOSING:
                raise _StaleConnection from exc
            raise
        # From here on the server holds an envelope: a failure is reported, never re-sent here.
        await client.rcpt(recipient, encoding=encoding)
        await client.data(data)

    def _reset(self) -> None:
        # A connection that saw an error may be mid-transaction; a fresh one is simplest.
        client, self._client = self._client, None
        if client is not None:
            client.close()
