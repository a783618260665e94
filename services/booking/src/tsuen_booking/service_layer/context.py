"""What every use case needs: sessions, the outbox, the municipality policies and a clock."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tsuen_booking.domain.errors import MUNICIPALITY_NOT_FOUND_JA, Conflict, NotFound
from tsuen_common.messaging import Outbox
from tsuen_common.policy import MunicipalityPolicy, PolicyRegistry, UnknownMunicipality
from tsuen_common.timeutil import now_jst

P = ParamSpec("P")
T = TypeVar("T")

# Deadlock and serialisation failure: PostgreSQL chose this transaction as the victim; running
# it again is the documented remedy.
_RETRYABLE = {"40P01", "40001"}
_ATTEMPTS = 3


@dataclass
class Context:
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    policies: PolicyRegistry
    clock: Callable[[], datetime] = field(default=now_jst)
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


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def retry_on_conflict(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run a whole-transaction use case again if PostgreSQL aborted it as a deadlock victim."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return await fn(*args, **kwargs)
            except DBAPIError as exc:
                if _sqlstate(exc) not in _RETRYABLE:
                    raise
                if attempt == _ATTEMPTS:
                    raise Conflict(
                        "too many simultaneous changes; please try again",
                        message_ja="同時に多くの変更があり、処理できませんでした。少し待ってから、もう一度お試しください。",
                    ) from None
        raise AssertionError("unreachable")

    return wrapper


def claim_uuid(value: str | None) -> uuid.UUID:
    """A token's facility or guardian id as a UUID; one that is not a UUID matches nothing here
    (the nil UUID is never an id), rather than failing the request."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)
