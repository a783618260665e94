"""A certified child as booking knows it, projected from eligibility's events.

Eligibility decides who is certified (認定); booking only needs the validity window and, for the
age rule on the use date, the birth date when eligibility sends one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from tsuen_booking.domain.errors import InvalidRequest, ja_date
from tsuen_common.age import age_window

__all__ = ["CertifiedChild"]


@dataclass(frozen=True, slots=True)
class CertifiedChild:
    child_id: uuid.UUID
    municipality: str
    guardian_id: uuid.UUID
    guardian_email: str
    valid_from: date
    valid_until: date
    birth_date: date | None = None
    revoked_from: date | None = None
    """The certification ends on this day (転出, 入園, 満3歳, withdrawal): no use from it on."""
    name: str | None = None
    """For mails and staff lists only (None for a child certified before names were sent)."""
    decided_facility_id: uuid.UUID | None = None
    """The facility decided at application (the only one where policy may limit booking)."""
    needs_medical_care: bool = False
    """医療的ケア from the application (a prior consultation before acceptance, by policy)."""

    def check_decided_facility(
        self, facility_id: uuid.UUID, use_date: date, only_through: date | None
    ) -> None:
        """Chiyoda FY2025: up to ``only_through`` a child books only at its decided facility."""
        if only_through is None or use_date > only_through:
            return
        if self.decided_facility_id is not None and facility_id != self.decided_facility_id:
            raise InvalidRequest(
                f"until {only_through.isoformat()} the child may use only the facility decided "
                "at application",
                message_ja=f"{only_through.year}年{only_through.month}月{only_through.day}日"
                "までは、申込み後に決定した1施設のみ利用できます。",
            )

    def check_eligible_on(self, day: date) -> None:
        """Raise :class:`InvalidRequest` saying why the child cannot use the scheme on ``day``."""
        if self.birth_date is not None:
            window = age_window(self.birth_date)
            if day < window.first_usable_day:
                raise InvalidRequest(
                    f"child is not yet 6 months old on {day.isoformat()} "
                    f"(first usable day {window.first_usable_day.isoformat()})",
                    message_ja=f"{ja_date(day)}の時点で、お子さまはまだ生後6か月になっていません。"
                    f"{ja_date(window.first_usable_day)}以降の日をお選びください。",
                )
            if day > window.last_usable_day:
                raise InvalidRequest(
                    f"child is 3 years old on {day.isoformat()} "
                    f"(last usable day {window.last_usable_day.isoformat()})",
                    message_ja=f"{ja_date(day)}の時点で、お子さまは3歳になっているため、この制度をご利用いただけません"
                    f"（最終利用日は{ja_date(window.last_usable_day)}です）。",
                )
        if self.revoked_from is not None and day >= self.revoked_from:
            raise InvalidRequest(
                f"child's certification ended on {self.revoked_from.isoformat()}; "
                f"no use on {day.isoformat()}",
                message_ja=f"お子さまの認定は{ja_date(self.revoked_from)}に終了しています。"
                "それ以降の日はご利用いただけません。",
            )
        if day < self.valid_from:
            raise InvalidRequest(
                f"child's certification starts on {self.valid_from.isoformat()}; "
                f"no use on {day.isoformat()}",
                message_ja=f"お子さまの認定は{ja_date(self.valid_from)}から有効です。それ以降の日をお選びください。",
            )
        if day > self.valid_until:
            raise InvalidRequest(
                f"child's certification is valid until {self.valid_until.isoformat()}; "
                f"no use on {day.isoformat()}",
                message_ja=f"お子さまの認定は{ja_date(self.valid_until)}まで有効です。それまでの日をお選びください。",
            )
