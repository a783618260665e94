"""Mails of attendance: the late pick-up that added time to the day (お迎え遅延)."""

from __future__ import annotations

from tsuen_common.events.attendance import CheckedOut
from tsuen_notification.domain.formatting import datetime_ja, minutes_ja
from tsuen_notification.domain.notices.model import Notice, RecipientKind, Template, When


def late_pickup(p: CheckedOut, when: When) -> list[Notice]:
    # No penalty (picked up within the grace) or no address to write to: nothing to tell.
    if p.penalty_minutes <= 0 or not p.guardian_email:
        return []
    return [
        Notice(
            Template.LATE_PICKUP,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "booked_end": datetime_ja(p.booked_end),
                "checked_out_at": datetime_ja(p.checked_out_at),
                "late": minutes_ja(p.late_minutes),
                "penalty": minutes_ja(p.penalty_minutes),
            },
        )
    ]
