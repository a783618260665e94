"""One notice as an RFC 5322 message: UTF-8, MIME multipart/alternative, encoded headers.

- Subject and the From display name are non-ASCII, so they go out as RFC 2047 encoded words
  (``=?utf-8?b?...?=``); the addresses themselves stay ASCII.
- Both bodies are UTF-8 in base64: 7-bit safe through any relay, and Japanese text has no long
  ASCII runs that quoted-printable would keep readable anyway.
- Message-ID is derived from the notice id (event, recipient, template), so the one duplicate a
  crash can cause carries the same Message-ID as the first copy.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from tsuen_common.policy import NotificationPolicy
from tsuen_notification.adapters.rendering import RenderedMail


def message_id(notice_id: uuid.UUID, sender_address: str) -> str:
    domain = sender_address.rsplit("@", 1)[-1]
    return f"<{notice_id}@{domain}>"


def build_message(
    *,
    notice_id: uuid.UUID,
    mail: RenderedMail,
    recipient: str,
    sender: NotificationPolicy,
    date: datetime,
) -> EmailMessage:
    msg = EmailMessage()
    local, _, domain = str(sender.sender_address).rpartition("@")
    msg["From"] = Address(display_name=sender.sender_name, username=local, domain=domain)
    msg["To"] = recipient
    if sender.reply_to:
        msg["Reply-To"] = str(sender.reply_to)
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id(notice_id, str(sender.sender_address))
    # RFC 3834: an automatic notice; well-behaved auto-responders do not answer it.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text, charset="utf-8", cte="base64")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte="base64")
    return msg
