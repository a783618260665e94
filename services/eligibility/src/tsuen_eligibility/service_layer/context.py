"""What every use case needs: sessions, the outbox, policies, settings and the clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.policy import MunicipalityPolicy, PolicyRegistry, UnknownMunicipality
from tsuen_common.usecase import UseCaseContext
from tsuen_eligibility.adapters import audit_store
from tsuen_eligibility.config import Settings
from tsuen_eligibility.service_layer.errors import MUNICIPALITY_NOT_FOUND_JA, NotFound


@dataclass(kw_only=True)
class Eligibility(UseCaseContext):
    """Eligibility's use-case context: the shared one (sessions, outbox, clock, ``now()``,
    ``transaction()``) with the municipality policies and the service's settings."""

    policies: PolicyRegistry
    settings: Settings

    def policy(self, municipality: str) -> MunicipalityPolicy:
        try:
            return self.policies.get(municipality)
        except UnknownMunicipality:
            raise NotFound(
                f"municipality {municipality} does not run the scheme on this platform; "
                "check the 6-digit municipality code",
                message_ja=MUNICIPALITY_NOT_FOUND_JA,
            ) from None


async def audit(
    session: AsyncSession,
    *,
    municipality: str,
    actor: str,
    action: str,
    at: datetime,
    application_id: uuid.UUID | None = None,
    certification_id: uuid.UUID | None = None,
    round_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One line of the audit trail (who did what, when), in the use case's transaction."""
    await audit_store.add_line(
        session,
        municipality=municipality,
        at=at,
        actor=actor,
        action=action,
        application_id=application_id,
        certification_id=certification_id,
        round_id=round_id,
        detail=detail or {},
    )
