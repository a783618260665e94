"""Mails of accounts (identity): the set-password link of a new account, a reset link and a
lockout, to guardians and to staff alike."""

from __future__ import annotations

from urllib.parse import urlsplit

from tsuen_common.events.identity import AccountIssued, AccountLocked, PasswordResetRequested
from tsuen_notification.domain.formatting import datetime_ja
from tsuen_notification.domain.notices.model import Notice, RecipientKind, Template, When


def _reset_page(link: str) -> str:
    """The portal's reset page, beside the link's own set-password page."""
    parts = urlsplit(link)
    return f"{parts.scheme}://{parts.netloc}/password/reset"


def _holder(role: str) -> RecipientKind:
    return RecipientKind.GUARDIAN if role == "guardian" else RecipientKind.STAFF


def password_setup(p: AccountIssued, when: When) -> list[Notice]:
    # No stale_after: even after the link expired, the mail tells that the account exists
    # and how to get a new link.
    return [
        Notice(
            Template.PASSWORD_SETUP,
            str(p.email),
            _holder(p.role),
            {
                "url": p.url,
                "expires_at": datetime_ja(p.expires_at),
                "reset_url": _reset_page(p.url),
                "login_id": str(p.email),
            },
        )
    ]


def password_reset(p: PasswordResetRequested, when: When) -> list[Notice]:
    return [
        Notice(
            Template.PASSWORD_RESET,
            str(p.email),
            _holder(p.role),
            {
                "url": p.url,
                "expires_at": datetime_ja(p.expires_at),
                "reset_url": _reset_page(p.url),
            },
            stale_after=p.expires_at,
        )
    ]


def account_locked(p: AccountLocked, when: When) -> list[Notice]:
    return [
        Notice(
            Template.ACCOUNT_LOCKED,
            str(p.email),
            _holder(p.role),
            {"locked_until": datetime_ja(p.locked_until)},
        )
    ]
