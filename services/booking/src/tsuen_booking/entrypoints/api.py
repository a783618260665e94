"""The booking service's HTTP routes, one module per area; each route parses, authorises and
calls a use case (the shared error handler answers its refusals with 4xx).

- facilities_api.py  facilities, 臨時休園, favourites, 空き枠, acceptance after 初回面談
- interviews_api.py  初回面談
- bookings_api.py    booking, 予約一覧, cancellation (single and 一括), deadlines
- regular_api.py     定期利用
- quota_api.py       利用可能枠
- capacity_api.py, audit_api.py, waitlist_api.py  places and hours, staff audit, 空き待ち
- deps.py            the context dependency, roles, error handlers, the refusals each route declares
"""

from __future__ import annotations

from tsuen_booking.entrypoints import (
    audit_api,
    bookings_api,
    capacity_api,
    facilities_api,
    interviews_api,
    quota_api,
    regular_api,
    waitlist_api,
)

# In the order the routes were always registered, so the OpenAPI document lists them as before.
ROUTERS = (
    facilities_api.router,
    interviews_api.router,
    bookings_api.router,
    regular_api.router,
    quota_api.router,
    capacity_api.router,
    audit_api.router,
    waitlist_api.router,
)
