"""Equivalent answers for booking's POSTs whose first answer was lost to a crash.

The key row of an ``Idempotency-Key`` is written in the booking's own transaction; its answer
a moment later (``tsuen_common.idempotency``). When the process died in between, a retry gets
what the first attempt would have answered, read back from what it committed: the booking
(201) for ``POST /v1/bookings``, the booking as it now stands for its cancellation. Other POSTs
answer ``idempotency_already_done`` (409) in that rare case.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from pydantic import ValidationError

from tsuen_booking.domain.booking import ACTIVE_STATUSES
from tsuen_booking.domain.errors import BookingError
from tsuen_booking.service_layer import listing
from tsuen_booking.service_layer.commands import BookingRequest
from tsuen_booking.service_layer.context import Context
from tsuen_common.auth import Forbidden
from tsuen_common.idempotency import Attempt, Recover

_CANCEL = re.compile(r"/v1/bookings/([0-9a-fA-F-]{36})/cancel")


def recover_with(ctx: Context) -> Recover:
    async def recover(attempt: Attempt) -> tuple[int, Any] | None:
        try:
            if attempt.path == "/v1/bookings":
                return await _booking_made(ctx, attempt)
            if (match := _CANCEL.fullmatch(attempt.path)) is not None:
                booking = uuid.UUID(match.group(1))
                return 200, await listing.get_booking(ctx, attempt.principal, booking)
        except (BookingError, Forbidden, ValidationError, ValueError):
            return None
        return None

    return recover


async def _booking_made(ctx: Context, attempt: Attempt) -> tuple[int, Any] | None:
    request = BookingRequest.model_validate(json.loads(attempt.body))
    same_day = await listing.list_bookings(
        ctx,
        attempt.principal,
        listing.BookingFilter(
            child_id=request.child_id,
            facility_id=request.facility_id,
            date_from=request.use_date,
            date_to=request.use_date,
        ),
    )
    active = {s.value for s in ACTIVE_STATUSES}
    made = [
        b
        for b in same_day
        if b["start"] == request.start.strftime("%H:%M")
        and b["end"] == request.end.strftime("%H:%M")
        and str(b["status"]) in active
    ]
    return (201, made[-1]) if made else None
