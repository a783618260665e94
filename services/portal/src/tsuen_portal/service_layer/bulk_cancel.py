"""一括キャンセル: the guardian chooses several upcoming bookings and cancels them at once (a
week of illness, a trip). Each shows its free-cancellation deadline first, so nobody loses
hours unawares; booking cancels them together (one bulk id, one mail)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tsuen_portal.service_layer.facility_pages import Refusal, refusal
from tsuen_portal.service_layer.guardian import Backends, facility_names

MAX_LISTED = 60


@dataclass(frozen=True)
class Choice:
    id: str
    facility_name: str
    use_date: date
    start: str
    end: str
    kind: str
    held_minutes: int
    deadline: datetime

    def late(self, now: datetime) -> bool:
        return now > self.deadline


async def choices(api: Backends, token: str) -> list[Choice]:
    """Every upcoming booking that can still be cancelled, earliest first."""
    body = await api.booking.get("/v1/bookings", token, {"upcoming": "true"})
    open_ = [b for b in body if str(b.get("status")) == "confirmed" and b.get("use_date")][
        :MAX_LISTED
    ]
    names, limits = await asyncio.gather(
        facility_names(api, token, {str(b["facility_id"]) for b in open_}),
        asyncio.gather(
            *(
                api.booking.get(f"/v1/bookings/{b['id']}/cancellation-deadline", token)
                for b in open_
            )
        ),
    )
    out = [
        _choice(b, names.get(str(b["facility_id"]), ""), limit)
        for b, limit in zip(open_, limits, strict=True)
    ]
    return sorted(out, key=lambda c: (c.use_date, c.start, c.facility_name))


def _choice(body: dict[str, Any], name: str, limit: dict[str, Any]) -> Choice:
    return Choice(
        id=str(body["id"]),
        facility_name=name,
        use_date=date.fromisoformat(str(body["use_date"])),
        start=str(body.get("start") or ""),
        end=str(body.get("end") or ""),
        kind=str(body.get("kind") or ""),
        held_minutes=int(body.get("held_minutes") or 0),
        deadline=datetime.fromisoformat(str(limit["deadline"])),
    )


async def cancel(api: Backends, token: str, booking_ids: list[str], reason: str) -> int | Refusal:
    """How many were cancelled, or why none was (booking cancels all or nothing)."""
    response = await api.booking.send(
        "POST",
        "/v1/bookings/bulk-cancel",
        token,
        json={"booking_ids": booking_ids, "reason": reason},
    )
    if response.status_code == 200:
        return len(response.json().get("bookings") or [])
    return refusal(response)
