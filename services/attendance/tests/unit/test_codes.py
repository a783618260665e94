"""The rotating 2D code: who can make one, how long it lives, where it is valid."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from tsuen_attendance.domain.codes import (
    CodeExpired,
    CodeForged,
    CodeForOtherFacility,
    CodeMalformed,
    FacilityKeys,
    TokenClock,
    issue_token,
    parse_token,
    verify_token,
)
from tsuen_common.timeutil import JST

FACILITY = uuid.UUID("7a1c0e52-1f0b-4a53-9d6c-000000000101")
OTHER = uuid.UUID("7a1c0e52-1f0b-4a53-9d6c-000000000102")
KEY = b"k" * 32
CLOCK = TokenClock(step_seconds=30, grace_steps=1)
# A step boundary: 09:00:00 JST is a multiple of 30 seconds since the epoch.
T0 = datetime(2026, 11, 24, 9, 0, 0, tzinfo=JST)
STEP = CLOCK.step_at(T0)


def token_at(when: datetime, key: bytes = KEY, facility: uuid.UUID = FACILITY) -> str:
    return issue_token(key, facility, CLOCK.step_at(when))


def verify(
    token: str,
    now: datetime,
    keys: FacilityKeys | None = None,
    expected_facility: uuid.UUID | None = None,
) -> uuid.UUID:
    return verify_token(
        token,
        keys or FacilityKeys(current=KEY),
        now=now,
        clock=CLOCK,
        expected_facility=expected_facility,
    )


def test_a_fresh_code_names_its_facility() -> None:
    assert verify(token_at(T0), T0) == FACILITY


def test_the_code_is_valid_for_its_step_and_one_grace_step() -> None:
    token = token_at(T0)
    assert verify(token, T0 + timedelta(seconds=29)) == FACILITY
    assert verify(token, T0 + timedelta(seconds=59)) == FACILITY


def test_a_replay_after_the_grace_step_is_expired() -> None:
    token = token_at(T0)
    with pytest.raises(CodeExpired):
        verify(token, T0 + timedelta(seconds=60))
    with pytest.raises(CodeExpired):
        verify(token, T0 + timedelta(days=1))  # a photo of yesterday's screen


def test_no_grace_means_only_the_current_step() -> None:
    strict = TokenClock(step_seconds=30, grace_steps=0)
    token = issue_token(KEY, FACILITY, strict.step_at(T0))
    assert verify_token(token, FacilityKeys(current=KEY), now=T0, clock=strict) == FACILITY
    with pytest.raises(CodeExpired):
        verify_token(token, FacilityKeys(current=KEY), now=T0 + timedelta(seconds=30), clock=strict)


def test_a_code_signed_with_another_key_is_forged() -> None:
    with pytest.raises(CodeForged):
        verify(token_at(T0, key=b"x" * 32), T0)


def test_changing_the_facility_or_step_breaks_the_signature() -> None:
    version, _, step, mac = token_at(T0).split(".")
    with pytest.raises(CodeForged):
        verify(f"{version}.{OTHER}.{step}.{mac}", T0)
    with pytest.raises(CodeForged):
        verify(f"{version}.{FACILITY}.{int(step) + 1}.{mac}", T0)


def test_a_forged_code_is_forged_even_when_it_is_also_old() -> None:
    # The signature is judged first: a made-up token never learns anything else.
    with pytest.raises(CodeForged):
        verify(issue_token(b"x" * 32, FACILITY, STEP - 100), T0)


def test_a_facility_without_a_key_cannot_have_valid_codes() -> None:
    with pytest.raises(CodeForged):
        verify_token(token_at(T0), None, now=T0, clock=CLOCK)


def test_a_code_from_the_far_future_is_refused() -> None:
    with pytest.raises(CodeForged):
        verify(issue_token(KEY, FACILITY, STEP + 2), T0)
    # One step ahead is clock skew between replicas, tolerated.
    assert verify(issue_token(KEY, FACILITY, STEP + 1), T0) == FACILITY


def test_a_code_of_another_facility_is_refused_for_this_facilitys_booking() -> None:
    token = token_at(T0, facility=OTHER)
    with pytest.raises(CodeForOtherFacility):
        verify(token, T0, expected_facility=FACILITY)
    assert verify(token, T0, expected_facility=OTHER) == OTHER


@pytest.mark.parametrize(
    "token",
    [
        "",
        "hello",
        "2.7a1c0e52-1f0b-4a53-9d6c-000000000101.1.AAAAAAAAAAAAAAAAAAAAAA",
        "1.not-a-uuid.1.AAAAAAAAAAAAAAAAAAAAAA",
        "1.7a1c0e52-1f0b-4a53-9d6c-000000000101.-5.AAAAAAAAAAAAAAAAAAAAAA",
        "1.7a1c0e52-1f0b-4a53-9d6c-000000000101.12.AAAA",
        "1.7a1c0e52-1f0b-4a53-9d6c-000000000101.12.!!!!!!!!!!!!!!!!!!!!!!",
        "1.7a1c0e52-1f0b-4a53-9d6c-000000000101.١٢.AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_malformed_codes_say_so(token: str) -> None:
    with pytest.raises(CodeMalformed):
        parse_token(token)


def test_after_rotation_codes_already_shown_stay_valid_for_their_window() -> None:
    old, new = b"o" * 32, b"n" * 32
    shown = issue_token(old, FACILITY, STEP)
    rotated = FacilityKeys(current=new, previous=old, previous_retired_step=STEP)
    assert verify(shown, T0 + timedelta(seconds=45), rotated) == FACILITY
    with pytest.raises(CodeExpired):
        verify(shown, T0 + timedelta(seconds=60), rotated)


def test_the_old_key_signs_nothing_after_its_rotation() -> None:
    old, new = b"o" * 32, b"n" * 32
    rotated = FacilityKeys(current=new, previous=old, previous_retired_step=STEP)
    with pytest.raises(CodeForged):
        verify(issue_token(old, FACILITY, STEP + 1), T0 + timedelta(seconds=30), rotated)
    assert verify(issue_token(new, FACILITY, STEP + 1), T0 + timedelta(seconds=30), rotated)


def test_the_token_is_short_enough_for_a_small_code() -> None:
    assert len(token_at(T0)) < 80
    assert verify(token_at(T0) + "  ", T0) == FACILITY  # trailing spaces from a copy-paste


def test_the_clock_needs_aware_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CLOCK.step_at(datetime(2026, 11, 24, 9, 0))
