"""The facility's 実費 items (staff edit them; anyone signed in may read a facility's list, as
a price list on the facility's wall) and a guardian's fee category (利用者負担の階層) with the
hourly fee it gives.

A change to an item applies from a day on; a day in a month the facility has closed is refused
(``CostItemInClosedMonth``), so a closed month's statements and its late adjustment lines are
priced with the items it had.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from tsuen_billing.adapters import extras
from tsuen_billing.adapters import repository as repo
from tsuen_billing.domain.children import facts_on
from tsuen_billing.domain.errors import CostItemInClosedMonth, PricesMissing
from tsuen_billing.domain.money import month_bounds
from tsuen_billing.domain.prices import FeeCategory
from tsuen_billing.domain.visits import CostItem, items_on
from tsuen_billing.service_layer.context import Billing
from tsuen_common.auth import Principal


@dataclass(frozen=True)
class FacilityCosts:
    current: list[CostItem]  # in force on ``on``
    versions: list[CostItem]  # every version, changes to come included
    on: date
    closed_until: str | None  # the facility's latest closed month


async def facility_costs(ctx: Billing, facility_id: uuid.UUID) -> FacilityCosts:
    today = ctx.clock().date()
    async with ctx.sessions() as session:
        versions = await extras.cost_items_of(session, facility_id)
        closed = await repo.latest_close(session, facility_id)
    return FacilityCosts(items_on(versions, today), versions, today, closed)


def first_open_day(closed_until: str | None) -> date | None:
    """The first day an item change may apply from: the day after the latest closed month."""
    return month_bounds(closed_until)[1] if closed_until else None


async def set_cost_item(
    ctx: Billing, principal: Principal, facility_id: uuid.UUID, item: CostItem
) -> None:
    assert principal.municipality is not None  # staff tokens always carry it
    async with ctx.transaction() as session:
        earliest = first_open_day(await repo.latest_close(session, facility_id))
        if earliest is not None and item.effective_from < earliest:
            raise CostItemInClosedMonth(
                f"{item.effective_from} is in a closed month; from {earliest} on",
                message_ja=(
                    "請求を確定した月の日付からは実費を変更できません。"
                    f"{earliest.year}年{earliest.month}月{earliest.day}日以降の日付を指定してください。"
                ),
            )
        await extras.save_cost_item(
            session, facility_id, principal.municipality, item, principal.subject
        )


@dataclass(frozen=True)
class ChildFee:
    child_id: uuid.UUID
    municipality: str
    category: FeeCategory
    standard_fee_per_hour: int
    reduction_per_hour: int
    fee_per_hour: int
    fiscal_year: int
    to_confirm: bool


async def guardian_fees(ctx: Billing, principal: Principal) -> list[ChildFee]:
    """Each of the guardian's certified children: the household's category today and the fee
    per hour it gives (the price table of the child's municipality for today)."""
    if principal.guardian_id is None or principal.municipality is None:
        return []
    today = ctx.clock().date()
    async with ctx.sessions() as session:
        children = await extras.children_of(session, uuid.UUID(principal.guardian_id))
        certifications = await repo.certifications_of(session, children)
        categories = await repo.fee_categories_of(session, children)
    out = []
    for child_id in sorted(children, key=str):
        facts = facts_on(certifications.get(child_id, []), categories.get(child_id, []), today)
        if facts is None or facts.municipality != principal.municipality:
            continue
        try:
            table = ctx.prices.for_use(facts.municipality, today)
        except PricesMissing:
            continue  # no table for this year yet: nothing to say rather than a guess
        category = facts.fee_category_on(today)
        out.append(
            ChildFee(
                child_id=child_id,
                municipality=facts.municipality,
                category=category,
                standard_fee_per_hour=table.parent_fee_per_hour,
                reduction_per_hour=table.reduction_per_hour.get(category, 0),
                fee_per_hour=table.parent_fee(category),
                fiscal_year=table.fiscal_year,
                to_confirm=table.to_confirm,
            )
        )
    return out
