"""One-time links (set a password for a new account, or reset it): random, single use, expiring.

Only the SHA-256 digest of the link's secret is stored: a copy of the database cannot be turned
into working links. 32 random bytes make the digest safe without a salt or a slow hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from tsuen_identity.domain.errors import LinkExpired, LinkUsed

SECRET_BYTES = 32


class LinkPurpose(StrEnum):
    SET_PASSWORD = "set"  # noqa: S105 - a purpose, not a password: the account mail
    RESET = "reset"  # パスワード再設定


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_url(portal_base_url: str, secret: str, purpose: LinkPurpose) -> str:
    query = {"token": secret}
    if purpose is LinkPurpose.RESET:
        query["purpose"] = "reset"
    return f"{portal_base_url.rstrip('/')}/password/set?{urlencode(query)}"


def reset_page(portal_base_url: str) -> str:
    return f"{portal_base_url.rstrip('/')}/password/reset"


@dataclass(frozen=True)
class OneTimeLink:
    purpose: LinkPurpose
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    @classmethod
    def issue(cls, purpose: LinkPurpose, *, now: datetime, ttl: timedelta) -> OneTimeLink:
        return cls(purpose, created_at=now, expires_at=now + ttl)

    def check_usable(self, now: datetime, *, portal_base_url: str) -> None:
        """Raise :class:`LinkUsed` or :class:`LinkExpired` (saying how to get a new link)."""
        if self.used_at is not None:
            raise LinkUsed(
                "this link has already been used; log in with your password, or ask for a "
                f"new link at {reset_page(portal_base_url)} if you do not know it",
                # The Japanese is shown on a page whose button leads there: no raw URL in it.
                message_ja="このリンクは使用済みです。設定したパスワードでログインしてください。"
                "パスワードがわからない場合は、パスワード再設定のページから新しいリンクを"
                "請求してください。",
            )
        if now >= self.expires_at:
            raise LinkExpired(
                "this link has expired; ask for a new one on the password reset page "
                f"{reset_page(portal_base_url)} with your e-mail address",
                message_ja="このリンクは有効期限が切れています。パスワード再設定のページで"
                "メールアドレスを入力すると、新しいリンクをお送りします。",
            )
