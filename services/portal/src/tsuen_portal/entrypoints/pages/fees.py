"""The fee pages (issue 19), read from and written to billing on the user's behalf:

- guardians: 利用料のしくみ (``/fees``): each child's household fee category and the fee per
  hour it gives, and the 実費 items of the facilities the family uses;
- facility staff: 実費の設定 (``/staff/costs``): the facility's items (meals, snacks) and a
  form to add, change or stop one from a day on. Billing refuses a day in a month already
  closed, and the page shows its Japanese reason.

The staff's facility is always the session's (billing checks the token), never an id from
the form, so another facility's list cannot be changed from here.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tsuen_common.timeutil import today_jst
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.domain.money import yen
from tsuen_portal.entrypoints.access import guardian_token, staff_token
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import fees
from tsuen_portal.service_layer.fees import Refused

router = APIRouter(include_in_schema=False)

CATEGORIES = {
    "standard": N_("Standard"),
    "welfare": N_("Household on public assistance (生活保護世帯)"),
    "tax_exempt": N_("Household exempt from residence tax (住民税非課税世帯)"),
}
UNITS = {"visit": N_("per visit"), "day": N_("per day (once a day)")}
NAME_MAX = 40
YEN_MAX = 100_000


async def _render(page: Page, name: str, status: int = 200, **context: Any) -> Response:
    return await page.render(
        name,
        status,
        yen=lambda amount: yen(amount, page.lang),
        categories=CATEGORIES,
        units=UNITS,
        **context,
    )


# --- guardians --------------------------------------------------------------------------------


@router.get("/fees")
async def my_fees(page: PageDep) -> Response:
    account, token = await guardian_token(page, only_guardians=True)
    children, facilities = await fees.my_fees(page.portal.backends, account, token)
    return await _render(page, "money_fees.html", children=children, facilities=facilities)


# --- facility staff ---------------------------------------------------------------------------


def _item_input(values: dict[str, str], errors: FormErrors) -> tuple[int, date | None]:
    if not values["name"]:
        errors.add("name", N_("Enter the item's name, like 昼食 or おやつ"))
    elif len(values["name"]) > NAME_MAX:
        errors.add("name", N_("Use 40 characters or fewer"))
    if values["unit"] not in UNITS:
        errors.add("unit", N_("Choose per visit or per day"))
    amount = -1
    with contextlib.suppress(ValueError):
        amount = int(values["yen"].replace(",", "").replace("円", ""))
    if not 0 <= amount <= YEN_MAX and values["stop"] != "yes":
        errors.add("yen", N_("Enter the price in whole yen, from 0 to 100,000"))
    day = None
    with contextlib.suppress(ValueError):
        day = parse_day(values["effective_from"])
    if day is None:
        errors.add("effective_from", N_("Enter the first day it applies, like 2027-01-07"))
    return max(amount, 0), day


async def _costs_page(
    page: Page,
    token: str,
    facility_id: str,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    refused: Refused | None = None,
    done: bool = False,
) -> Response:
    costs = await fees.facility_costs(page.portal.backends, token, facility_id)
    earliest = max(today_jst(), costs.first_open_day or today_jst())
    values = values or {
        "name": "",
        "unit": "day",
        "yen": "",
        "effective_from": earliest.isoformat(),
        "stop": "",
    }
    errors = errors or FormErrors()
    return await _render(
        page,
        "staff_costs.html",
        400 if errors else (409 if refused else 200),
        costs=costs,
        values=values,
        errors=errors,
        refused=refused,
        done=N_("Saved. The new price applies from its day.") if done else None,
    )


@router.get("/staff/costs")
async def staff_costs(page: PageDep, done: str = "") -> Response:
    account, token = await staff_token(page)
    return await _costs_page(page, token, str(account.facility_id), done=done == "1")


@router.post("/staff/costs")
async def set_cost(page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    values = {
        k: " ".join(form.get(k, "").split())
        for k in ("name", "unit", "yen", "effective_from", "stop")
    }
    errors = FormErrors()
    amount, day = _item_input(values, errors)
    if errors or day is None:
        return await _costs_page(
            page, token, str(account.facility_id), values=values, errors=errors
        )
    try:
        await fees.set_cost_item(
            page.portal.backends,
            account,
            token,
            name=values["name"],
            unit=values["unit"],
            yen=amount,
            effective_from=day,
            active=values["stop"] != "yes",
        )
    except Refused as no:
        return await _costs_page(page, token, str(account.facility_id), values=values, refused=no)
    return page.redirect("/staff/costs?done=1")
