"""Cancellation deadlines: of a booking, and before booking (the preview for a facility and a
start time)."""

from __future__ import annotations

import uuid
from datetime import datetime

from tsuen_booking.adapters import booking_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.cancellation import cancellation_deadline
from tsuen_booking.domain.errors import BOOKING_NOT_FOUND_JA, FACILITY_NOT_FOUND_JA, NotFound
from tsuen_booking.service_layer.access import can_see_booking
from tsuen_booking.service_layer.booking_rows import facility_of
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.facilities import can_see_facility
from tsuen_common.auth import Principal
from tsuen_common.timeutil import JST


async def booking_deadline(ctx: Context, principal: Principal, booking_id: uuid.UUID) -> datetime:
    async with ctx.sessions() as session:
        row = await booking_store.booking(session, booking_id)
        if row is None or not can_see_booking(principal, row):
            raise NotFound(f"booking {booking_id} not found", message_ja=BOOKING_NOT_FOUND_JA)
        facility, _ = await facility_of(session, row["facility_id"])
    rule = ctx.policy(row["municipality"]).cancellation
    return cancellation_deadline(rule, facility, row["use_date"]).astimezone(JST)


async def preview_deadline(
    ctx: Context, principal: Principal, municipality: str, facility_id: uuid.UUID, start: datetime
) -> datetime:
    rule = ctx.policy(municipality).cancellation
    async with ctx.sessions() as session:
        row = await repo.facility_row(session, facility_id)
    if (
        row is None
        or row["municipality"] != municipality
        or not can_see_facility(ctx, principal, row)
    ):
        raise NotFound(
            f"facility {facility_id} not found in municipality {municipality}",
            message_ja=FACILITY_NOT_FOUND_JA,
        )
    local = start.replace(tzinfo=JST) if start.tzinfo is None else start.astimezone(JST)
    return cancellation_deadline(rule, repo.facility_from_row(row), local.date()).astimezone(JST)
