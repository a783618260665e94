"""Lockout and rate-limit arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta

from tsuen_common.timeutil import JST
from tsuen_identity.domain.policy import DEFAULT_POLICY, ThrottleRule
from tsuen_identity.domain.throttle import ThrottleState, retry_after_seconds, throttle_key

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=JST)
LOCKOUT = ThrottleRule.of(5, window_minutes=15, lock_minutes=15)


def fail(state: ThrottleState, times: int, *, every: timedelta = timedelta(seconds=10)):
    at = NOW
    for _ in range(times):
        state = state.register(LOCKOUT, at)
        at += every
    return state, at


def test_four_failures_do_not_lock_the_fifth_does():
    four, at = fail(ThrottleState(), 4)
    assert four.blocked(at) is None
    assert four.count == 4
    five = four.register(LOCKOUT, at)
    assert five.blocked(at) == at + timedelta(minutes=15)
    assert five.just_blocked(four, at)


def test_the_lock_ends_after_its_time_and_counting_starts_afresh():
    locked, _at = fail(ThrottleState(), 5)
    until = locked.blocked_until
    assert until is not None
    assert locked.blocked(until - timedelta(seconds=1)) == until
    assert locked.blocked(until) is None
    again = locked.register(LOCKOUT, until)
    assert again.count == 1
    assert again.blocked(until) is None


def test_failures_spread_beyond_the_window_are_forgotten():
    state, _ = fail(ThrottleState(), 8, every=timedelta(minutes=4))
    # 4 failures fit in any 15-minute window: never 5 in one.
    assert state.blocked_until is None


def test_a_locked_state_stays_just_blocked_only_once():
    locked, at = fail(ThrottleState(), 5)
    assert not locked.just_blocked(locked, at)


def test_reset_requests_allow_three_per_hour_per_address():
    rule = DEFAULT_POLICY.client_resets
    state = ThrottleState()
    allowed = 0
    at = NOW
    for _ in range(10):
        if state.blocked(at) is None:
            allowed += 1
            state = state.register(rule, at)
        at += timedelta(minutes=1)
    assert allowed == 3
    assert state.blocked(NOW + timedelta(minutes=59)) is not None
    assert state.blocked(NOW + timedelta(minutes=2, hours=1)) is None


def test_retry_after_rounds_up_and_is_at_least_one_second():
    assert retry_after_seconds(NOW + timedelta(seconds=1.2), NOW) == 2
    assert retry_after_seconds(NOW, NOW) == 1


def test_keys_hold_no_address_in_the_clear():
    key = throttle_key("login-email", "hanako@example.jp")
    assert key.startswith("login-email:")
    assert "hanako" not in key
    assert key == throttle_key("login-email", "hanako@example.jp")
