"""What a guardian's pages show, gathered from eligibility and booking with their token.

Each function answers one page; the pages only render. Whatever a service refuses (another
guardian's record, 404) stays refused: the portal never widens what a token may see.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from tsuen_portal.adapters.backends import BackendNotFound, ServiceApi
from tsuen_portal.domain.sessions import Account


@dataclass(frozen=True)
class Quota:
    cap_minutes: int
    topup_minutes: int
    held_minutes: int
    consumed_minutes: int
    remaining_minutes: int

    @property
    def total_minutes(self) -> int:
        return self.cap_minutes + self.topup_minutes


@dataclass(frozen=True)
class NextBooking:
    facility_name: str
    use_date: date | None
    start: str | None
    end: str | None
    kind: str
    status: str


@dataclass(frozen=True)
class Certificate:
    certification_id: str
    child_id: str
    certificate_number: str
    municipality: str
    valid_from: date
    valid_until: date
    status: str
    child_name: str | None = None  # eligibility names the child on its certification


@dataclass(frozen=True)
class ChildHome:
    certificate: Certificate
    quota: Quota | None
    next_booking: NextBooking | None
    record_registered: bool = True  # お子さんの情報登録 done (the home asks for it otherwise)


@dataclass(frozen=True)
class Backends:
    eligibility: ServiceApi
    booking: ServiceApi
    attendance: ServiceApi | None = None  # the staff's roster (service_layer/staff/)
    identity: ServiceApi | None = None  # the officer's staff accounts (officer_accounts.py)
    billing: ServiceApi | None = None  # statements and claims (service_layer/money.py)


def _certificate(body: dict[str, Any]) -> Certificate:
    return Certificate(
        certification_id=str(body["certification_id"]),
        child_id=str(body["child_id"]),
        certificate_number=str(body["certificate_number"]),
        municipality=str(body["municipality"]),
        valid_from=date.fromisoformat(str(body["valid_from"])),
        valid_until=date.fromisoformat(str(body["valid_until"])),
        status=str(body["status"]),
        child_name=str(body["child_name"]) if body.get("child_name") else None,
    )


async def certificates(api: Backends, account: Account, token: str) -> list[Certificate]:
    body = await api.eligibility.get(
        f"/v1/municipalities/{account.municipality}/certifications",
        token,
        {"status": "active"},
    )
    return [_certificate(item) for item in body]


async def certificate(
    api: Backends, account: Account, token: str, certification_id: str
) -> Certificate:
    """One 認定証; BackendNotFound when it is not this guardian's (eligibility decides)."""
    body = await api.eligibility.get(
        f"/v1/municipalities/{account.municipality}/certifications/{certification_id}", token
    )
    return _certificate(body)


async def _quota(api: Backends, token: str, child_id: str) -> Quota | None:
    try:
        body = await api.booking.get(f"/v1/children/{child_id}/quota", token)
    except BackendNotFound:
        return None  # booking has not heard of the certification yet
    return Quota(
        cap_minutes=int(body["cap_minutes"]),
        topup_minutes=int(body["topup_minutes"]),
        held_minutes=int(body["held_minutes"]),
        consumed_minutes=int(body["consumed_minutes"]),
        remaining_minutes=int(body["remaining_minutes"]),
    )


async def facility_name(api: Backends, token: str, facility_id: str) -> str:
    try:
        body = await api.booking.get(f"/v1/facilities/{facility_id}", token)
    except BackendNotFound:
        return ""
    return str(body.get("name", ""))


async def _next_booking(api: Backends, token: str, child_id: str) -> NextBooking | None:
    """The earliest of what is ahead: uses (柔軟利用, 定期利用) and 初回面談 with a fixed date
    (booking lists interviews only when asked for them)."""
    wanted = {"child_id": child_id, "upcoming": "true"}
    uses, interviews = await asyncio.gather(
        api.booking.get("/v1/bookings", token, wanted),
        api.booking.get("/v1/bookings", token, {**wanted, "kind": "interview"}),
    )
    # An interview that was held (or called off) is behind the family, whatever its date.
    ahead = [i for i in interviews if i.get("status") == "scheduled"]
    dated = [b for b in [*uses, *ahead] if b.get("use_date")]
    if not dated:
        return None
    first = min(dated, key=lambda b: (str(b["use_date"]), str(b.get("start") or "")))
    return NextBooking(
        facility_name=await facility_name(api, token, str(first["facility_id"])),
        use_date=date.fromisoformat(str(first["use_date"])),
        start=first.get("start"),
        end=first.get("end"),
        kind=str(first["kind"]),
        status=str(first["status"]),
    )


