"""An officer managing the municipality's staff and officer accounts: which accounts they may
touch, the status shown, and that nobody disables their own account."""

from __future__ import annotations

import uuid

import pytest

from tsuen_common.auth import Role
from tsuen_identity.domain.account_admin import (
    AccountStatus,
    CannotDisableSelf,
    account_status,
    check_disable,
    is_managed_by,
    may_log_in,
)
from tsuen_identity.domain.accounts import Account

CHIYODA = "131016"
KAKEGAWA = "222135"


def account(role: Role = Role.FACILITY_STAFF, municipality: str = CHIYODA, **kw: object) -> Account:
    facility = uuid.uuid4() if role is Role.FACILITY_STAFF else None
    return Account(
        id=uuid.uuid4(),
        role=role,
        municipality=municipality,
        email="someone@example.jp",
        facility_id=facility,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("role", [Role.FACILITY_STAFF, Role.MUNICIPALITY_OFFICER])
def test_an_officer_manages_staff_and_officer_accounts_of_their_own_municipality(role):
    assert is_managed_by(account(role), CHIYODA)


def test_another_municipalitys_account_is_not_managed():
    assert not is_managed_by(account(municipality=KAKEGAWA), CHIYODA)


def test_a_guardians_account_is_not_managed_here():
    assert not is_managed_by(account(Role.GUARDIAN), CHIYODA)


def test_an_account_without_a_password_is_invited():
    assert account_status(account(), has_password=False) is AccountStatus.INVITED


def test_an_account_with_a_password_is_active():
    assert account_status(account(), has_password=True) is AccountStatus.ACTIVE


@pytest.mark.parametrize("has_password", [True, False])
def test_a_disabled_account_is_disabled_whether_or_not_it_has_a_password(has_password):
    disabled = account(disabled=True)
    assert account_status(disabled, has_password=has_password) is AccountStatus.DISABLED


def test_a_disabled_account_may_not_log_in_and_an_enabled_one_may():
    assert not may_log_in(account(disabled=True))
    assert may_log_in(account())


def test_an_officer_cannot_disable_their_own_account():
    me = account(Role.MUNICIPALITY_OFFICER)
    with pytest.raises(CannotDisableSelf) as refused:
        check_disable(me.id, me)
    assert refused.value.status == 409
    assert "ご自身のアカウント" in refused.value.message_ja


def test_an_officer_may_disable_another_officers_account():
    check_disable(uuid.uuid4(), account(Role.MUNICIPALITY_OFFICER))
