"""The rules of an officer managing their municipality's staff and officer accounts (issue 16):
who may see and change which account, what status an account is in, and what disabling means.

Staff accounts are per person, never shared: disabling one ends that person's access only.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from tsuen_common import errors
from tsuen_common.auth import Role
from tsuen_identity.domain.accounts import Account
from tsuen_identity.domain.errors import IdentityError

# Guardians' accounts come from certifications and are the families' own: an officer neither
# lists nor disables them here (eligibility's certification pages are where a family ends).
MANAGED_ROLES = frozenset({Role.FACILITY_STAFF, Role.MUNICIPALITY_OFFICER})


class AccountStatus(StrEnum):
    INVITED = "invited"
    """The set-password mail went out; no password yet."""
    ACTIVE = "active"
    DISABLED = "disabled"


class AuditAction(StrEnum):
    INVITED = "account.invited"
    DISABLED = "account.disabled"
    ENABLED = "account.enabled"


def account_status(account: Account, *, has_password: bool) -> AccountStatus:
    if account.disabled:
        return AccountStatus.DISABLED
    return AccountStatus.ACTIVE if has_password else AccountStatus.INVITED


def is_managed_by(target: Account, municipality: str) -> bool:
    """Whether an officer of ``municipality`` may see and change ``target``. Anything else is
    answered exactly like a missing account (another tenant's id reveals nothing)."""
    return target.municipality == municipality and target.role in MANAGED_ROLES


def may_log_in(account: Account) -> bool:
    return not account.disabled


class CannotDisableSelf(IdentityError):
    status = 409
    code = "cannot_disable_self"
    message_ja = (
        "ご自身のアカウントの利用は停止できません。必要な場合は、別の職員に依頼してください。"
    )


def check_disable(actor_id: uuid.UUID, target: Account) -> None:
    """An officer never disables their own account: a municipality could lock itself out,
    and a mistaken click would end the session that could undo it."""
    if target.id == actor_id:
        raise CannotDisableSelf("an officer cannot disable their own account")


def account_not_found() -> errors.NotFound:
    return errors.NotFound(
        "no such account",
        message_ja="アカウントが見つかりませんでした。画面を更新して、もう一度お試しください。",
    )
