"""HTTP API of 空き待ち (service_layer/waitlist.py, issue 17): join a full span's wait list,
see one's entries and offers, accept an offer (a booking under every booking rule), decline
or leave. Another family's entry is a 404 exactly like a missing one. The facility's whole
list, with the children's names and readings, is ``GET /v1/facilities/{id}/waitlist``
(service_layer/waitlist_facility.py): its staff and its municipality's officers only."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from tsuen_booking.entrypoints.deps import CHANGE, LIST, READ, TYPED, ContextDep, Manager
from tsuen_booking.entrypoints.schemas import BookingOut
from tsuen_booking.service_layer import waitlist, waitlist_facility
from tsuen_booking.service_layer.commands import BookingRequest, BoundedDate
from tsuen_common.auth import PrincipalDep

router = APIRouter(prefix="/v1")


class WaitlistEntryOut(BaseModel):
    id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    child_id: uuid.UUID
    child_name: str | None
    use_date: date
    start: str
    end: str
    status: str  # waiting | offered | booked | left | declined | expired | lapsed
    joined_at: datetime
    hold_until: datetime | None  # while offered: the place is held until then (Japan time)
    position: int | None  # while waiting: 1 = the next to be offered a place
    booking_id: uuid.UUID | None


class FacilityWaitlistEntryOut(WaitlistEntryOut):
    child_kana: str | None  # the reading, as the staff's roster shows it (None: not received)


@router.post(
    "/waitlist",
    status_code=status.HTTP_201_CREATED,
    tags=["waitlist"],
    summary="空き待ちに登録する: only for a span that is full now",
    response_model=WaitlistEntryOut,
    responses=CHANGE,
)
async def join(body: BookingRequest, principal: PrincipalDep, ctx: ContextDep) -> dict[str, Any]:
    return await waitlist.join(ctx, principal, body)


@router.get(
    "/waitlist",
    tags=["waitlist"],
    summary="空き待ちの一覧 (own tenant), from a day on (default today)",
    response_model=list[WaitlistEntryOut],
    responses=LIST,
)
async def list_entries(
    principal: PrincipalDep, ctx: ContextDep, since: BoundedDate | None = Query(default=None)
) -> list[dict[str, Any]]:
    return await waitlist.list_entries(ctx, principal, since=since)


@router.get(
    "/waitlist/{entry_id}", tags=["waitlist"], response_model=WaitlistEntryOut, responses=READ
)
async def get_entry(
    entry_id: uuid.UUID, principal: PrincipalDep, ctx: ContextDep
) -> dict[str, Any]:
    return await waitlist.get_entry(ctx, principal, entry_id)


@router.post(
    "/waitlist/{entry_id}/accept",
    status_code=status.HTTP_201_CREATED,
    tags=["waitlist"],
    summary="お知らせした空きを予約する (the guardian, while the place is held)",
    response_model=BookingOut,
    responses=CHANGE,
    **TYPED,
)
async def accept(entry_id: uuid.UUID, principal: PrincipalDep, ctx: ContextDep) -> dict[str, Any]:
    return await waitlist.accept(ctx, principal, entry_id)


@router.post(
    "/waitlist/{entry_id}/leave",
    tags=["waitlist"],
    summary="空き待ちをやめる (an offered place is declined and passes to the next)",
    response_model=WaitlistEntryOut,
    responses=CHANGE,
)
async def leave(entry_id: uuid.UUID, principal: PrincipalDep, ctx: ContextDep) -> dict[str, Any]:
    return await waitlist.leave(ctx, principal, entry_id)


@router.get(
    "/facilities/{facility_id}/waitlist",
    tags=["waitlist"],
    summary="施設の空き待ち: every entry of one day (or from today on) with the children's "
    "names and readings, places in line and holds; the facility's staff and its "
    "municipality's officers only",
    response_model=list[FacilityWaitlistEntryOut],
    responses=READ,
)
async def facility_list(
    facility_id: uuid.UUID,
    principal: Manager,
    ctx: ContextDep,
    day: BoundedDate | None = Query(
        default=None, description="only this day (default: from today)"
    ),
) -> list[dict[str, Any]]:
    return await waitlist_facility.facility_entries(ctx, principal, facility_id, day=day)
