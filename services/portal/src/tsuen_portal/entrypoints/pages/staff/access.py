"""What every staff page shares: the signed-in staff member, ids from URLs, the notices
after an action and the length of a reason."""

from __future__ import annotations

import uuid

from fastapi import HTTPException, status

from tsuen_portal.domain.sessions import Account
from tsuen_portal.entrypoints.web import Page, signed_in_as
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.staff.calls import STAFF

REASON_MAX = 200

DONE = {
    "check_in": N_("Arrival registered."),
    "check_out": N_("Pickup registered."),
    "scheduled": N_("The interview date is fixed. The guardian is mailed."),
    "held": N_("The interview and the health check are recorded."),
    "accepted": N_("The child is accepted. The guardian is mailed."),
    "declined": N_("The child is declined. The guardian is mailed."),
    "plan_declined": N_("The regular-use plan is declined. The guardian is mailed."),
}


async def staff_token(page: Page) -> tuple[Account, str]:
    """The signed-in staff member and a fresh access token; others get the 403 page."""
    return await signed_in_as(page, STAFF, tenant="facility_id")


def uuid_or_404(value: str) -> str:
    """An id from a URL or a form; anything else is the same 404 as an unknown id."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
