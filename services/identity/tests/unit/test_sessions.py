"""Refresh tokens: single use (rotation), reuse detection, generation, expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tsuen_common.auth import Role
from tsuen_common.timeutil import JST
from tsuen_identity.domain.accounts import Account, normalise_email
from tsuen_identity.domain.errors import InvalidRefreshToken
from tsuen_identity.domain.sessions import RefreshToken, RefreshVerdict

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=JST)
LATER = NOW + timedelta(days=30)


def test_a_fresh_token_is_valid():
    token = RefreshToken(generation=2, expires_at=LATER)
    assert token.verdict(now=NOW, account_generation=2) is RefreshVerdict.VALID


def test_a_rotated_token_presented_again_is_reuse():
    token = RefreshToken(generation=2, expires_at=LATER, rotated_at=NOW)
    assert token.verdict(now=NOW, account_generation=2) is RefreshVerdict.REUSED


@pytest.mark.parametrize(
    ("token", "generation", "now"),
    [
        (RefreshToken(generation=1, expires_at=LATER), 2, NOW),  # logout-all since
        (RefreshToken(generation=2, expires_at=LATER, revoked_at=NOW), 2, NOW),  # logout
        (RefreshToken(generation=2, expires_at=LATER), 2, LATER),  # expired
    ],
)
def test_dead_tokens_are_refused(token, generation, now):
    with pytest.raises(InvalidRefreshToken):
        token.verdict(now=now, account_generation=generation)


def test_login_ids_ignore_case_and_outer_spaces():
    assert normalise_email("  Hanako@Example.JP ") == "hanako@example.jp"


def test_a_guardian_token_names_the_account_as_guardian():
    import uuid

    account = Account(uuid.uuid4(), Role.GUARDIAN, "131016", "h@example.jp")
    principal = account.principal()
    assert principal.guardian_id == str(account.id) == principal.subject
    assert principal.facility_id is None


def test_a_staff_account_without_a_facility_cannot_make_a_token():
    import uuid

    with pytest.raises(ValueError, match="facility_id"):
        Account(uuid.uuid4(), Role.FACILITY_STAFF, "131016", "s@example.jp").principal()
