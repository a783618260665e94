"""本日の利用予定 for the facility's staff: attendance's roster of a day grouped by slot, with
the guardian's record where attendance sends it, and 代理で利用開始 / 利用終了."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tsuen_portal.domain.dates import clock_time
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.staff.calls import act, attendance_api


@dataclass(frozen=True)
class RosterLine:
    booking_id: str
    child_name: str
    kind: str
    start: str
    end: str
    status: str  # expected | in_use | left | no_show | cancelled
    checked_in_at: str | None
    checked_out_at: str | None
    late_minutes: int
    late_pickup: bool
    in_by_staff: bool
    out_by_staff: bool
    child_kana: str = ""
    age_months: int | None = None
    record_registered: bool = False
    # The guardian's record (allergies, 医療的ケア, contacts, pickup): attendance sends it only
    # for the care about to be given; None after pickup, for past days and far-ahead days.
    record: ChildRecord | None = None
    # 遅れる連絡 from the guardian: (kind, minutes, note), oldest first.
    late_notices: tuple[tuple[str, int, str], ...] = ()

    @property
    def age(self) -> tuple[int, int] | None:
        """(years, months) for 1歳9か月."""
        return divmod(self.age_months, 12) if self.age_months is not None else None


@dataclass(frozen=True)
class Person:
    name: str
    relation: str
    phone: str


@dataclass(frozen=True)
class ChildRecord:
    allergies: list[str]
    allergy_notes: str
    health_notes: str
    medical_care: bool
    medical_care_notes: str
    considerations: str
    family_doctor: str
    emergency_contacts: list[Person]
    pickup_persons: list[Person]


def _people(items: Any) -> list[Person]:
    return [
        Person(str(p.get("name") or ""), str(p.get("relation") or ""), str(p.get("phone") or ""))
        for p in items or []
    ]


def _child_record(body: Any) -> ChildRecord | None:
    if not isinstance(body, dict):
        return None
    return ChildRecord(
        allergies=[str(a) for a in body.get("allergies") or []],
        allergy_notes=str(body.get("allergy_notes") or ""),
        health_notes=str(body.get("health_notes") or ""),
        medical_care=bool(body.get("medical_care")),
        medical_care_notes=str(body.get("medical_care_notes") or ""),
        considerations=str(body.get("considerations") or ""),
        family_doctor=str(body.get("family_doctor") or ""),
        emergency_contacts=_people(body.get("emergency_contacts")),
        pickup_persons=_people(body.get("pickup_persons")),
    )


@dataclass(frozen=True)
class Slot:
    start: str
    end: str
    lines: list[RosterLine]


@dataclass(frozen=True)
class Roster:
    day: date
    expected: int
    arrived: int
    left: int
    late: int
    no_show: int
    slots: list[Slot] = field(default_factory=list)


def _roster_line(body: dict[str, Any]) -> RosterLine:
    return RosterLine(
        booking_id=str(body["booking_id"]),
        child_name=str(body.get("child_name") or ""),
        kind=str(body.get("kind", "")),
        start=clock_time(body["starts_at"]) or "",
        end=clock_time(body["ends_at"]) or "",
        status=str(body["status"]),
        checked_in_at=clock_time(body.get("checked_in_at")),
        checked_out_at=clock_time(body.get("checked_out_at")),
        late_minutes=int(body.get("late_minutes") or 0),
        late_pickup=bool(body.get("late_pickup")),
        in_by_staff=bool(body.get("checked_in_by_staff")),
        out_by_staff=bool(body.get("checked_out_by_staff")),
        child_kana=str(body.get("child_kana") or ""),
        age_months=body.get("age_months") if isinstance(body.get("age_months"), int) else None,
        record_registered=bool(body.get("record_registered")),
        record=_child_record(body.get("record")),
        late_notices=tuple(
            (str(n.get("kind", "")), int(n.get("minutes") or 0), str(n.get("note") or ""))
            for n in body.get("late_notices") or []
        ),
    )


async def roster(api: Backends, account: Account, token: str, day: date) -> Roster:
    body = await attendance_api(api).get(
        f"/v1/facilities/{account.facility_id}/roster", token, {"day": day.isoformat()}
    )
    lines = sorted(
        (_roster_line(line) for line in body.get("lines", [])),
        key=lambda line: (line.start, line.end, line.child_name),
    )
    slots: list[Slot] = []
    for line in lines:
        if line.status == "cancelled":
            continue
        if slots and (slots[-1].start, slots[-1].end) == (line.start, line.end):
            slots[-1].lines.append(line)
        else:
            slots.append(Slot(line.start, line.end, [line]))
    return Roster(
        day=day,
        expected=int(body.get("expected", 0)),
        arrived=int(body.get("arrived", 0)),
        left=int(body.get("left", 0)),
        late=int(body.get("late", 0)),
        no_show=int(body.get("no_show", 0)),
        slots=slots,
    )


async def register(
    api: Backends, account: Account, token: str, booking_id: str, action: str
) -> None:
    """代理で利用開始 / 利用終了 for a guardian who cannot scan (attendance records who)."""
    await act(
        attendance_api(api),
        "POST",
        f"/v1/facilities/{account.facility_id}/staff-registrations",
        token,
        {"booking_id": booking_id, "action": action},
    )
