"""The officer's 施設の登録 form (issue 16): what booking needs to register a facility, read
from the posted fields, with an error for each field the officer must correct. Pure: the page
shows the errors at the top (linked to the fields) and sends booking the body it builds.

Opening hours are one span for the chosen weekdays: how most nurseries describe themselves;
a facility with different hours on Saturday changes them later (booking's PATCH).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from tsuen_portal.i18n import N_

FACILITY_TYPES = (
    "licensed_nursery",
    "certified_center",
    "community_small",
    "community_workplace",
    "employer_led",
    "tokyo_certified",
    "unlicensed",
)
MAX_PLACES = 200  # places per slot: far above any nursery, far below booking's bound
NAME_MAX = 200
ADDRESS_MAX = 300
# The same shapes booking accepts (tsuen_common.text.PhoneNumber), checked here to point at
# the field instead of showing booking's 422.
_PHONE = re.compile(r"^[0-9+\-() ]{6,20}$")
_KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff\s・ー]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DAY_FIELD = "day-{}"  # one checkbox per weekday, 0 = Monday
DAYS_FIELD = "day-0"  # where the error summary points for the weekdays


@dataclass
class FacilityForm:
    """The form as typed (shown again with the errors)."""

    name: str = ""
    kana: str = ""
    facility_type: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    places: str = ""
    days: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    opens: str = "08:30"
    closes: str = "17:00"


def _clean(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def _time(value: str) -> time | None:
    try:
        return time.fromisoformat(value) if re.fullmatch(r"\d{2}:\d{2}", value) else None
    except ValueError:
        return None


def read_facility_form(fields: Mapping[str, str]) -> tuple[FacilityForm, dict[str, str]]:
    """The form and its errors (field → message id, in the page's order); no errors means
    :func:`registration_body` gives what booking registers."""
    form = FacilityForm(
        name=_clean(fields.get("name"))[: NAME_MAX + 1],
        # The reading keeps its kana as typed (NFKC would not turn hiragana into katakana).
        kana=_clean(fields.get("kana"))[: NAME_MAX + 1],
        facility_type=fields.get("facility_type", ""),
        address=_clean(fields.get("address"))[: ADDRESS_MAX + 1],
        phone=_clean(fields.get("phone"))[:40],
        email=_clean(fields.get("email"))[:320],
        places=_clean(fields.get("places"))[:10],
        days=[d for d in range(7) if fields.get(_DAY_FIELD.format(d)) == "yes"],
        opens=fields.get("opens", "").strip()[:5],
        closes=fields.get("closes", "").strip()[:5],
    )
    errors: dict[str, str] = {}
    if not form.name:
        errors["name"] = N_("Enter the facility's name")
    elif len(form.name) > NAME_MAX:
        errors["name"] = N_("Write the name in 200 characters or fewer")
    if not form.kana:
        errors["kana"] = N_("Enter the reading of the name")
    elif not _KANA.fullmatch(form.kana) or len(form.kana) > NAME_MAX:
        errors["kana"] = N_("Write the reading in hiragana or katakana")
    if form.facility_type not in FACILITY_TYPES:
        errors["facility_type"] = N_("Choose the type of facility")
    if not form.address:
        errors["address"] = N_("Enter the address")
    elif len(form.address) > ADDRESS_MAX:
        errors["address"] = N_("Write the address in 300 characters or fewer")
    if not form.phone:
        errors["phone"] = N_("Enter the phone number")
    elif not _PHONE.fullmatch(form.phone):
        errors["phone"] = N_("Enter the phone number in digits, like 0537-21-1111")
    if form.email and not _EMAIL.fullmatch(form.email):
        errors["email"] = N_("Enter an e-mail address like name@example.jp")
    if not form.places.isdigit() or not 1 <= int(form.places) <= MAX_PLACES:
        errors["places"] = N_("Enter the places per time slot as a number from 1 to 200")
    if not form.days:
        errors[DAYS_FIELD] = N_("Choose the days the facility is open")
    opens, closes = _time(form.opens), _time(form.closes)
    if opens is None:
        errors["opens"] = N_("Enter the opening time like 08:30")
    if closes is None:
        errors["closes"] = N_("Enter the closing time like 17:00")
    elif opens is not None and closes <= opens:
        errors["closes"] = N_("The closing time must be after the opening time")
    return form, errors


def registration_body(form: FacilityForm) -> dict[str, Any]:
    """Booking's ``POST /v1/municipalities/{code}/facilities`` body for a checked form."""
    hours = {"open": form.opens, "close": form.closes}
    body: dict[str, Any] = {
        "name": form.name,
        "kana": form.kana,
        "facility_type": form.facility_type,
        "address": form.address,
        "phone": form.phone,
        "places_per_slot": int(form.places),
        "opening_hours": {str(day): hours for day in form.days},
    }
    if form.email:
        body["email"] = form.email
    return body
