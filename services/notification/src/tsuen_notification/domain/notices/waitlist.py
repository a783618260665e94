"""Mails of the wait list (空き待ち): a place offered to the next child."""

from __future__ import annotations

from tsuen_common.events.booking import WaitlistPlaceOffered
from tsuen_notification.domain.formatting import date_ja, datetime_ja
from tsuen_notification.domain.notices.model import Notice, RecipientKind, Template, When


def waitlist_offered(p: WaitlistPlaceOffered, when: When) -> list[Notice]:
    """空き待ち: the place is held until ``hold_until`` (Japan time); the link opens the page
    that books it. Past the hold the mail is pointless: the place has gone to the next child."""
    return [
        Notice(
            Template.WAITLIST_OFFERED,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "facility_name": p.facility_name,
                "child_name": p.child_name,
                "use_date": date_ja(p.use_date),
                "time_range": f"{p.start}〜{p.end}",
                "hold_until": datetime_ja(p.hold_until),
                "page_path": f"/waitlist/{p.entry_id}",
            },
            stale_after=p.hold_until,
        )
    ]
