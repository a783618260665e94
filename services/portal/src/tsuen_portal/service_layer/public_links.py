"""The public steps around the application form: which municipalities take applications and
when (their phase and key dates), the application link by e-mail, and confirming a new e-mail
address. Every call is public: eligibility checks the mailed token itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tsuen_portal.adapters.backends import ServiceApi, _message_ja


@dataclass(frozen=True)
class KeyDate:
    day: date
    label_ja: str
    label_en: str


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    prefecture: str
    phase: str  # upcoming, open, closed
    opens_on: date | None
    closes_on: date | None
    key_dates: tuple[KeyDate, ...]
    holds_lottery: bool = False  # places drawn by lot (抽選); otherwise reviewed directly


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


async def municipalities(eligibility: ServiceApi) -> list[Municipality]:
    response = await eligibility.send("GET", "/v1/municipalities")
    if response.status_code != 200:
        return []
    return [
        Municipality(
            code=str(m["code"]),
            name=str(m["name"]),
            prefecture=str(m.get("prefecture") or ""),
            phase=str(m.get("phase") or "open"),
            opens_on=_day(m.get("applications_open_on")),
            closes_on=_day(m.get("applications_close_on")),
            key_dates=tuple(
                KeyDate(date.fromisoformat(str(d["day"])), str(d["label_ja"]), str(d["label_en"]))
                for d in m.get("key_dates") or []
            ),
            holds_lottery=bool(m.get("holds_lottery")),
        )
        for m in response.json()
    ]


async def request_link(eligibility: ServiceApi, municipality: str, email: str) -> str:
    """Ask for the application link. Returns eligibility's Japanese reason when it refuses for
    the municipality (applications not open); anything about the address stays unsaid."""
    response = await eligibility.send(
        "POST", f"/v1/municipalities/{municipality}/application-links", json={"email": email}
    )
    if response.status_code == 409:
        return _message_ja(response)
    return ""


@dataclass(frozen=True)
class EmailConfirmed:
    ok: bool
    message_ja: str = ""
    already: bool = False  # confirmed before (the button pressed twice)


async def confirm_email(eligibility: ServiceApi, municipality: str, token: str) -> EmailConfirmed:
    response = await eligibility.send(
        "POST",
        f"/v1/municipalities/{municipality}/email-changes/confirm",
        json={"token": token},
    )
    if response.status_code == 200:
        return EmailConfirmed(True)
    try:
        detail = str(response.json().get("detail") or "")
    except ValueError:
        detail = ""
    return EmailConfirmed(False, _message_ja(response), already="already" in detail)
