"""Accounts: who may log in, as what role, for which tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tsuen_common.auth import Principal, Role


def normalise_email(email: str) -> str:
    """The login ID: an e-mail address compared without regard to case or outer spaces."""
    return email.strip().lower()


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    role: Role
    municipality: str | None
    email: str
    facility_id: uuid.UUID | None = None
    token_generation: int = 0
    # An officer disabled it: no login, no refresh, no reset mail (domain/account_admin.py).
    disabled: bool = False

    def principal(self) -> Principal:
        """The claims an access token carries: a guardian's id is the account id."""
        return Principal(
            subject=str(self.id),
            role=self.role,
            municipality=self.municipality,
            guardian_id=str(self.id) if self.role is Role.GUARDIAN else None,
            facility_id=str(self.facility_id) if self.facility_id is not None else None,
        )
