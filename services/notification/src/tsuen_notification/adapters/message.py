"""One notice as an RFC 5322 message: UTF-8, MIME multipart/alternative, encoded headers.

- Subject and the From display name are non-ASCII, so they go out as RFC 2047 encoded words
  (``=?utf-8?b?...?=``); the addresses themselves stay ASCII.
- Both bodies are UTF-8 in base64: 7-bit safe through any relay, and Japanese text has no long
  ASCII runs that quoted-printable would keep readable anyway.
- Message-ID is derived from the notice id (event, recipient, template), so the one duplicate a
  crash can cause carries the same Message-ID as the first copy.

:func:`compose` writes the bytes that go on the wire directly. Building an
``email.message.EmailMessage`` and flattening it cost ~3 ms of CPU per mail here (the
library re-parses and re-folds every header on every message), more than everything else the
sender does for a mail. The headers that need real encoding — From and Subject, the same for
every mail of a municipality and template — are still encoded and folded by the standard
library, once, and cached; what varies per mail (To, Date, Message-ID) is plain ASCII and is
written as is when it is simple, or handed to the library otherwise.
"""

from __future__ import annotations

import base64
import email
import email.policy
import re
import uuid
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache

from tsuen_common.policy import NotificationPolicy
from tsuen_notification.adapters.rendering import RenderedMail

_POLICY = email.policy.SMTP  # CRLF line ends, 78-column folding, 7-bit
# For a mailbox that is not ASCII (保護者@例え.jp): RFC 2047 cannot encode an address, so the
# header goes out as UTF-8 (RFC 6532), as the SMTP adapter then asks for SMTPUTF8.
_UTF8_POLICY = _POLICY.clone(utf8=True)
# A header value that needs neither encoding nor folding: printable ASCII, single spaces.
_SIMPLE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
# An addr-spec with nothing a header parser could read as a second address or a comment.
_SIMPLE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def message_id(notice_id: uuid.UUID, sender_address: str) -> str:
    domain = sender_address.rsplit("@", 1)[-1]
    return f"<{notice_id}@{domain}>"


def compose(
    *,
    notice_id: uuid.UUID,
    mail: RenderedMail,
    recipient: str,
    sender: NotificationPolicy,
    date: datetime,
) -> bytes:
    """The message as it goes to the SMTP server (CRLF line ends, ASCII only)."""
    address = str(sender.sender_address)
    # Neither base64 nor our headers can contain "=_", so the boundary never occurs in a part.
    boundary = f"=_{uuid.uuid4().hex}"
    head = [
        _from(sender.sender_name, address),
        _header("To", recipient, simple=_SIMPLE_ADDRESS),
    ]
    if sender.reply_to:
        head.append(_folded_address("Reply-To", str(sender.reply_to)))
    head += [
        _folded("Subject", mail.subject),
        _header("Date", format_datetime(date)),
        _header("Message-ID", message_id(notice_id, address)),
        # RFC 3834: an automatic notice; well-behaved auto-responders do not answer it.
        b"Auto-Submitted: auto-generated\r\n",
        b"MIME-Version: 1.0\r\n",
        b'Content-Type: multipart/alternative;\r\n boundary="' + boundary.encode() + b'"\r\n',
    ]
    delimiter = b"\r\n--" + boundary.encode()
    return b"".join(
        [
            *head,
            b"\r\n",
            delimiter[2:],
            _part("plain", mail.text),
            delimiter,
            _part("html", mail.html),
            delimiter,
            b"--\r\n",
        ]
    )


def build_message(
    *,
    notice_id: uuid.UUID,
    mail: RenderedMail,
    recipient: str,
    sender: NotificationPolicy,
    date: datetime,
) -> EmailMessage:
    """:func:`compose` as an ``EmailMessage``, for tools and tests that want one."""
    raw = compose(notice_id=notice_id, mail=mail, recipient=recipient, sender=sender, date=date)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _part(subtype: str, text: str) -> bytes:
    # Line ends as EmailMessage.set_content makes them: "\n" only (a typed reason may carry
    # "\r\n" or a lone "\r"), and a final one.
    lines = text.encode("utf-8").splitlines()
    body = base64.encodebytes(b"\n".join(lines) + b"\n").replace(b"\n", b"\r\n")
    return (
        b"\r\nContent-Type: text/" + subtype.encode() + b'; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + body
    )


def _header(name: str, value: str, *, simple: re.Pattern[str] = _SIMPLE) -> bytes:
    if len(name) + 2 + len(value) <= 78 and simple.fullmatch(value):
        return f"{name}: {value}\r\n".encode("ascii")
    # A display name is RFC 2047-encoded as always; only a mailbox that is not ASCII needs
    # the header in UTF-8.
    policy = _POLICY if parseaddr(value)[1].isascii() else _UTF8_POLICY
    return policy.fold_binary(name, policy.header_store_parse(name, value)[1])


@lru_cache(maxsize=256)
def _folded_address(name: str, value: str) -> bytes:
    return _header(name, value, simple=_SIMPLE_ADDRESS)


@lru_cache(maxsize=1024)
def _folded(name: str, value: str) -> bytes:
    return _POLICY.fold_binary(name, _POLICY.header_store_parse(name, value)[1])


@lru_cache(maxsize=256)
def _from(display_name: str, address: str) -> bytes:
    local, _, domain = address.rpartition("@")
    value = Address(display_name=display_name, username=local, domain=domain)
    policy = _POLICY if address.isascii() else _UTF8_POLICY
    return policy.fold_binary("From", policy.header_store_parse("From", value)[1])
