"""The facility staff's pages under ``/staff``, one module per area: ``roster`` (本日の利用予定,
代理で利用開始 / 利用終了), ``requests`` (初回面談 and 定期利用), ``bookings`` (the facility's
bookings, cancelling for a guardian, 代理予約), ``closures`` (臨時休園), ``capacity`` (利用枠と
開所時間), ``report`` (月の利用実績), ``display`` (the entrance tablet's 2D code) and ``waitlist``
(空き待ち, read-only).

Every page acts for the signed-in staff member's own facility (the session's ``facility_id``);
ids in URLs and forms are checked by the services with that token, so another facility's id
is a 404 exactly like a missing one. Guardians and officers get the 403 page.
"""

from __future__ import annotations

from fastapi import APIRouter

from tsuen_portal.entrypoints.access import staff_token
from tsuen_portal.entrypoints.pages.staff import (
    bookings,
    capacity,
    closures,
    display,
    report,
    requests,
    roster,
    waitlist,
)

__all__ = ["router", "staff_token"]

router = APIRouter(include_in_schema=False)
for area in (roster, requests, bookings, closures, report, display, capacity, waitlist):
    router.include_router(area.router)
