"""SQL of the second factor (secrets and login challenges); the rules are in
``domain/second_factor.py``, the use cases in ``service_layer/second_factor.py``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_identity.adapters.orm import login_challenges, second_factors


@dataclass(frozen=True)
class StoredFactor:
    sealed_secret: bytes
    confirmed: bool
    last_step: int | None


@dataclass(frozen=True)
class StoredChallenge:
    account_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None
    attempts: int


async def factor(
    session: AsyncSession, account_id: uuid.UUID, *, for_update: bool = False
) -> StoredFactor | None:
    query = sa.select(second_factors).where(second_factors.c.account_id == account_id)
    row = (await session.execute(query.with_for_update() if for_update else query)).first()
    if row is None:
        return None
    return StoredFactor(bytes(row.sealed_secret), row.confirmed_at is not None, row.last_step)


async def replace_unconfirmed(session: AsyncSession, account_id: uuid.UUID, sealed: bytes) -> None:
    """A new secret to enrol; never replaces a confirmed one."""
    insert = pg_insert(second_factors).values(account_id=account_id, sealed_secret=sealed)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[second_factors.c.account_id],
            set_={"sealed_secret": sealed, "last_step": None},
            where=second_factors.c.confirmed_at.is_(None),
        )
    )


async def record_step(
    session: AsyncSession, account_id: uuid.UUID, step: int, now: datetime
) -> None:
    """The code of ``step`` was used (and, on the first one, the secret is confirmed)."""
    await session.execute(
        sa.update(second_factors)
        .where(second_factors.c.account_id == account_id)
        .values(
            last_step=step,
            confirmed_at=sa.func.coalesce(second_factors.c.confirmed_at, now),
        )
    )


async def remove(session: AsyncSession, account_id: uuid.UUID) -> bool:
    """The operator's reset (a lost phone): the next login enrols again."""
    result = await session.execute(
        sa.delete(second_factors).where(second_factors.c.account_id == account_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def insert_challenge(
    session: AsyncSession, token_digest: str, account_id: uuid.UUID, expires_at: datetime
) -> None:
    await session.execute(
        sa.insert(login_challenges).values(
            token_digest=token_digest, account_id=account_id, expires_at=expires_at
        )
    )


async def challenge_for_update(session: AsyncSession, token_digest: str) -> StoredChallenge | None:
    row = (
        await session.execute(
            sa.select(login_challenges)
            .where(login_challenges.c.token_digest == token_digest)
            .with_for_update()
        )
    ).first()
    if row is None:
        return None
    return StoredChallenge(row.account_id, row.expires_at, row.used_at, row.attempts)


async def count_attempt(session: AsyncSession, token_digest: str) -> None:
    await session.execute(
        sa.update(login_challenges)
        .where(login_challenges.c.token_digest == token_digest)
        .values(attempts=login_challenges.c.attempts + 1)
    )


async def use_challenge(session: AsyncSession, token_digest: str, now: datetime) -> None:
    await session.execute(
        sa.update(login_challenges)
        .where(login_challenges.c.token_digest == token_digest)
        .values(used_at=now)
    )


async def purge_challenges(session: AsyncSession, *, before: datetime) -> int:
    result = await session.execute(
        sa.delete(login_challenges).where(login_challenges.c.expires_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