async def _record_registered(api: Backends, token: str, cert: Certificate) -> bool:
    try:
        body = await api.eligibility.get(
            f"/v1/municipalities/{cert.municipality}/children/{cert.child_id}/profile", token
        )
    except BackendNotFound:
        return True  # nothing to ask for here; the record page says what is wrong
    return int(body.get("version") or 0) > 0


async def home(api: Backends, account: Account, token: str) -> list[ChildHome]:
    """Per certified child: 直近のご予約, this month's hours, and the 認定証."""

    async def one(cert: Certificate) -> ChildHome:
        quota, upcoming, registered = await asyncio.gather(
            _quota(api, token, cert.child_id),
            _next_booking(api, token, cert.child_id),
            _record_registered(api, token, cert),
        )
        return ChildHome(
            certificate=cert, quota=quota, next_booking=upcoming, record_registered=registered
        )

    certs = await certificates(api, account, token)
    return list(await asyncio.gather(*(one(c) for c in certs)))


# -- 予約一覧 ------------------------------------------------------------------------------------

KINDS = ("flexible", "regular", "interview")


@dataclass(frozen=True)
class BookingFilter:
    kind: str = ""  # "" = every kind, interviews included
    date_from: date | None = None
    date_to: date | None = None
    facility_id: str = ""

    def params(self) -> dict[str, str]:
        out = {}
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        if self.facility_id:
            out["facility_id"] = self.facility_id
        return out


@dataclass(frozen=True)
class BookingLine:
    id: str
    facility_id: str
    facility_name: str
    use_date: date | None
    start: str | None
    end: str | None
    kind: str
    status: str


@dataclass(frozen=True)
class BookingList:
    lines: list[BookingLine]
    facilities: dict[str, str]  # every facility of the guardian's bookings: id → name


async def facility_names(api: Backends, token: str, ids: set[str]) -> dict[str, str]:
    """id → name for every facility in ``ids``, asked at once ("" for one booking no longer has)."""
    ordered = sorted(ids)
    names = await asyncio.gather(*(facility_name(api, token, i) for i in ordered))
    return dict(zip(ordered, names, strict=True))


async def bookings(api: Backends, token: str, flt: BookingFilter) -> BookingList:
    """予約一覧: uses and 初回面談, earliest first, narrowed by kind, dates and facility."""
    kinds: list[dict[str, str]] = [{"kind": flt.kind}] if flt.kind else [{}, {"kind": "interview"}]
    calls = [api.booking.get("/v1/bookings", token, flt.params() | kind) for kind in kinds]
    # The facility choice lists every facility the guardian has booked, whatever the filter.
    calls += [
        api.booking.get("/v1/bookings", token),
        api.booking.get("/v1/bookings", token, {"kind": "interview"}),
    ]
    *found, all_uses, all_interviews = await asyncio.gather(*calls)
    items = [b for batch in found for b in batch]
    names = await facility_names(
        api, token, {str(b["facility_id"]) for b in [*all_uses, *all_interviews, *items]}
    )
    lines = [
        BookingLine(
            id=str(b["id"]),
            facility_id=str(b["facility_id"]),
            facility_name=names.get(str(b["facility_id"]), ""),
            use_date=date.fromisoformat(str(b["use_date"])) if b.get("use_date") else None,
            start=b.get("start"),
            end=b.get("end"),
            kind=str(b["kind"]),
            status=str(b["status"]),
        )
        for b in items
    ]
    lines.sort(key=lambda b: (b.use_date or date.max, b.start or ""))
    return BookingList(lines=lines, facilities=names)
