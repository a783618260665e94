"""What every use case of the attendance service works with: sessions, the outbox, the
municipalities' policies, the code clock, the key box and the clock. The use cases themselves
are grouped by what they do (``facility_codes``, ``registrations``, ``roster``, ``no_shows``) and
composed into one :class:`~tsuen_attendance.service_layer.attendance.AttendanceService`."""

from __future__ import annotations

from dataclasses import dataclass, field

from tsuen_attendance.domain.codes import TokenClock
from tsuen_common.policy import AttendancePolicy, PolicyRegistry
from tsuen_common.sealed import SecretBox
from tsuen_common.usecase import UseCaseContext


@dataclass(kw_only=True)
class ServiceCore(UseCaseContext):
    """Attendance's use-case context: the shared one (``tsuen_common.usecase``: sessions,
    outbox, clock, ``now()``, ``transaction()``) with what scans and rosters need."""

    policies: PolicyRegistry
    token_clock: TokenClock
    public_base_url: str
    # Seals the 2D-code signing keys at rest (tsuen_common.sealed); no keys: stored as is.
    key_box: SecretBox = field(default_factory=lambda: SecretBox({}, current=None))
    # How many days ahead the roster shows the guardian's record (domain/roster.py).
    roster_record_days_ahead: int = 3

    def _policy(self, municipality: str) -> AttendancePolicy:
        return self.policies.get(municipality).attendance
