"""定期利用 for the guardian: apply at a facility (a weekday and hours, from a day, optionally
until a day), see what was applied for and what the facility answered, and end a plan. Booking
decides everything (opening hours, acceptance, the facility's answer); the portal renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.facility_pages import Refusal, refusal
from tsuen_portal.service_layer.guardian import Backends, facility_names

WEEKDAYS = (
    N_("Mondays"),
    N_("Tuesdays"),
    N_("Wednesdays"),
    N_("Thursdays"),
    N_("Fridays"),
    N_("Saturdays"),
    N_("Sundays"),
)
PLAN_STATUS = {
    "applied": N_("Waiting for the facility"),
    "approved": N_("Approved"),
    "declined": N_("Declined by the facility"),
    "withdrawn": N_("Withdrawn"),
}


END_REASON = "定期利用の終了（保護者の手続き）"


@dataclass(frozen=True)
class PlanLine:
    id: str
    facility_id: str
    facility_name: str
    child_id: str
    weekday: int
    start: str
    end: str
    valid_from: date
    valid_until: date | None
    status: str

    @property
    def can_end(self) -> bool:
        return self.status in ("applied", "approved")


async def apply(
    api: Backends,
    token: str,
    facility_id: str,
    child_id: str,
    weekday: int,
    start: str,
    end: str,
    valid_from: str,
    valid_until: str,
) -> str | Refusal:
    """The new plan's id (the facility is mailed and answers), or why not."""
    body: dict[str, Any] = {
        "facility_id": facility_id,
        "child_id": child_id,
        "weekday": weekday,
        "start": start,
        "end": end,
        "valid_from": valid_from,
    }
    if valid_until:
        body["valid_until"] = valid_until
    response = await api.booking.send("POST", "/v1/regular-plans", token, json=body)
    if response.status_code == 201:
        return str(response.json()["id"])
    return refusal(response)


async def plans(api: Backends, token: str) -> list[PlanLine]:
    body = await api.booking.get("/v1/regular-plans", token)
    names = await facility_names(api, token, {str(p["facility_id"]) for p in body})
    lines = [
        PlanLine(
            id=str(p["id"]),
            facility_id=str(p["facility_id"]),
            facility_name=names.get(str(p["facility_id"]), ""),
            child_id=str(p["child_id"]),
            weekday=int(p["weekday"]),
            start=str(p["start"])[:5],
            end=str(p["end"])[:5],
            valid_from=date.fromisoformat(str(p["valid_from"])),
            valid_until=date.fromisoformat(str(p["valid_until"])) if p.get("valid_until") else None,
            status=str(p["status"]),
        )
        for p in body
    ]
    # What still runs first, then by weekday and time.
    return sorted(lines, key=lambda p: (not p.can_end, p.weekday, p.start, p.facility_name))


async def end(api: Backends, token: str, plan_id: str, last_day: str) -> Refusal | None:
    """End a plan after ``last_day``: its bookings after that day are cancelled (no hours used
    for those before their deadline, as for any cancellation)."""
    response = await api.booking.send(
        "POST",
        f"/v1/regular-plans/{plan_id}/end",
        token,
        # The reason the cancelled bookings carry (in Japanese, like every cancellation's).
        json={"last_day": last_day, "reason": END_REASON},
    )
    return None if response.status_code == 200 else refusal(response)
