"""What the fee pages show and change, through billing with the user's token (issue 19):

- a guardian's 利用料のしくみ: each certified child's household fee category (標準 /
  生活保護世帯 / 住民税非課税世帯) and the fee per hour it gives, and the 実費 items of the
  facilities the family has bookings or 初回面談 at;
- a facility's 実費 items, which its staff set from a day on.

Every figure is billing's (it owns the prices); nothing here computes a fee.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from tsuen_portal.adapters.backends import BackendNotFound, BackendUnavailable, ServiceApi
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer import guardian
from tsuen_portal.service_layer.guardian import Backends

COULD_NOT_SAVE_JA = "実費を保存できませんでした。入力内容をご確認ください。"


@dataclass(frozen=True)
class Refused(Exception):
    """Billing said no for a reason the staff member can act on (its ``message_ja``)."""

    message_ja: str
    japanese: bool = True


@dataclass(frozen=True)
class CostItem:
    name: str
    unit: str  # "visit" | "day"
    yen: int
    effective_from: date
    active: bool


@dataclass(frozen=True)
class FacilityCosts:
    facility_id: str
    facility_name: str
    current: list[CostItem]  # charged today
    upcoming: list[CostItem]  # changes from a later day
    first_open_day: date | None  # the first day a change may apply from (after a close)


@dataclass(frozen=True)
class ChildFee:
    child_id: str
    child_name: str
    category: str  # standard | welfare | tax_exempt
    standard_fee_per_hour: int
    reduction_per_hour: int
    fee_per_hour: int
    to_confirm: bool


def _billing(api: Backends) -> ServiceApi:
    if api.billing is None:
        raise BackendUnavailable("billing is not configured")
    return api.billing


def _item(body: dict[str, Any]) -> CostItem:
    return CostItem(
        name=str(body["name"]),
        unit=str(body["unit"]),
        yen=int(body["yen"]),
        effective_from=date.fromisoformat(str(body["effective_from"])),
        active=bool(body["active"]),
    )


async def facility_costs(
    api: Backends, token: str, facility_id: str, facility_name: str = ""
) -> FacilityCosts:
    body = await _billing(api).get(f"/v1/facilities/{facility_id}/cost-items", token)
    today = date.fromisoformat(str(body["on"]))
    first_open = body.get("first_open_day")
    return FacilityCosts(
        facility_id=facility_id,
        facility_name=facility_name,
        current=[_item(i) for i in body["current"]],
        upcoming=[_item(i) for i in body["versions"] if _item(i).effective_from > today],
        first_open_day=date.fromisoformat(str(first_open)) if first_open else None,
    )


async def set_cost_item(
    api: Backends,
    account: Account,
    token: str,
    *,
    name: str,
    unit: str,
    yen: int,
    effective_from: date,
    active: bool,
) -> None:
    """Raises :class:`Refused` with billing's message (a day in a closed month, …)."""
    response = await _billing(api).send(
        "PUT",
        f"/v1/facilities/{account.facility_id}/cost-items",
        token,
        json={
            "name": name,
            "unit": unit,
            "yen": yen,
            "effective_from": effective_from.isoformat(),
            "active": active,
        },
    )
    if response.status_code >= 400:
        try:
            message = response.json().get("message_ja")
        except (ValueError, AttributeError):
            message = None
        raise Refused(str(message) if message else COULD_NOT_SAVE_JA)


async def _family_facilities(api: Backends, token: str) -> list[str]:
    """The facilities the family has bookings or 初回面談 at, in the order first seen."""
    uses, interviews = await asyncio.gather(
        api.booking.get("/v1/bookings", token),
        api.booking.get("/v1/bookings", token, {"kind": "interview"}),
    )
    return list(dict.fromkeys(str(b["facility_id"]) for b in [*interviews, *uses]))


async def my_fees(
    api: Backends, account: Account, token: str
) -> tuple[list[ChildFee], list[FacilityCosts]]:
    fees, certificates, facility_ids = await asyncio.gather(
        _billing(api).get("/v1/fees", token),
        guardian.certificates(api, account, token),
        _family_facilities(api, token),
    )
    names = {c.child_id: c.child_name or "" for c in certificates}
    children = [
        ChildFee(
            child_id=str(f["child_id"]),
            child_name=names.get(str(f["child_id"]), ""),
            category=str(f["category"]),
            standard_fee_per_hour=int(f["standard_fee_per_hour"]),
            reduction_per_hour=int(f["reduction_per_hour"]),
            fee_per_hour=int(f["fee_per_hour"]),
            to_confirm=bool(f["to_confirm"]),
        )
        for f in fees
    ]
    facility_names = await guardian.facility_names(api, token, set(facility_ids))

    async def costs(facility_id: str) -> FacilityCosts | None:
        try:
            return await facility_costs(
                api, token, facility_id, facility_names.get(facility_id, "")
            )
        except BackendNotFound:
            return None

    found = await asyncio.gather(*(costs(f) for f in facility_ids))
    return children, [f for f in found if f is not None]
