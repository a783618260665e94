"""What the facility staff's pages show and do, with the staff member's token.

The facility is always the token's ``facility_id`` (from the session), never an id from a
URL or a form: an id of another facility's booking or interview reaches the service with
this facility's token and comes back 404 (``BackendNotFound``), which the page shows as its
own 404. Refusals a person can act on (a booking service's ``message_ja``) come back as
:class:`Refused`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import httpx

from tsuen_common.timeutil import JST
from tsuen_portal.adapters.backends import (
    BackendNotFound,
    BackendRefused,
    BackendUnavailable,
    ServiceApi,
)
from tsuen_portal.domain.dates import clock_time
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer.guardian import Backends

STAFF = "facility_staff"
INBOX_INTERVIEW_STATUSES = ("requested", "scheduled", "held")


@dataclass(frozen=True)
class Refused(Exception):
    """A service said no for a reason the staff member can act on: its ``message_ja``, or
    (``japanese=False``) its English ``detail`` when it has no Japanese wording for it."""

    message_ja: str
    japanese: bool = True


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value)).astimezone(JST)


def _refusal(response: httpx.Response) -> Refused | None:
    """The service's reason for a 4xx, if it gave one a person can read."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    detail = body.get("detail")
    message = body.get("message_ja")
    if message is None and isinstance(detail, dict):
        message = detail.get("message_ja")
    if message:
        return Refused(str(message))
    if isinstance(detail, str) and detail:
        return Refused(detail, japanese=False)
    return None


async def _act(
    api: ServiceApi, method: str, path: str, token: str, body: Any = None
) -> dict[str, Any]:
    """A change; 404/403 → BackendNotFound, other refusals → Refused with the service's words."""
    response = await api.send(method, path, token, json=body)
    if response.status_code in (403, 404):
        raise BackendNotFound(path)
    if response.status_code >= 400:
        refusal = _refusal(response)
        if refusal is None:
            raise BackendRefused(f"{path}: {response.status_code}")
        raise refusal
    result: dict[str, Any] = response.json() if response.content else {}
    return result


def _attendance(api: Backends) -> ServiceApi:
    if api.attendance is None:
        raise BackendUnavailable("attendance is not configured")
    return api.attendance


