"""What every identity use case works with, built once (service_layer.wiring)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tsuen_common.auth import TokenIssuer
from tsuen_common.sealed import SecretBox
from tsuen_common.usecase import UseCaseContext
from tsuen_identity.adapters.hashing import Passwords
from tsuen_identity.domain.policy import IdentityPolicy


@dataclass(kw_only=True)
class Identity(UseCaseContext):
    """Identity's use-case context: the shared one (sessions, outbox, clock, ``now()``,
    ``transaction()``) with what accounts and logins need."""

    policy: IdentityPolicy
    passwords: Passwords
    portal_base_url: str
    # Signs access tokens: only the API process has the private key; None elsewhere.
    signer: TokenIssuer | None = None
    # Roles that log in with a second factor (officers by default) and the box that seals
    # their TOTP secrets at rest (domain/second_factor.py).
    second_factor_roles: frozenset[str] = frozenset({"municipality_officer"})
    box: SecretBox = field(default_factory=lambda: SecretBox({}, current=None))

    def require_signer(self) -> TokenIssuer:
        if self.signer is None:
            raise RuntimeError("this process has no signing key (TSUEN_IDENTITY_SIGNING_KEY_FILE)")
        return self.signer
