"""Reading and writing what officers manage: the municipality's staff and officer accounts,
their disabled flag and the audit trail. Every function runs in the caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_identity.adapters.orm import account_audit, accounts
from tsuen_identity.adapters.repository import StoredAccount, _account
from tsuen_identity.domain.account_admin import MANAGED_ROLES, AuditAction


@dataclass(frozen=True)
class ManagedAccount:
    stored: StoredAccount
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    account_id: uuid.UUID
    email: str


async def managed_accounts(session: AsyncSession, municipality: str) -> list[ManagedAccount]:
    rows = await session.execute(
        sa.select(accounts)
        .where(
            accounts.c.municipality == municipality,
            accounts.c.role.in_(sorted(str(r) for r in MANAGED_ROLES)),
        )
        .order_by(accounts.c.role, accounts.c.facility_id, accounts.c.email)
    )
    return [ManagedAccount(_account(r), r.created_at, r.disabled_at) for r in rows]


async def managed_account(session: AsyncSession, account_id: uuid.UUID) -> ManagedAccount | None:
    row = (
        await session.execute(
            sa.select(accounts).where(accounts.c.id == account_id).with_for_update()
        )
    ).first()
    return ManagedAccount(_account(row), row.created_at, row.disabled_at) if row else None


async def set_disabled(session: AsyncSession, account_id: uuid.UUID, at: datetime | None) -> None:
    await session.execute(
        sa.update(accounts)
        .where(accounts.c.id == account_id)
        .values(disabled_at=at, updated_at=sa.func.now())
    )


async def record(
    session: AsyncSession,
    *,
    municipality: str,
    at: datetime,
    actor: str,
    action: AuditAction,
    account_id: uuid.UUID,
) -> None:
    await session.execute(
        sa.insert(account_audit).values(
            municipality=municipality,
            at=at,
            actor=actor,
            action=str(action),
            account_id=account_id,
        )
    )


async def audit_entries(session: AsyncSession, municipality: str, limit: int) -> list[AuditEntry]:
    rows = await session.execute(
        sa.select(account_audit, accounts.c.email)
        .join(accounts, accounts.c.id == account_audit.c.account_id)
        .where(account_audit.c.municipality == municipality)
        .order_by(account_audit.c.at.desc(), account_audit.c.id.desc())
        .limit(limit)
    )
    return [AuditEntry(r.at, r.actor, r.action, r.account_id, r.email) for r in rows]
