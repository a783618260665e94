"""Reading and writing guardian accounts and their pending e-mail address changes.

Who joins which account, and when a new address may be used, is decided in
service_layer/guardians.py; nothing here decides it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import email_changes, guardian_accounts

# -- accounts ----------------------------------------------------------------------------------


async def account_of_email_for_update(
    session: AsyncSession, *, municipality: str, email: str, identity_if_new: str
) -> Row[Any]:
    """The account of this address (id, identity_key), locked; made with ``identity_if_new``
    when the address has none yet."""
    # Insert-or-nothing first, so two approvals at once for one new address make one account.
    await session.execute(
        insert(guardian_accounts)
        .values(
            id=uuid.uuid4(), municipality=municipality, email=email, identity_key=identity_if_new
        )
        .on_conflict_do_nothing(constraint="uq_guardian_accounts_email")
    )
    return (
        await session.execute(
            sa.select(guardian_accounts.c.id, guardian_accounts.c.identity_key)
            .where(
                guardian_accounts.c.municipality == municipality,
                guardian_accounts.c.email == email,
            )
            .with_for_update()
        )
    ).one()


async def set_identity(session: AsyncSession, account_id: uuid.UUID, identity: str) -> None:
    await session.execute(
        sa.update(guardian_accounts)
        .where(guardian_accounts.c.id == account_id)
        .values(identity_key=identity)
    )


async def email_of(session: AsyncSession, guardian_id: uuid.UUID) -> str:
    return str(
        (
            await session.execute(
                sa.select(guardian_accounts.c.email).where(guardian_accounts.c.id == guardian_id)
            )
        ).scalar_one()
    )


async def set_email(session: AsyncSession, guardian_id: uuid.UUID, email: str) -> None:
    await session.execute(
        sa.update(guardian_accounts)
        .where(guardian_accounts.c.id == guardian_id)
        .values(email=email)
    )


async def another_account_uses(
    session: AsyncSession, *, municipality: str, email: str, guardian_id: uuid.UUID
) -> bool:
    """Whether an account of the municipality other than ``guardian_id``'s has this address."""
    taken = (
        await session.execute(
            sa.select(guardian_accounts.c.id).where(
                guardian_accounts.c.municipality == municipality,
                guardian_accounts.c.email == email,
                guardian_accounts.c.id != guardian_id,
            )
        )
    ).first()
    return taken is not None


# -- e-mail address changes --------------------------------------------------------------------


async def expire_open_changes(
    session: AsyncSession, *, municipality: str, guardian_id: uuid.UUID, now: datetime
) -> None:
    """The guardian's unconfirmed, unexpired change requests expire now."""
    await session.execute(
        sa.update(email_changes)
        .where(
            email_changes.c.municipality == municipality,
            email_changes.c.guardian_id == guardian_id,
            email_changes.c.confirmed_at.is_(None),
            email_changes.c.expires_at > now,
        )
        .values(expires_at=now)
    )


async def add_change(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(email_changes).values(**values))


async def change_for_update(
    session: AsyncSession, *, municipality: str, token_hash: str
) -> Row[Any] | None:
    return (
        await session.execute(
            sa.select(email_changes)
            .where(
                email_changes.c.municipality == municipality,
                email_changes.c.token_hash == token_hash,
            )
            .with_for_update()
        )
    ).one_or_none()


async def mark_change_confirmed(
    session: AsyncSession, change_id: uuid.UUID, *, at: datetime
) -> None:
    await session.execute(
        sa.update(email_changes).where(email_changes.c.id == change_id).values(confirmed_at=at)
    )
