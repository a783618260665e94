"""What every use case works with, the same in every service (issue 14).

A service's context (booking's ``Context``, eligibility's ``Eligibility``, identity's
``Identity``, billing's ``Billing``) extends :class:`UseCaseContext` with what only it needs
(policies, settings, prices, a signer…). A use case then reads the same everywhere:

    @retry_on_conflict
    async def cancel(ctx, ...):
        async with ctx.transaction() as session:
            ...                           # state change
            await ctx.outbox.add(session, event, municipality=code)   # its event, same commit

``transaction()`` is one unit of work: the state change and its outbox rows commit together or
not at all. ``retry_on_conflict`` runs a whole use case again when PostgreSQL aborted it as a
deadlock victim or a serialization failure — the documented remedy — and after the last attempt
answers 409 with a Japanese message instead of a 500.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tsuen_common.errors import Conflict
from tsuen_common.messaging import Outbox
from tsuen_common.timeutil import JST, now_jst

__all__ = ["RETRYABLE_SQLSTATES", "UseCaseContext", "retry_on_conflict"]

P = ParamSpec("P")
T = TypeVar("T")

# Deadlock detected, serialization failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
_ATTEMPTS = 3
TOO_MANY_CHANGES_JA = (
    "同時に多くの変更があり、処理できませんでした。少し待ってから、もう一度お試しください。"
)


@dataclass(kw_only=True)
class UseCaseContext:
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    # Injected so tests and operator commands (``--on DATE``) can say what "now" is.
    clock: Callable[[], datetime] = field(default=now_jst)

    def now(self) -> datetime:
        """Now, in Japan."""
        return self.clock().astimezone(JST)

    def today(self) -> date:
        """Today's date in Japan."""
        return self.now().date()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        async with self.sessions() as session, session.begin():
            yield session


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def retry_on_conflict(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run a whole-transaction use case again if PostgreSQL aborted it as a deadlock victim or
    a serialization failure; 409 (Japanese message) after the last attempt."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return await fn(*args, **kwargs)
            except DBAPIError as exc:
                if _sqlstate(exc) not in RETRYABLE_SQLSTATES:
                    raise
                if attempt == _ATTEMPTS:
                    raise Conflict(
                        "too many simultaneous changes; please try again",
                        message_ja=TOO_MANY_CHANGES_JA,
                    ) from None
        raise AssertionError("unreachable")

    return wrapper
