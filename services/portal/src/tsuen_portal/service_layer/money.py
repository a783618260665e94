"""What the money pages show, read from billing with the user's token: a guardian's
statements (利用料のお知らせ), a facility's claims (請求) and its guardians' statements, the
claims to an officer's municipality with billing's totals by facility.

Every number is billing's: the pages only display them (no sums, no prices here). A record
outside the caller's tenant is billing's 404, kept as ``BackendNotFound`` (the page's 404).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx

from tsuen_common.timeutil import JST
from tsuen_portal.adapters.backends import BackendNotFound, BackendUnavailable, ServiceApi
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer.guardian import Backends

STATEMENT_CALLS_AT_ONCE = 8


@dataclass(frozen=True)
class Line:
    """One usage line (利用実績) as billing priced it."""

    booking_id: str
    child_id: str
    kind: str
    use_date: date
    adjusts_month: str | None  # an earlier closed month billed late (調整行)
    minutes: int
    benefit_yen: int | None
    addon_yen: int | None
    fee_yen: int | None
    over_cap_yen: int | None
    age_band: str | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    actual_cost_yen: int | None = None  # 実費 of the visit (the guardian's to pay)
    actual_costs: tuple[tuple[str, int], ...] = ()  # (item, yen)
    first_visit: bool = False  # addon_yen includes the 初回 add-on

    @property
    def visit(self) -> str:
        """attendance's arrival and pickup in Japan time (「09:02–10:15」), when known."""
        if self.checked_in_at is None or self.checked_out_at is None:
            return ""
        came, left = self.checked_in_at.astimezone(JST), self.checked_out_at.astimezone(JST)
        return f"{came:%H:%M}–{left:%H:%M}"


@dataclass(frozen=True)
class Statement:
    """A guardian's monthly statement at one facility (what the guardian owes it)."""

    id: str
    facility_id: str
    facility_name: str
    guardian_id: str
    month: str
    minutes: int
    line_count: int
    fee_yen: int
    over_cap_yen: int
    total_yen: int
    closed_at: datetime
    lines: list[Line] = field(default_factory=list)
    actual_cost_yen: int = 0  # 実費 (meals, snacks), in total_yen


@dataclass(frozen=True)
class Claim:
    """A facility's claim to one paying municipality for a month."""

    id: str
    facility_id: str
    facility_name: str
    municipality: str
    month: str
    minutes: int
    line_count: int
    benefit_yen: int
    addon_yen: int
    total_yen: int
    closed_at: datetime
    lines: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class FacilityTotal:
    facility_id: str
    facility_name: str
    claims: int
    minutes: int
    total_yen: int


@dataclass(frozen=True)
class Totals:
    """What the municipality owes for a month, by facility (billing's own totals)."""

    month: str
    facilities: list[FacilityTotal]
    minutes: int
    total_yen: int


@dataclass(frozen=True)
class GuardianStatements:
    """The facility's statements of a month, with the children each covers (for staff)."""

    statement: Statement
    children: list[str]  # names from attendance's month report; empty when unknown


def _billing(api: Backends) -> ServiceApi:
    if api.billing is None:
        raise BackendUnavailable("billing is not configured")
    return api.billing


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _optional(value: Any) -> int | None:
    return None if value is None else int(value)


def _line(body: dict[str, Any]) -> Line:
    return Line(
        booking_id=str(body["booking_id"]),
        child_id=str(body["child_id"]),
        kind=str(body["kind"]),
        use_date=date.fromisoformat(str(body["use_date"])),
        adjusts_month=str(body["adjusts_month"]) if body.get("adjusts_month") else None,
        minutes=int(body["minutes"]),
        benefit_yen=_optional(body.get("benefit_yen")),
        addon_yen=_optional(body.get("addon_yen")),
        fee_yen=_optional(body.get("fee_yen")),
        over_cap_yen=_optional(body.get("over_cap_yen")),
        age_band=str(body["age_band"]) if body.get("age_band") else None,
        checked_in_at=_moment(body.get("checked_in_at")),
        checked_out_at=_moment(body.get("checked_out_at")),
        actual_cost_yen=_optional(body.get("actual_cost_yen")),
        actual_costs=tuple((str(n), int(y)) for n, y in body.get("actual_costs") or []),
        first_visit=bool(body.get("first_visit")),
    )


def _statement(body: dict[str, Any]) -> Statement:
    return Statement(
        id=str(body["id"]),
        facility_id=str(body["facility_id"]),
        facility_name=str(body["facility_name"]),
        guardian_id=str(body["guardian_id"]),
        month=str(body["month"]),
        minutes=int(body["minutes"]),
        line_count=int(body["line_count"]),
        fee_yen=int(body["fee_yen"]),
        over_cap_yen=int(body["over_cap_yen"]),
        total_yen=int(body["total_yen"]),
        closed_at=datetime.fromisoformat(str(body["closed_at"])),
        lines=[_line(line) for line in body.get("lines", [])],
        actual_cost_yen=int(body.get("actual_cost_yen") or 0),
    )


