"""Limits on how often one address or one client may ask for something that costs others.

An unauthenticated request that sends mail (application links) or does heavy work (a lottery
replay) is limited per e-mail address and per client, so nobody can bomb someone else's inbox
or keep a service busy. The counters live in the service's own PostgreSQL (one row per key and
window, one statement per check), so every API worker and replica shares them; a process-local
counter would multiply the limit by the number of workers.

Keys never hold personal data: an e-mail address is hashed before it becomes a key.

Fixed windows: a key may be hit ``limit`` times in each window of ``window`` length; the answer
to the next hit says how many seconds remain until the window ends (``Retry-After``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


def add_rate_limit_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "rate_limits",
        metadata,
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
    )


def create_rate_limit_table() -> None:
    """For a service's Alembic migration."""
    from alembic import op

    op.create_table(
        "rate_limits",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start"),
    )


@dataclass(frozen=True)
class Rate:
    limit: int
    window: timedelta


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int


class RateLimited(Exception):
    """Too many requests; ``retry_after_seconds`` says when to try again."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            f"too many requests; try again in {retry_after_seconds} seconds",
        )
        self.retry_after_seconds = retry_after_seconds
        minutes = max(1, math.ceil(retry_after_seconds / 60))
        self.message_ja = (
            f"短い時間に何度も送信されたため、受け付けを一時停止しています。"
            f"{minutes}分ほどたってから、もう一度お試しください。"
        )


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed window ``now`` falls in (windows are aligned to the epoch)."""
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def decide(hits: int, rate: Rate, now: datetime) -> RateDecision:
    """The ``hits``-th hit in the window: allowed while within the limit."""
    if hits <= rate.limit:
        return RateDecision(True, 0)
    end = window_start(now, rate.window) + rate.window
    return RateDecision(False, max(1, math.ceil((end - now).total_seconds())))


def address_key(scope: str, email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"{scope}:address:{digest}"


def client_key(scope: str, client: str | None) -> str:
    return f"{scope}:client:{client or 'unknown'}"


async def hit(
    session: AsyncSession, table: sa.Table, key: str, rate: Rate, *, now: datetime
) -> RateDecision:
    """Count one hit on ``key`` (in the caller's transaction) and say whether it is allowed."""
    start = window_start(now, rate.window)
    statement = (
        insert(table)
        .values(key=key, window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"hits": table.c.hits + 1}
        )
        .returning(table.c.hits)
    )
    hits = (await session.execute(statement)).scalar_one()
    if hits == 1:
        # The first hit of a window clears the key's old windows: the table stays small.
        await session.execute(
            sa.delete(table).where(table.c.key == key, table.c.window_start < start)
        )
    return decide(hits, rate, now)


async def check(
    session: AsyncSession, table: sa.Table, limits: list[tuple[str, Rate]], *, now: datetime
) -> None:
    """Hit every (key, rate); raise :class:`RateLimited` with the longest wait if any refuses."""
    waits = [
        decision.retry_after_seconds
        for key, rate in limits
        if not (decision := await hit(session, table, key, rate, now=now)).allowed
    ]
    if waits:
        raise RateLimited(max(waits))
