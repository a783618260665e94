"""What every identity use case works with, built once (service_layer.wiring)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tsuen_common.auth import TokenIssuer
from tsuen_common.messaging import Outbox
from tsuen_common.sealed import SecretBox
from tsuen_common.timeutil import now_jst
from tsuen_identity.adapters.hashing import Passwords
from tsuen_identity.domain.policy import IdentityPolicy


@dataclass
class Identity:
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    policy: IdentityPolicy
    passwords: Passwords
    portal_base_url: str
    # Signs access tokens: only the API process has the private key; None elsewhere.
    signer: TokenIssuer | None = None
    now: Callable[[], datetime] = now_jst
    # Roles that log in with a second factor (officers by default) and the box that seals
    # their TOTP secrets at rest (domain/second_factor.py).
    second_factor_roles: frozenset[str] = frozenset({"municipality_officer"})
    box: SecretBox = field(default_factory=lambda: SecretBox({}, current=None))

    def require_signer(self) -> TokenIssuer:
        if self.signer is None:
            raise RuntimeError("this process has no signing key (TSUEN_IDENTITY_SIGNING_KEY_FILE)")
        return self.signer
