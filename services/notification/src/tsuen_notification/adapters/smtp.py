"""Sending over SMTP with aiosmtplib: one connection per batch, failures as :class:`SendFailed`.

What counts against *this mail* is only the server's verdict on it: a refused recipient or
refused data (4xx temporary, 5xx permanent). Everything else — no connection, a timeout, a
failed greeting, TLS or login — is about the server or our configuration, never about the mail,
so it is reported without a code and retried: a wrong password must not turn a morning's notices
into permanent failures that each need a resend.
"""

from __future__ import annotations

from email.message import EmailMessage
from types import TracebackType
from typing import Literal

import aiosmtplib

from tsuen_notification.domain.delivery import FailureKind, classify_smtp_failure

Security = Literal["none", "starttls", "tls"]


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


class SmtpSession:
    """Connects on the first mail and reuses the connection; reconnects after any failure."""

    def __init__(self, transport: SmtpTransport) -> None:
        self._transport = transport
        self._client: aiosmtplib.SMTP | None = None

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

    async def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None:
        try:
            if self._client is None:
                client = self._transport._client()
                await client.connect()
                self._client = client
            await self._client.send_message(message, sender=sender, recipients=[recipient])
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            await self._reset()
            raise SendFailed(refused.code, refused.message) from exc
        except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPRecipientRefused) as exc:
            await self._reset()
            raise SendFailed(exc.code, exc.message) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # Greeting, HELO, STARTTLS, AUTH, MAIL FROM: the server or our setup, not the mail.
            await self._reset()
            raise SendFailed(None, f"{exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self._reset()
            raise SendFailed(None, f"{type(exc).__name__}: {exc}") from exc

    async def _reset(self) -> None:
        # A connection that saw an error may be mid-transaction; a fresh one is simplest.
        client, self._client = self._client, None
        if client is not None:
            client.close()
