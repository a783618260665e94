"""Counting attempts and blocking: the arithmetic of lockouts and rate limits.

One rule for all of them (:class:`~tsuen_identity.domain.policy.ThrottleRule`): events are
counted in a fixed window that starts with the first one; the event that reaches the limit
blocks the key for ``lock_for`` and starts the count afresh.

Failed logins are counted per *e-mail address*, not per account, so an unknown address locks
exactly like a known one and the answer never tells whether an account exists.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from tsuen_identity.domain.policy import ThrottleRule


@dataclass(frozen=True)
class ThrottleState:
    count: int = 0
    window_started_at: datetime | None = None
    blocked_until: datetime | None = None

    def blocked(self, now: datetime) -> datetime | None:
        """Until when the key is blocked, or None if it is not."""
        if self.blocked_until is not None and now < self.blocked_until:
            return self.blocked_until
        return None

    def register(self, rule: ThrottleRule, now: datetime) -> ThrottleState:
        """The state after one more counted event at ``now``."""
        fresh = self.window_started_at is None or now - self.window_started_at >= rule.window
        count = 1 if fresh else self.count + 1
        started = now if fresh else self.window_started_at
        if count >= rule.limit:
            return ThrottleState(0, None, now + rule.lock_for)
        return ThrottleState(count, started, self.blocked_until)

    def just_blocked(self, before: ThrottleState, now: datetime) -> bool:
        """Whether this state blocks where ``before`` did not (the moment to mail the holder)."""
        return self.blocked(now) is not None and before.blocked(now) is None


def retry_after_seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def throttle_key(kind: str, value: str) -> str:
    """The stored key: a digest, so the throttle table holds no e-mail or client address."""
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()}"
