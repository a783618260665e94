"""Refresh tokens: opaque, stored as a digest, rotated on every use, killed by logout-all.

A refresh token that was already rotated and comes back has been copied: the holder and a
thief both have it. The answer is to end every session of the account (reuse detection,
OAuth 2.0 Security BCP §4.14.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tsuen_identity.domain.errors import InvalidRefreshToken


class RefreshVerdict(StrEnum):
    VALID = "valid"
    REUSED = "reused"  # rotated before: revoke the whole account's sessions


@dataclass(frozen=True)
class RefreshToken:
    generation: int
    expires_at: datetime
    revoked_at: datetime | None = None
    rotated_at: datetime | None = None

    def verdict(self, *, now: datetime, account_generation: int) -> RefreshVerdict:
        """VALID or REUSED, or raise :class:`InvalidRefreshToken` (expired, revoked, stale)."""
        if self.rotated_at is not None:
            return RefreshVerdict.REUSED
        if self.revoked_at is not None or self.generation != account_generation:
            raise InvalidRefreshToken("the session has ended; log in again")
        if now >= self.expires_at:
            raise InvalidRefreshToken("the session has expired; log in again")
        return RefreshVerdict.VALID
