"""One-time application links (利用申請URL): only a hash of the token is ever stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

TOKEN_BYTES = 32


class LinkError(Exception):
    """The link cannot be used; the message tells the guardian what to do."""


class LinkExpired(LinkError):
    pass


class LinkAlreadyUsed(LinkError):
    pass


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    # A database leak must not hand out working links, so the token itself is never stored.
    return hashlib.sha256(token.encode()).hexdigest()


def link_expiry(issued_at: datetime, validity_hours: int) -> datetime:
    """Kakegawa: "受信から1日間有効"; the hours come from the municipality's policy."""
    return issued_at + timedelta(hours=validity_hours)


def check_link_usable(*, expires_at: datetime, used_at: datetime | None, now: datetime) -> None:
    """Raise if the link cannot open an application form at ``now``.

    The expiry instant itself is already too late: the link is valid for the period, not after.
    """
    if used_at is not None:
        raise LinkAlreadyUsed(
            "this application link has already been used; request a new link with your e-mail "
            "address (siblings apply separately, each with a new link)"
        )
    if now >= expires_at:
        raise LinkExpired(
            "this application link has expired; request a new link with your e-mail address"
        )
