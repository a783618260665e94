"""The officers' second factor (TOTP): right code, drift, replay, malformed input."""

from __future__ import annotations

import pyotp

from tsuen_common.auth import Role
from tsuen_identity.domain.second_factor import (
    STEP_SECONDS,
    accept_code,
    needs_second_factor,
    new_secret,
    provisioning_uri,
)

NOW = 1_800_000_000.0  # a fixed instant: the rules take the clock as an argument
SECRET = new_secret()
TOTP = pyotp.TOTP(SECRET)


def code_at(seconds: float) -> str:
    return TOTP.at(int(seconds))


def test_the_current_code_is_accepted_with_its_step():
    accepted = accept_code(SECRET, code_at(NOW), last_step=None, now_seconds=NOW)
    assert accepted is not None
    assert accepted.step == int(NOW) // STEP_SECONDS


def test_one_step_of_drift_either_way_is_accepted_two_are_not():
    for drift, ok in ((-STEP_SECONDS, True), (STEP_SECONDS, True), (-2 * STEP_SECONDS, False)):
        accepted = accept_code(SECRET, code_at(NOW + drift), last_step=None, now_seconds=NOW)
        assert (accepted is not None) is ok, drift


def test_a_code_is_good_only_once():
    first = accept_code(SECRET, code_at(NOW), last_step=None, now_seconds=NOW)
    assert first is not None
    assert accept_code(SECRET, code_at(NOW), last_step=first.step, now_seconds=NOW) is None
    # Nor an older step once a newer one was used.
    older = code_at(NOW - STEP_SECONDS)
    assert accept_code(SECRET, older, last_step=first.step, now_seconds=NOW) is None


def test_spaces_are_ignored_and_anything_but_six_digits_is_refused():
    code = code_at(NOW)
    assert accept_code(SECRET, f" {code[:3]} {code[3:]} ", last_step=None, now_seconds=NOW)
    for typed in ("", "12345", "1234567", "abcdef", code[:5] + "x"):
        assert accept_code(SECRET, typed, last_step=None, now_seconds=NOW) is None


def test_another_secrets_code_is_refused():
    other = pyotp.TOTP(new_secret()).at(int(NOW))
    if other != code_at(NOW):  # a 1-in-a-million coincidence is not a failure of the rule
        assert accept_code(SECRET, other, last_step=None, now_seconds=NOW) is None


def test_officers_need_it_by_configuration_not_by_a_constant():
    roles = frozenset({str(Role.MUNICIPALITY_OFFICER)})
    assert needs_second_factor(str(Role.MUNICIPALITY_OFFICER), roles)
    assert not needs_second_factor(str(Role.GUARDIAN), roles)
    assert not needs_second_factor(str(Role.MUNICIPALITY_OFFICER), frozenset())


def test_the_qr_code_names_the_account_and_the_service():
    uri = provisioning_uri(SECRET, "officer@example.jp")
    assert uri.startswith("otpauth://totp/")
    assert "officer%40example.jp" in uri
    assert f"secret={SECRET}" in uri
