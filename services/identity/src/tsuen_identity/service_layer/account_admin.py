"""Use cases of an officer managing the municipality's staff and officer accounts: list them,
disable one (no login; every session ends at once) and enable it again, read the audit trail.
Inviting is ``accounts.create_account`` (it records its audit entry in the same transaction).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tsuen_common.logging import get_logger
from tsuen_identity.adapters import account_admin_store as store
from tsuen_identity.adapters import repository as repo
from tsuen_identity.domain.account_admin import (
    AccountStatus,
    AuditAction,
    account_not_found,
    account_status,
    check_disable,
    is_managed_by,
)
from tsuen_identity.domain.accounts import Account
from tsuen_identity.service_layer.context import Identity

log = get_logger(__name__)

AUDIT_LIMIT = 200


@dataclass(frozen=True)
class AccountView:
    account: Account
    status: AccountStatus
    created_at: datetime
    disabled_at: datetime | None


def _view(found: store.ManagedAccount) -> AccountView:
    stored = found.stored
    return AccountView(
        stored.account,
        account_status(stored.account, has_password=stored.password_hash is not None),
        found.created_at,
        found.disabled_at,
    )


async def list_accounts(ctx: Identity, municipality: str) -> list[AccountView]:
    async with ctx.transaction() as session:
        return [_view(a) for a in await store.managed_accounts(session, municipality)]


async def set_enabled(
    ctx: Identity,
    *,
    actor_id: uuid.UUID,
    municipality: str,
    account_id: uuid.UUID,
    enabled: bool,
) -> AccountView:
    """Disable (every refresh token revoked and the token generation bumped in the same
    transaction, so each portal session ends at its next refresh) or enable again. Doing it
    twice changes nothing and records nothing the second time."""
    now = ctx.now()
    async with ctx.transaction() as session:
        found = await store.managed_account(session, account_id)
        if found is None or not is_managed_by(found.stored.account, municipality):
            raise account_not_found()
        target = found.stored.account
        if not enabled:
            check_disable(actor_id, target)
        if target.disabled == (not enabled):
            return _view(found)
        await store.set_disabled(session, account_id, None if enabled else now)
        if not enabled:
            await repo.revoke_all_refresh(session, account_id, now)
            await repo.bump_generation(session, account_id)
        await store.record(
            session,
            municipality=municipality,
            at=now,
            actor=str(actor_id),
            action=AuditAction.ENABLED if enabled else AuditAction.DISABLED,
            account_id=account_id,
        )
        changed = await store.managed_account(session, account_id)
    assert changed is not None
    log.info(
        "account enabled" if enabled else "account disabled",
        account_id=str(account_id),
        by=str(actor_id),
    )
    return _view(changed)


async def audit(ctx: Identity, municipality: str) -> list[store.AuditEntry]:
    async with ctx.transaction() as session:
        return await store.audit_entries(session, municipality, AUDIT_LIMIT)
