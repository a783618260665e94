"""The numbers the identity rules run on: link lifetimes, token lifetimes, throttle limits.

Read from the service's settings (``config.Settings.policy``), so an operator tunes them per
deployment; the rules themselves (``links``, ``throttle``, ``passwords``) never read settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class ThrottleRule:
    """At most ``limit`` counted events within ``window``; reaching it blocks for ``lock_for``."""

    limit: int
    window: timedelta
    lock_for: timedelta

    @classmethod
    def of(cls, limit: int, *, window_minutes: int, lock_minutes: int) -> ThrottleRule:
        return cls(limit, timedelta(minutes=window_minutes), timedelta(minutes=lock_minutes))


@dataclass(frozen=True)
class IdentityPolicy:
    set_password_link_ttl: timedelta
    reset_link_ttl: timedelta
    access_token_ttl: timedelta
    refresh_token_ttl: timedelta
    # Failed logins per e-mail address (whether or not an account has it: see throttle.py).
    account_lockout: ThrottleRule
    # Failed logins per client address.
    client_logins: ThrottleRule
    # Password-reset requests per client address and per e-mail address (nobody can fill
    # someone else's inbox with reset mails).
    client_resets: ThrottleRule
    email_resets: ThrottleRule

    @classmethod
    def from_minutes(
        cls,
        *,
        set_password_link_minutes: int,
        reset_link_minutes: int,
        access_token_minutes: int,
        refresh_token_minutes: int,
        account_lockout: ThrottleRule,
        client_logins: ThrottleRule,
        client_resets: ThrottleRule,
        email_resets: ThrottleRule,
    ) -> IdentityPolicy:
        return cls(
            set_password_link_ttl=timedelta(minutes=set_password_link_minutes),
            reset_link_ttl=timedelta(minutes=reset_link_minutes),
            access_token_ttl=timedelta(minutes=access_token_minutes),
            refresh_token_ttl=timedelta(minutes=refresh_token_minutes),
            account_lockout=account_lockout,
            client_logins=client_logins,
            client_resets=client_resets,
            email_resets=email_resets,
        )


DEFAULT_POLICY = IdentityPolicy.from_minutes(
    set_password_link_minutes=72 * 60,
    reset_link_minutes=60,
    access_token_minutes=10,
    refresh_token_minutes=30 * 24 * 60,
    account_lockout=ThrottleRule.of(5, window_minutes=15, lock_minutes=15),
    client_logins=ThrottleRule.of(30, window_minutes=15, lock_minutes=15),
    client_resets=ThrottleRule.of(3, window_minutes=60, lock_minutes=60),
    email_resets=ThrottleRule.of(3, window_minutes=60, lock_minutes=60),
)
