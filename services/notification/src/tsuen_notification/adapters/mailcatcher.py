"""A local mail catcher for development: an SMTP server that keeps mails, and a page to read them.

    tsuen-notification mailcatcher --smtp-port 1025 --http-port 8025
    open http://127.0.0.1:8025/

Nothing is relayed anywhere; mails live in memory (the newest ``limit``) until the process ends.
The integration tests use the same :class:`MailCatcher` as their SMTP server. aiosmtpd is a
development dependency, so it is imported only when the catcher actually runs.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import html
import itertools
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, PlainTextResponse

from tsuen_common.timeutil import now_jst


@dataclass(frozen=True)
class CaughtMail:
    id: int
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def body(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None:
            return None
        content = part.get_content()
        return content if isinstance(content, str) else None

    def summary(self) -> dict[str, Any]:
        msg = self.message
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "from": str(msg["From"]),
            "to": list(self.rcpt_tos),
            "subject": str(msg["Subject"]),
            "date": str(msg["Date"]),
            "message_id": str(msg["Message-ID"]),
        }


class MailCatcher:
    """An aiosmtpd handler that keeps every mail it is given (thread-safe: aiosmtpd's
    ``Controller`` runs the server in its own thread)."""

    def __init__(self, limit: int = 1000) -> None:
        self._mails: deque[CaughtMail] = deque(maxlen=limit)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        with self._lock:
            self._mails.append(
                CaughtMail(
                    id=next(self._ids),
                    received_at=now_jst(),
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    raw=raw if isinstance(raw, bytes) else raw.encode(),
                )
            )
        return "250 Message accepted for delivery"

    @property
    def mails(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._mails)

    def get(self, mail_id: int) -> CaughtMail | None:
        return next((m for m in self.mails if m.id == mail_id), None)

    def clear(self) -> None:
        with self._lock:
            self._mails.clear()


def catcher_app(catcher: MailCatcher) -> FastAPI:
    app = FastAPI(title="tsuen mail catcher", version="1")

    @app.get("/", response_class=HTMLResponse, summary="Every caught mail, newest first")
    async def index() -> str:
        rows = "".join(
            f"<tr><td>{m['id']}</td><td>{_e(m['received_at'])}</td><td>{_e(m['from'])}</td>"
            f"<td>{_e(', '.join(m['to']))}</td>"
            f"<td><a href='/mails/{m['id']}'>{_e(m['subject'])}</a></td></tr>"
            for m in (mail.summary() for mail in reversed(catcher.mails))
        )
        return _page(
            "tsuen mail catcher",
            f"<p>{len(catcher.mails)} mails. SMTP accepts anything; nothing leaves this "
            "machine.</p><table border='1' cellpadding='4'><tr><th>#</th><th>received</th>"
            f"<th>from</th><th>to</th><th>subject</th></tr>{rows}</table>",
        )

    @app.get("/api/mails", summary="Caught mails as JSON, with decoded bodies")
    async def list_json() -> list[dict[str, Any]]:
        return [
            {**m.summary(), "text": m.body("plain"), "html": m.body("html")} for m in catcher.mails
        ]

    @app.get("/mails/{mail_id}", response_class=HTMLResponse, summary="One mail, decoded")
    async def detail(mail_id: int) -> str:
        mail = _found(catcher, mail_id)
        s = mail.summary()
        html_part = mail.body("html")
        # The HTML part is shown in a sandboxed frame: no scripts, no navigation of this page.
        frame = (
            f'<h2>HTML</h2><iframe sandbox srcdoc="{_e(html_part)}" '
            "style='width:100%;height:30em;border:1px solid #ccc'></iframe>"
            if html_part
            else ""
        )
        return _page(
            s["subject"],
            f"<p><a href='/'>← all mails</a> · <a href='/mails/{mail_id}/raw'>source</a></p>"
            f"<table><tr><th align='left'>From</th><td>{_e(s['from'])}</td></tr>"
            f"<tr><th align='left'>To</th><td>{_e(', '.join(s['to']))}</td></tr>"
            f"<tr><th align='left'>Date</th><td>{_e(s['date'])}</td></tr>"
            f"<tr><th align='left'>Message-ID</th><td>{_e(s['message_id'])}</td></tr></table>"
            f"<h2>Text</h2><pre style='white-space:pre-wrap'>{_e(mail.body('plain') or '')}</pre>"
            f"{frame}",
        )

    @app.get("/mails/{mail_id}/raw", response_class=PlainTextResponse, summary="Mail source")
    async def raw(mail_id: int) -> str:
        return _found(catcher, mail_id).raw.decode("ascii", errors="replace")

    @app.delete("/api/mails", status_code=204, summary="Forget every caught mail")
    async def clear() -> None:
        catcher.clear()

    return app


def _found(catcher: MailCatcher, mail_id: int) -> CaughtMail:
    mail = catcher.get(mail_id)
    if mail is None:
        raise HTTPException(404, f"no mail #{mail_id} (the catcher keeps the newest only)")
    return mail


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><title>{_e(title)}</title>"
        "</head><body style='font-family:sans-serif'>"
        f"<h1>{_e(title)}</h1>{body}</body></html>"
    )


async def run_mailcatcher(host: str, smtp_port: int, http_port: int) -> None:
    import uvicorn
    from aiosmtpd.smtp import SMTP as SMTPServer

    catcher = MailCatcher()
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(
        lambda: SMTPServer(catcher, hostname="tsuen-mailcatcher", enable_SMTPUTF8=True),
        host=host,
        port=smtp_port,
    )
    server = uvicorn.Server(
        uvicorn.Config(catcher_app(catcher), host=host, port=http_port, log_config=None)
    )
    try:
        await server.serve()
    finally:
        smtp.close()
        await smtp.wait_closed()
