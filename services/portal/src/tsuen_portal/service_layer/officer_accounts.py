"""The officer's facilities and staff accounts of their municipality (issue 16): booking keeps
the facilities, identity the accounts; both are called with the officer's token and decide
who may see what (another municipality's facility or account is a 404 from them).

Identity does not know facilities, so before an invitation the portal asks booking whether the
chosen facility is one of the officer's municipality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tsuen_portal.adapters.backends import (
    BackendNotFound,
    BackendRefused,
    ServiceApi,
    _message_ja,
)
from tsuen_portal.domain.sessions import Account
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.officer import Refused

ROLES = {
    "facility_staff": N_("Facility staff"),
    "municipality_officer": N_("Municipality officer"),
}
ACCOUNT_STATUS = {
    "invited": N_("Invited (no password yet)"),
    "active": N_("Active"),
    "disabled": N_("Disabled"),
}
ACCOUNT_ACTIONS = {
    "account.invited": N_("Account invited"),
    "account.disabled": N_("Account disabled"),
    "account.enabled": N_("Account enabled again"),
}
WEEKDAY_SHORT = (
    N_("Mon"),
    N_("Tue"),
    N_("Wed"),
    N_("Thu"),
    N_("Fri"),
    N_("Sat"),
    N_("Sun"),
)


@dataclass(frozen=True)
class FacilityLine:
    id: str
    name: str
    kana: str
    facility_type: str
    address: str
    phone: str
    places_per_slot: int
    days: list[int]
    hours: str  # "08:30–17:00" when every open day has the same hours, else ""


@dataclass(frozen=True)
class AccountLine:
    id: str
    email: str
    role: str
    facility_id: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    action: str
    email: str
    actor: str  # an officer's e-mail when known, else as identity keeps it


def _identity(api: Backends) -> ServiceApi:
    assert api.identity is not None, "the portal is built with identity's API"
    return api.identity


def _facility(body: dict[str, Any]) -> FacilityLine:
    opening = body.get("opening_hours") or {}
    spans = {(h.get("open"), h.get("close")) for h in opening.values()}
    hours = ""
    if len(spans) == 1:
        (opens, closes) = next(iter(spans))
        hours = f"{opens}–{closes}"
    return FacilityLine(
        id=str(body["id"]),
        name=str(body.get("name") or ""),
        kana=str(body.get("kana") or ""),
        facility_type=str(body.get("facility_type") or ""),
        address=str(body.get("address") or ""),
        phone=str(body.get("phone") or ""),
        places_per_slot=int(body.get("places_per_slot") or 0),
        days=sorted(int(d) for d in opening),
        hours=hours,
    )


async def facilities(api: Backends, account: Account, token: str) -> list[FacilityLine]:
    body = await api.booking.get("/v1/facilities", token, {"municipality": account.municipality})
    return sorted((_facility(f) for f in body), key=lambda f: (f.kana or f.name, f.id))


async def register_facility(
    api: Backends, account: Account, token: str, body: dict[str, Any]
) -> FacilityLine | Refused:
    response = await api.booking.send(
        "POST", f"/v1/municipalities/{account.municipality}/facilities", token, json=body
    )
    if response.status_code == 201:
        return _facility(response.json())
    if response.status_code in (403, 404):
        raise BackendNotFound("municipality")
    return Refused(_message_ja(response) or N_("The facility was not registered. Check the form."))


async def is_municipality_facility(
    api: Backends, account: Account, token: str, facility_id: str
) -> bool:
    """Whether booking shows this facility to the officer as one of their municipality's."""
    try:
        body = await api.booking.get(f"/v1/facilities/{facility_id}", token)
    except (BackendNotFound, BackendRefused):  # another municipality's, missing, malformed
        return False
    return str(body.get("municipality")) == account.municipality


async def accounts(api: Backends, account: Account, token: str) -> list[AccountLine]:
    body = await _identity(api).get(f"/v1/municipalities/{account.municipality}/accounts", token)
    return [
        AccountLine(
            id=str(a["account_id"]),
            email=str(a["email"]),
            role=str(a["role"]),
            facility_id=str(a.get("facility_id") or ""),
            status=str(a["status"]),
            created_at=datetime.fromisoformat(str(a["created_at"])),
        )
        for a in body
    ]


async def invite(
    api: Backends, account: Account, token: str, email: str, facility_id: str
) -> Refused | None:
    """A staff account for the facility; identity mails the set-password link."""
    response = await _identity(api).send(
        "POST",
        f"/v1/municipalities/{account.municipality}/accounts",
        token,
        json={"role": "facility_staff", "email": email, "facility_id": facility_id},
    )
    if response.status_code == 201:
        return None
    if response.status_code == 409:
        return Refused(_message_ja(response), field="email")
    if response.status_code == 422:
        return Refused(N_("Enter an e-mail address like name@example.jp"), field="email")
    if response.status_code in (403, 404):
        raise BackendNotFound("municipality")
    return Refused(_message_ja(response) or N_("The decision was not accepted. Reload the page."))


async def set_enabled(
    api: Backends, account: Account, token: str, account_id: str, *, enabled: bool
) -> Refused | None:
    action = "enable" if enabled else "disable"
    response = await _identity(api).send(
        "POST",
        f"/v1/municipalities/{account.municipality}/accounts/{account_id}/{action}",
        token,
    )
    if response.status_code == 200:
        return None
    if response.status_code in (403, 404, 422):
        raise BackendNotFound(account_id)  # another municipality's, a guardian's, missing
    return Refused(_message_ja(response) or N_("The decision was not accepted. Reload the page."))


async def audit(
    api: Backends, account: Account, token: str, known: list[AccountLine]
) -> list[AuditLine]:
    body = await _identity(api).get(
        f"/v1/municipalities/{account.municipality}/account-audit", token
    )
    emails = {a.id: a.email for a in known}
    return [
        AuditLine(
            at=datetime.fromisoformat(str(e["at"])),
            action=str(e["action"]),
            email=str(e["email"]),
            actor=emails.get(str(e["actor"]), str(e["actor"])),
        )
        for e in body
    ]
