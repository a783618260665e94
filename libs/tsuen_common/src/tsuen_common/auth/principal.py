"""Who is calling, and which tenant they may touch: the role and the principal a token carries.

A token names one role and the tenant it is bound to:

=====================  ================  ===============  ===============
role                   ``municipality``  ``facility_id``  ``guardian_id``
=====================  ================  ===============  ===============
guardian               required          -                required
facility_staff         required          required         -
municipality_officer   required          -                -
platform_admin         -                 -                -
=====================  ================  ===============  ===============

Tokens are checked by :mod:`tsuen_common.auth.verifier` and minted by
:mod:`tsuen_common.auth.issuer`; this module does no I/O and knows no keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tsuen_common.auth.errors import Forbidden


class Role(StrEnum):
    GUARDIAN = "guardian"  # 保護者
    FACILITY_STAFF = "facility_staff"  # 施設職員
    MUNICIPALITY_OFFICER = "municipality_officer"  # 自治体職員
    PLATFORM_ADMIN = "platform_admin"


class Principal(BaseModel):
    """The verified caller. Tenant questions are answered here, without I/O.

    ``can_*`` methods answer yes/no; ``require_*`` methods raise :class:`Forbidden`.
    They check the tenant boundary only: an endpoint for officers still needs
    ``require_roles`` (see :mod:`tsuen_common.auth.dependencies`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str = Field(min_length=1)
    role: Role
    municipality: str | None = Field(default=None, pattern=r"^\d{6}$")
    facility_id: str | None = Field(default=None, min_length=1)
    guardian_id: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _tenant_claims_match_role(self) -> Self:
        if self.role is not Role.PLATFORM_ADMIN and self.municipality is None:
            raise ValueError(f"claim 'municipality' is required for role '{self.role}'")
        if self.role is Role.FACILITY_STAFF and self.facility_id is None:
            raise ValueError(f"claim 'facility_id' is required for role '{self.role}'")
        if self.role is Role.GUARDIAN and self.guardian_id is None:
            raise ValueError(f"claim 'guardian_id' is required for role '{self.role}'")
        return self

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        return cls(
            subject=claims.get("sub"),
            role=claims.get("role"),
            municipality=claims.get("municipality"),
            facility_id=claims.get("facility_id"),
            guardian_id=claims.get("guardian_id"),
        )

    def to_claims(self) -> dict[str, str]:
        """The tenant claims of this principal, as a token carries them (no iss/aud/exp/iat)."""
        claims = {"sub": self.subject, "role": str(self.role)}
        for name in ("municipality", "facility_id", "guardian_id"):
            value = getattr(self, name)
            if value is not None:
                claims[name] = value
        return claims

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.PLATFORM_ADMIN

    def can_access_municipality(self, municipality: str) -> bool:
        """Whether the caller belongs to this municipality's tenant (admins belong to all)."""
        return self.is_platform_admin or self.municipality == municipality

    def can_access_facility(self, municipality: str, facility_id: str) -> bool:
        """Officers see every facility of their municipality; staff only their own facility."""
        match self.role:
            case Role.PLATFORM_ADMIN:
                return True
            case Role.MUNICIPALITY_OFFICER:
                return self.municipality == municipality
            case Role.FACILITY_STAFF:
                return self.municipality == municipality and self.facility_id == facility_id
            case Role.GUARDIAN:
                return False

    def can_access_guardian(self, municipality: str, guardian_id: str) -> bool:
        """Officers see every guardian of their municipality; a guardian only themselves.

        Staff get no blanket access to guardians: an endpoint that shows staff a guardian's
        booking checks the booking's facility with :meth:`can_access_facility` instead.
        """
        match self.role:
            case Role.PLATFORM_ADMIN:
                return True
            case Role.MUNICIPALITY_OFFICER:
                return self.municipality == municipality
            case Role.GUARDIAN:
                return self.municipality == municipality and self.guardian_id == guardian_id
            case Role.FACILITY_STAFF:
                return False

    def require_municipality(self, municipality: str) -> None:
        if not self.can_access_municipality(municipality):
            raise Forbidden(f"{self.role} may not access municipality {municipality}")

    def require_facility(self, municipality: str, facility_id: str) -> None:
        if not self.can_access_facility(municipality, facility_id):
            raise Forbidden(
                f"{self.role} may not access facility {facility_id} of municipality {municipality}"
            )

    def require_guardian(self, municipality: str, guardian_id: str) -> None:
        if not self.can_access_guardian(municipality, guardian_id):
            raise Forbidden(
                f"{self.role} may not access guardian {guardian_id} of municipality {municipality}"
            )
