"""The officer's audit trail (操作の記録): one list, newest first, of what changed in the
municipality — eligibility's applications, certifications, lotteries and imports; booking's
staff actions (closures, weeks and places, interviews, acceptances, plans, bookings made or
cancelled for a family); identity's staff accounts (invited, disabled, enabled).

Each service keeps its own trail with the officer's token deciding what it may show; the portal
only reads the three and merges them. An actor is shown by e-mail when it is one of the
municipality's staff or officer accounts, else as the service recorded it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tsuen_portal.domain.sessions import Account
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import officer_accounts, officer_records
from tsuen_portal.service_layer.guardian import Backends

LIMIT = 200

BOOKING_ACTIONS = {
    "facility.updated": N_("Facility details changed"),
    "facility.closed": N_("Facility closed"),
    "capacity.changed": N_("Places or opening hours changed"),
    "bookings.cancelled": N_("Bookings cancelled by the facility"),
    "interview.scheduled": N_("Interview date fixed"),
    "interview.held": N_("Interview and health check recorded"),
    "child.accepted": N_("Child accepted"),
    "child.declined": N_("Child declined"),
    "plan.approved": N_("Regular-use plan approved"),
    "plan.declined": N_("Regular-use plan declined"),
    "booking.booked_for_guardian": N_("Booked for a guardian"),
    "booking.cancelled_for_guardian": N_("Cancelled for a guardian who phoned"),
}
ACTIONS = {
    **officer_records.AUDIT_ACTIONS,
    **BOOKING_ACTIONS,
    **officer_accounts.ACCOUNT_ACTIONS,
}


@dataclass(frozen=True)
class TrailLine:
    at: datetime
    action: str
    actor: str  # an e-mail when the account is known here, else the id the service kept
    application_id: str = ""  # eligibility's lines link to the application
    facility: str = ""  # booking's lines: the facility's name
    note: str = ""  # the reason given, or the account concerned


def _booking_line(entry: dict[str, Any], emails: dict[str, str]) -> TrailLine:
    detail = entry.get("detail") or {}
    actor = str(entry.get("actor") or "")
    facility = str(entry.get("facility_name") or "")
    if actor == str(entry.get("facility_id")):
        actor = facility  # 代理予約: booking knows the facility, not the account
    return TrailLine(
        at=datetime.fromisoformat(str(entry["at"])),
        action=str(entry.get("action") or ""),
        actor=emails.get(actor, actor),
        facility=facility,
        note=str(detail.get("reason") or ""),
    )


async def trail(backends: Backends, account: Account, token: str) -> list[TrailLine]:
    """The three trails merged, newest first, the newest ``LIMIT`` lines."""
    accounts, eligibility_lines, booking_body = await asyncio.gather(
        officer_accounts.accounts(backends, account, token),
        officer_records.audit(backends.eligibility, account, token),
        backends.booking.get(f"/v1/municipalities/{account.municipality}/staff-audit", token),
    )
    known = await officer_accounts.audit(backends, account, token, accounts)
    emails = {a.id: a.email for a in accounts}
    lines = [
        TrailLine(
            at=a.at,
            action=a.action,
            actor=emails.get(a.actor, a.actor),
            application_id=a.application_id,
        )
        for a in eligibility_lines
    ]
    lines += [_booking_line(entry, emails) for entry in booking_body]
    lines += [TrailLine(at=a.at, action=a.action, actor=a.actor, note=a.email) for a in known]
    return sorted(lines, key=lambda line: line.at, reverse=True)[:LIMIT]
