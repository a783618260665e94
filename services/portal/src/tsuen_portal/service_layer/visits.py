"""利用開始/終了 in the guardian's session: the facility's 2D code opens the portal's /scan.

The code's URL carries ``t``, a short-lived token of the facility's display (attendance makes
and checks it). The portal hands it on with the guardian's access token, so attendance
decides everything: which of the guardian's bookings are today at that facility, whether the
code is still good, and the times it records. Nothing here keeps any state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tsuen_portal.adapters.backends import BackendUnavailable
from tsuen_portal.domain.dates import clock_time
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.facility_pages import Refusal, refusal
from tsuen_portal.service_layer.guardian import Backends

# attendance's statuses of a visit, in the guardian's words.
VISIT_STATUSES = {
    "expected": N_("Not started yet"),
    "in_use": N_("In use"),
    "left": N_("Finished"),
    "no_show": N_("Not attended"),
    "cancelled": N_("Cancelled"),
}
CHECK_IN, CHECK_OUT = "check-in", "check-out"
# A code's token is a few dozen characters; anything longer is not one of ours.
TOKEN_MAX = 200

UNREADABLE = Refusal("", "", N_("The code could not be read. Please scan the code again."))
UNCONFIGURED = Refusal("", "", N_("Check-in is not available right now. Please tell the staff."))


@dataclass(frozen=True)
class Visit:
    booking_id: str
    child_name: str
    facility_name: str
    kind: str
    start: str
    end: str
    status: str
    checked_in_at: str | None
    checked_out_at: str | None
    late_minutes: int
    penalty_minutes: int


@dataclass(frozen=True)
class Scanned:
    facility_name: str
    token: str
    visits: list[Visit]


@dataclass(frozen=True)
class Registered:
    action: str
    at: str
    late_minutes: int
    penalty_minutes: int


def _visit(body: dict[str, Any]) -> Visit:
    return Visit(
        booking_id=str(body["booking_id"]),
        child_name=str(body.get("child_name") or ""),
        facility_name=str(body.get("facility_name") or ""),
        kind=str(body.get("kind") or ""),
        start=clock_time(body["starts_at"]) or "",
        end=clock_time(body["ends_at"]) or "",
        status=str(body["status"]),
        checked_in_at=clock_time(body.get("checked_in_at")),
        checked_out_at=clock_time(body.get("checked_out_at")),
        late_minutes=int(body.get("late_minutes") or 0),
        penalty_minutes=int(body.get("penalty_minutes") or 0),
    )


def readable(token: str) -> bool:
    return 0 < len(token) <= TOKEN_MAX and token.isprintable()


async def scan(api: Backends, token: str, code: str) -> Scanned | Refusal:
    """The guardian's bookings today at the facility whose code was scanned."""
    attendance = api.attendance
    if attendance is None:
        return UNCONFIGURED
    if not readable(code):
        return UNREADABLE
    response = await attendance.send("GET", "/v1/scan", token, params={"t": code})
    if response.status_code != 200:
        return refusal(response)
    body = response.json()
    return Scanned(
        facility_name=str(body.get("facility_name") or ""),
        token=code,
        visits=[_visit(v) for v in body.get("visits", [])],
    )


async def register(
    api: Backends, token: str, action: str, code: str, booking_id: str
) -> Registered | Refusal:
    """利用開始 or 利用終了 of one booking; attendance makes a repeat harmless."""
    attendance = api.attendance
    if attendance is None:
        return UNCONFIGURED
    if not readable(code):
        return UNREADABLE
    path = "/v1/check-ins" if action == CHECK_IN else "/v1/check-outs"
    response = await attendance.send(
        "POST", path, token, json={"token": code, "booking_id": booking_id}
    )
    if response.status_code != 200:
        return refusal(response)
    body = response.json()
    at = body["checked_in_at"] if action == CHECK_IN else body["checked_out_at"]
    return Registered(
        action=action,
        at=clock_time(at) or "",
        late_minutes=int(body.get("late_minutes") or 0),
        penalty_minutes=int(body.get("penalty_minutes") or 0),
    )


async def today(api: Backends, token: str) -> list[Visit]:
    """本日のご利用: every booking of the family today, with its status (利用中…)."""
    attendance = api.attendance
    if attendance is None:
        raise BackendUnavailable("attendance is not configured")
    body = await attendance.get("/v1/me/visits", token)
    return sorted((_visit(v) for v in body), key=lambda v: (v.start, v.child_name))
