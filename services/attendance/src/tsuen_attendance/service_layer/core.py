"""What every use case of the attendance service works with: sessions, the outbox, the
municipalities' policies, the code clock, the key box and the clock. The use cases themselves
are grouped by what they do (``facility_codes``, ``registrations``, ``roster``, ``no_shows``) and
composed into one :class:`~tsuen_attendance.service_layer.attendance.AttendanceService`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tsuen_attendance.domain.codes import TokenClock
from tsuen_common.messaging import Outbox
from tsuen_common.policy import AttendancePolicy, PolicyRegistry
from tsuen_common.sealed import SecretBox
from tsuen_common.timeutil import now_jst


@dataclass
class ServiceCore:
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    policies: PolicyRegistry
    token_clock: TokenClock
    public_base_url: str
    now: Callable[[], datetime] = now_jst
    # Seals the 2D-code signing keys at rest (tsuen_common.sealed); no keys: stored as is.
    key_box: SecretBox = field(default_factory=lambda: SecretBox({}, current=None))
    # How many days ahead the roster shows the guardian's record (domain/roster.py).
    roster_record_days_ahead: int = 3

    def _policy(self, municipality: str) -> AttendancePolicy:
        return self.policies.get(municipality).attendance