def _claim(body: dict[str, Any]) -> Claim:
    return Claim(
        id=str(body["id"]),
        facility_id=str(body["facility_id"]),
        facility_name=str(body["facility_name"]),
        municipality=str(body["municipality"]),
        month=str(body["month"]),
        minutes=int(body["minutes"]),
        line_count=int(body["line_count"]),
        benefit_yen=int(body["benefit_yen"]),
        addon_yen=int(body["addon_yen"]),
        total_yen=int(body["total_yen"]),
        closed_at=datetime.fromisoformat(str(body["closed_at"])),
        lines=[_line(line) for line in body.get("lines", [])],
    )


# --- guardians --------------------------------------------------------------------------------


async def my_statements(api: Backends, token: str) -> list[Statement]:
    """The guardian's statements, every month and facility (billing knows the guardian from
    the token)."""
    return [_statement(s) for s in await _billing(api).get("/v1/statements", token)]


async def statement(api: Backends, token: str, statement_id: str) -> Statement:
    """One statement with its lines: the guardian's own, or (for staff) their facility's."""
    return _statement(await _billing(api).get(f"/v1/statements/{statement_id}", token))


# --- facility staff ---------------------------------------------------------------------------


async def facility_claims(api: Backends, account: Account, token: str, month: str) -> list[Claim]:
    body = await _billing(api).get(
        f"/v1/facilities/{account.facility_id}/claims", token, {"month": month}
    )
    return [_claim(c) for c in body]


async def claim(api: Backends, token: str, claim_id: str) -> Claim:
    """A claim with its lines: staff of its facility or officers of the paying municipality."""
    return _claim(await _billing(api).get(f"/v1/claims/{claim_id}", token))


async def child_names(api: Backends, account: Account, token: str, month: str) -> dict[str, str]:
    """The facility's children by id, from attendance's month report (staff only; billing
    knows no names). Empty when attendance is not there: the page then shows none."""
    if api.attendance is None:
        return {}
    try:
        body = await api.attendance.get(
            f"/v1/facilities/{account.facility_id}/report", token, {"month": month}
        )
    except (BackendNotFound, BackendUnavailable):
        return {}
    return {str(line["child_id"]): str(line.get("child_name") or "") for line in body}


async def facility_statements(
    api: Backends, account: Account, token: str, month: str
) -> list[GuardianStatements]:
    """The month's statements of the facility's guardians, each with its children's names
    (billing's statement lines name the child; attendance's report names the child)."""
    billing = _billing(api)
    listed = await billing.get(
        f"/v1/facilities/{account.facility_id}/statements", token, {"month": month}
    )
    # One call per family (billing's list carries no lines): a few at a time, not a burst.
    gate = asyncio.Semaphore(STATEMENT_CALLS_AT_ONCE)

    async def detail(statement_id: str) -> Any:
        async with gate:
            return await billing.get(f"/v1/statements/{statement_id}", token)

    details, names = await asyncio.gather(
        asyncio.gather(*(detail(str(s["id"])) for s in listed)),
        child_names(api, account, token, month),
    )
    out = []
    for body in details:
        found = _statement(body)
        children = dict.fromkeys(names.get(line.child_id, "") for line in found.lines)
        out.append(GuardianStatements(found, [name for name in children if name]))
    return out


# --- officers ---------------------------------------------------------------------------------


async def municipality_claims(
    api: Backends, account: Account, token: str, month: str
) -> tuple[Totals, list[Claim]]:
    """The month's claims to the officer's municipality and billing's totals by facility."""
    billing = _billing(api)
    code = account.municipality
    totals, claims = await asyncio.gather(
        billing.get(f"/v1/municipalities/{code}/claims/totals", token, {"month": month}),
        billing.get(f"/v1/municipalities/{code}/claims", token, {"month": month}),
    )
    return (
        Totals(
            month=str(totals["month"]),
            facilities=[
                FacilityTotal(
                    facility_id=str(f["facility_id"]),
                    facility_name=str(f["facility_name"]),
                    claims=int(f["claims"]),
                    minutes=int(f["minutes"]),
                    total_yen=int(f["total_yen"]),
                )
                for f in totals["facilities"]
            ],
            minutes=int(totals["minutes"]),
            total_yen=int(totals["total_yen"]),
        ),
        [_claim(c) for c in claims],
    )


# --- CSV downloads, passed on from billing as they come ----------------------------------------


async def claim_csv(api: Backends, token: str, claim_id: str) -> httpx.Response:
    """The claim's lines as billing's CSV (docs/billing.md#csv): an open response to stream."""
    return await _billing(api).open_stream(f"/v1/claims/{claim_id}/lines.csv", token)


async def municipality_csv(
    api: Backends, account: Account, token: str, month: str
) -> httpx.Response:
    """Every line the municipality is claimed for in the month, all facilities (CSV)."""
    return await _billing(api).open_stream(
        f"/v1/municipalities/{account.municipality}/claims.csv", token, {"month": month}
    )
