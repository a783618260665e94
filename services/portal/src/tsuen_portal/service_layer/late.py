"""遅れる連絡 from the guardian's booking page: attendance keeps it for the facility's roster
(it replaces a phone call and changes no rule)."""

from __future__ import annotations

from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.facility_pages import Refusal, refusal
from tsuen_portal.service_layer.guardian import Backends

KINDS = {
    "arrival": N_("Arrival will be late"),
    "pickup": N_("Pickup will be late"),
}
MINUTES = (10, 15, 20, 30, 45, 60, 90, 120)


async def tell(
    api: Backends, token: str, booking_id: str, kind: str, minutes: int, note: str
) -> Refusal | None:
    if api.attendance is None:
        return Refusal("", "", N_("The notice could not be sent. Please phone the facility."))
    response = await api.attendance.send(
        "POST",
        f"/v1/visits/{booking_id}/late-notice",
        token,
        json={"kind": kind, "minutes": minutes, "note": note},
    )
    return None if response.status_code == 200 else refusal(response)
