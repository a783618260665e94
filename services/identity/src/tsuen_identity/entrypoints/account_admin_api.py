"""The officer's management of the municipality's staff and officer accounts (issue 16):
list them with their status, disable and enable one, read the audit trail. Creating (inviting)
one is ``POST /v1/municipalities/{code}/accounts`` in api.py.

Another municipality's code is a 403 (as for creating); an account id that is not a staff or
officer account of the caller's municipality is a 404, exactly like a missing one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from tsuen_common.auth import MunicipalityCode, OfficerDep
from tsuen_common.problems import error_responses
from tsuen_identity.entrypoints.api import _account_id
from tsuen_identity.entrypoints.deps import IdentityDep
from tsuen_identity.service_layer import account_admin
from tsuen_identity.service_layer.account_admin import AccountView

router = APIRouter(prefix="/v1", tags=["accounts"])


class ManagedAccountOut(BaseModel):
    account_id: uuid.UUID
    email: str
    role: Literal["facility_staff", "municipality_officer"]
    facility_id: uuid.UUID | None
    status: Literal["invited", "active", "disabled"]
    created_at: datetime
    disabled_at: datetime | None


class AuditEntryOut(BaseModel):
    at: datetime
    actor: str
    action: Literal["account.invited", "account.disabled", "account.enabled"]
    account_id: uuid.UUID
    email: str


def _out(view: AccountView) -> ManagedAccountOut:
    return ManagedAccountOut(
        account_id=view.account.id,
        email=view.account.email,
        role=str(view.account.role),
        facility_id=view.account.facility_id,
        status=str(view.status),
        created_at=view.created_at,
        disabled_at=view.disabled_at,
    )


@router.get(
    "/municipalities/{municipality}/accounts",
    response_model=list[ManagedAccountOut],
    responses=error_responses(401, 403, 503),
)
async def list_accounts(
    principal: OfficerDep, identity: IdentityDep, municipality: MunicipalityCode
) -> list[ManagedAccountOut]:
    """The municipality's staff and officer accounts (guardians are not listed), by role and
    facility: invited (no password yet), active or disabled."""
    principal.require_municipality(municipality)
    return [_out(v) for v in await account_admin.list_accounts(identity, municipality)]


async def _set(
    principal: OfficerDep,
    identity: IdentityDep,
    municipality: str,
    account_id: uuid.UUID,
    *,
    enabled: bool,
) -> ManagedAccountOut:
    principal.require_municipality(municipality)
    view = await account_admin.set_enabled(
        identity,
        actor_id=_account_id(principal),
        municipality=municipality,
        account_id=account_id,
        enabled=enabled,
    )
    return _out(view)


@router.post(
    "/municipalities/{municipality}/accounts/{account_id}/disable",
    response_model=ManagedAccountOut,
    responses=error_responses(401, 403, 404, 409, 503),
)
async def disable_account(
    account_id: uuid.UUID,
    principal: OfficerDep,
    identity: IdentityDep,
    municipality: MunicipalityCode,
) -> ManagedAccountOut:
    """The holder can no longer log in (a login answers like a wrong password); every refresh
    token is revoked at once, so each session ends at its next refresh (access tokens already
    issued run out within their lifetime). 409 ``cannot_disable_self`` for one's own account."""
    return await _set(principal, identity, municipality, account_id, enabled=False)


@router.post(
    "/municipalities/{municipality}/accounts/{account_id}/enable",
    response_model=ManagedAccountOut,
    responses=error_responses(401, 403, 404, 503),
)
async def enable_account(
    account_id: uuid.UUID,
    principal: OfficerDep,
    identity: IdentityDep,
    municipality: MunicipalityCode,
) -> ManagedAccountOut:
    """The holder can log in again with their password (sessions ended stay ended)."""
    return await _set(principal, identity, municipality, account_id, enabled=True)


@router.get(
    "/municipalities/{municipality}/account-audit",
    response_model=list[AuditEntryOut],
    responses=error_responses(401, 403, 503),
)
async def account_audit(
    principal: OfficerDep, identity: IdentityDep, municipality: MunicipalityCode
) -> list[AuditEntryOut]:
    """Who invited, disabled or enabled which account, newest first (the last 200)."""
    principal.require_municipality(municipality)
    return [
        AuditEntryOut(
            at=e.at, actor=e.actor, action=e.action, account_id=e.account_id, email=e.email
        )
        for e in await account_admin.audit(identity, municipality)
    ]