# --- today's roster ---------------------------------------------------------------------------


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
    body = await _attendance(api).get(
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
    await _act(
        _attendance(api),
        "POST",
        f"/v1/facilities/{account.facility_id}/staff-registrations",
        token,
        {"booking_id": booking_id, "action": action},
    )


# --- requests inbox ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Interview:
    id: str
    child_id: str
    child_name: str
    status: str
    proposed_times: list[datetime]
    starts_at: datetime | None
    held_at: datetime | None
    health_check: str | None
    # 配慮事項 and 医療的ケア from the application (read before accepting the child).
    considerations: Considerations | None = None


@dataclass(frozen=True)
class Considerations:
    content: str
    diagnosis: str
    required_care: str
    doctor_instructions: str
    medical_care: bool


def _considerations(body: Any) -> Considerations | None:
    if not isinstance(body, dict):
        return None
    return Considerations(
        content=str(body.get("content") or ""),
        diagnosis=str(body.get("diagnosis") or ""),
        required_care=str(body.get("required_care") or ""),
        doctor_instructions=str(body.get("doctor_instructions") or ""),
        medical_care=bool(body.get("medical_care")),
    )


@dataclass(frozen=True)
class Plan:
    id: str
    child_id: str
    child_name: str
    weekday: int
    start: str
    end: str
    valid_from: date
    valid_until: date | None


@dataclass(frozen=True)
class Inbox:
    interviews: list[Interview]
    plans: list[Plan]


def _interview(body: dict[str, Any]) -> Interview:
    return Interview(
        id=str(body["id"]),
        child_id=str(body["child_id"]),
        child_name=str(body.get("child_name") or ""),
        status=str(body["status"]),
        proposed_times=[t for t in (_when(p) for p in body.get("proposed_times") or []) if t],
        starts_at=_when(body.get("starts_at")),
        held_at=_when(body.get("held_at")),
        health_check=body.get("health_check"),
        considerations=_considerations(body.get("child_considerations")),
    )


async def _interviews(api: Backends, account: Account, token: str) -> list[Interview]:
    body = await api.booking.get("/v1/interviews", token)
    return [
        _interview(item)
        for item in body
        if str(item.get("facility_id")) == account.facility_id
        and item.get("status") in INBOX_INTERVIEW_STATUSES
    ]


async def inbox(api: Backends, account: Account, token: str) -> Inbox:
    interviews, plans_body = await asyncio.gather(
        _interviews(api, account, token), api.booking.get("/v1/regular-plans", token)
    )
    # Plans carry no name; the child's 初回面談 at this facility does.
    names = {i.child_id: i.child_name for i in interviews if i.child_name}
    if any(str(p.get("child_id")) not in names for p in plans_body):
        everything = await api.booking.get("/v1/interviews", token)
        names.update(
            {str(i["child_id"]): str(i["child_name"]) for i in everything if i.get("child_name")}
        )
    plans = [
        Plan(
            id=str(p["id"]),
            child_id=str(p["child_id"]),
            child_name=names.get(str(p["child_id"]), ""),
            weekday=int(p["weekday"]),
            start=str(p["start"]),
            end=str(p["end"]),
            valid_from=date.fromisoformat(str(p["valid_from"])),
            valid_until=date.fromisoformat(str(p["valid_until"])) if p.get("valid_until") else None,
        )
        for p in plans_body
        if p.get("status") == "applied" and str(p.get("facility_id")) == account.facility_id
    ]
    order = {s: n for n, s in enumerate(INBOX_INTERVIEW_STATUSES)}
    interviews.sort(key=lambda i: order[i.status])
    return Inbox(interviews=interviews, plans=plans)


async def schedule_interview(
    api: Backends, token: str, interview_id: str, starts_at: datetime
) -> None:
    await _act(
        api.booking,
        "POST",
        f"/v1/interviews/{interview_id}/schedule",
        token,
        {"starts_at": starts_at.isoformat()},
    )


async def interview_held(
    api: Backends, token: str, interview_id: str, health_check: str, note: str
) -> None:
    await _act(
        api.booking,
        "POST",
        f"/v1/interviews/{interview_id}/held",
        token,
        {"health_check": health_check, "note": note or None},
    )


async def decide_child(
    api: Backends,
    account: Account,
    token: str,
    child_id: str,
    accepted: bool,
    medical_care_consulted: bool = False,
) -> str:
    """Accept or decline a child who had a 初回面談 here; another child is a 404. The name."""
    known = {
        i.child_id: i.child_name
        for i in await _interviews(api, account, token)
        if i.status == "held"
    }
    if child_id not in known:
        raise BackendNotFound(child_id)
    await _act(
        api.booking,
        "PUT",
        f"/v1/facilities/{account.facility_id}/acceptances/{child_id}",
        token,
        {"accepted": accepted, "medical_care_consulted": medical_care_consulted},
    )
    return known[child_id]


async def decide_plan(api: Backends, token: str, plan_id: str, approve: bool) -> list[date]:
    """Approve or decline a 定期利用 plan; the dates booked on approval."""
    verb = "approve" if approve else "decline"
    body = await _act(api.booking, "POST", f"/v1/regular-plans/{plan_id}/{verb}", token)
    booked = body.get("generated") or []
    return sorted(date.fromisoformat(str(b["date"])) for b in booked if b.get("date"))


# --- bookings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    id: str
    child_id: str
    child_name: str
    kind: str
    status: str
    use_date: date | None
    start: str
    end: str
    by_proxy: bool
    cancelled_at: datetime | None
    cancel_reason: str | None
    cancel_cause: str | None
    called_at: datetime | None

    @property
    def cancellable(self) -> bool:
        return self.status == "confirmed"


def _booking(body: dict[str, Any]) -> Booking:
    return Booking(
        id=str(body["id"]),
        child_id=str(body["child_id"]),
        child_name=str(body.get("child_name") or ""),
        kind=str(body["kind"]),
        status=str(body["status"]),
        use_date=date.fromisoformat(str(body["use_date"])) if body.get("use_date") else None,
        start=str(body.get("start") or ""),
        end=str(body.get("end") or ""),
        by_proxy=bool(body.get("by_proxy")),
        cancelled_at=_when(body.get("cancelled_at")),
        cancel_reason=body.get("cancel_reason"),
        cancel_cause=body.get("cancel_cause"),
        called_at=_when(body.get("called_at")),
    )


async def bookings(
    api: Backends, account: Account, token: str, first: date, last: date, status: str = ""
) -> list[Booking]:
    params: dict[str, Any] = {
        "facility_id": account.facility_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
    }
    if status:
        params["status"] = status
    body = await api.booking.get("/v1/bookings", token, params)
    found = [_booking(b) for b in body if b.get("kind") != "interview"]
    return sorted(found, key=lambda b: (b.use_date or date.max, b.start, b.child_name))


async def booking(api: Backends, account: Account, token: str, booking_id: str) -> Booking:
    body = await api.booking.get(f"/v1/bookings/{booking_id}", token)
    if str(body.get("facility_id")) != account.facility_id:
        raise BackendNotFound(booking_id)
    found = _booking(body)
    if not found.child_name and found.use_date:
        # One booking comes without the name; the facility's list of that day has it.
        same_day = await bookings(api, account, token, found.use_date, found.use_date)
        named = next((b for b in same_day if b.id == found.id), None)
        if named is not None:
            found = replace(found, child_name=named.child_name)
    return found


async def cancel_booking(
    api: Backends,
    account: Account,
    token: str,
    booking_id: str,
    *,
    reason: str,
    cause: str,
    called_at: datetime | None,
) -> Booking:
    await booking(api, account, token, booking_id)  # another facility's booking: 404
    body: dict[str, Any] = {"reason": reason, "cause": cause}
    if called_at is not None:
        body["called_at"] = called_at.isoformat()
    await _act(api.booking, "POST", f"/v1/bookings/{booking_id}/cancel", token, body)
    return await booking(api, account, token, booking_id)


async def known_children(api: Backends, account: Account, token: str) -> dict[str, str]:
    """Children whose 初回面談 here was held (child id → name): whom staff may book for."""
    return {
        i.child_id: i.child_name
        for i in await _interviews(api, account, token)
        if i.status == "held"
    }


async def book_for_guardian(
    api: Backends,
    account: Account,
    token: str,
    *,
    child_id: str,
    use_date: date,
    start: str,
    end: str,
) -> Booking:
    """代理予約: booking checks acceptance, places and hours as for the guardian."""
    if child_id not in await known_children(api, account, token):
        raise BackendNotFound(child_id)
    body = await _act(
        api.booking,
        "POST",
        "/v1/bookings",
        token,
        {
            "facility_id": account.facility_id,
            "child_id": child_id,
            "use_date": use_date.isoformat(),
            "start": start,
            "end": end,
            "kind": "flexible",
        },
    )
    return await booking(api, account, token, str(body["id"]))


# --- 臨時休園 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Closure:
    days: list[date]
    bookings: list[Booking]

    @property
    def families(self) -> int:
        return len({b.child_id for b in self.bookings})


def _closure(body: dict[str, Any], key: str) -> Closure:
    return Closure(
        days=[date.fromisoformat(str(d)) for d in body.get("days", [])],
        bookings=[_booking(b) for b in body.get(key, [])],
    )


async def preview_closure(
    api: Backends, account: Account, token: str, first: date, last: date
) -> Closure:
    response = await api.booking.send(
        "GET",
        f"/v1/facilities/{account.facility_id}/closures/preview",
        token,
        params={"from": first.isoformat(), "to": last.isoformat()},
    )
    if response.status_code >= 400:
        refusal = _refusal(response)
        if response.status_code in (403, 404) or refusal is None:
            raise BackendRefused(f"closure preview: {response.status_code}")
        raise refusal
    return _closure(response.json(), "bookings")


async def close(
    api: Backends, account: Account, token: str, first: date, last: date, reason: str
) -> Closure:
    body = await _act(
        api.booking,
        "POST",
        f"/v1/facilities/{account.facility_id}/closures",
        token,
        {"from": first.isoformat(), "to": last.isoformat(), "reason": reason},
    )
    return _closure(body, "cancelled")
