"""What every booking use case needs: the shared use-case context (``tsuen_common.usecase``:
sessions, the outbox, the clock, ``transaction()``) with the municipality policies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_booking.domain.errors import MUNICIPALITY_NOT_FOUND_JA, NotFound
from tsuen_common.policy import MunicipalityPolicy, PolicyRegistry, UnknownMunicipality
from tsuen_common.usecase import UseCaseContext, retry_on_conflict

__all__ = ["Context", "claim_uuid", "retry_on_conflict"]


@dataclass(kw_only=True)
class Context(UseCaseContext):
    policies: PolicyRegistry
    engine: AsyncEngine | None = None
    """Set when this context owns its engine (the HTTP app); :meth:`close` disposes it."""
    remembered: dict[str, Any] = field(default_factory=dict)
    """Per-process caches of the use cases, by name (``hot_path.Snapshots``)."""

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()

    def policy(self, municipality: str) -> MunicipalityPolicy:
        try:
            return self.policies.get(municipality)
        except UnknownMunicipality:
            raise NotFound(
                f"municipality {municipality} does not run the scheme here",
                message_ja=MUNICIPALITY_NOT_FOUND_JA,
            ) from None


def claim_uuid(value: str | None) -> uuid.UUID:
    """A token's facility or guardian id as a UUID; one that is not a UUID matches nothing here
    (the nil UUID is never an id), rather than failing the request."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)
