"""空き待ち as the facility's staff see it (issue 17): booking's list of the facility
(``GET /v1/facilities/{id}/waitlist``, the session's facility only) grouped per slot — day and
time — with the children in the list's order. Read-only: booking offers freed places and the
families answer from their phones; nothing here books or offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tsuen_portal.domain.sessions import Account
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.staff.calls import when

# The states in the staff's words (the guardian's page says "you"); "offered" gets its
# deadline beside it in the template.
STATUS = {
    "waiting": N_("Waiting"),
    "offered": N_("Place offered"),
    "booked": N_("Accepted and booked"),
    "declined": N_("Declined"),
    "expired": N_("Hold expired"),
    "left": N_("Left the wait list"),
    "lapsed": N_("Ended: no place came free"),
}
STILL_ON_THE_LIST = ("offered", "waiting")


@dataclass(frozen=True)
class Waiting:
    id: str
    child_name: str
    child_kana: str
    use_date: date
    start: str
    end: str
    status: str
    joined_at: datetime | None
    hold_until: datetime | None
    position: int | None  # booking's place in the day's line, as the guardian's page shows it


@dataclass
class Slot:
    use_date: date
    start: str
    end: str
    entries: list[Waiting] = field(default_factory=list)

    @property
    def on_the_list(self) -> int:
        return sum(1 for e in self.entries if e.status in STILL_ON_THE_LIST)


def waiting_from(body: dict[str, Any]) -> Waiting:
    return Waiting(
        id=str(body["id"]),
        child_name=str(body.get("child_name") or ""),
        child_kana=str(body.get("child_kana") or ""),
        use_date=date.fromisoformat(str(body["use_date"])),
        start=str(body["start"])[:5],
        end=str(body["end"])[:5],
        status=str(body["status"]),
        joined_at=when(body.get("joined_at")),
        hold_until=when(body.get("hold_until")),
        position=body.get("position"),
    )


def by_slot(entries: list[Waiting]) -> list[Slot]:
    """One slot per day and time, in time order; inside it the children still on the list
    first (a held place, then the waiting, in the order they joined — the order booking offers
    places in), then the ended ones, so the next child to be offered is at the top."""
    slots: dict[tuple[date, str, str], Slot] = {}
    for e in entries:
        slots.setdefault((e.use_date, e.start, e.end), Slot(e.use_date, e.start, e.end))
        slots[(e.use_date, e.start, e.end)].entries.append(e)
    for slot in slots.values():
        slot.entries.sort(
            key=lambda e: (
                e.status not in STILL_ON_THE_LIST,
                e.status != "offered",
                e.joined_at.timestamp() if e.joined_at else float("inf"),
            )
        )
    return [slots[key] for key in sorted(slots)]


async def wait_list(api: Backends, account: Account, token: str, day: date | None) -> list[Slot]:
    """The facility's list of ``day``, or of every day from today when none is chosen."""
    params = {"day": day.isoformat()} if day else None
    body = await api.booking.get(f"/v1/facilities/{account.facility_id}/waitlist", token, params)
    return by_slot([waiting_from(b) for b in body])
