"""Bookings: book (柔軟利用, 代理予約), 予約一覧, one booking, cancel (single and 一括), and the
cancellation deadlines."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from tsuen_booking.domain.booking import BookingStatus
from tsuen_booking.entrypoints.deps import CHANGE, LIST, READ, TYPED, Booker, ContextDep
from tsuen_booking.entrypoints.schemas import (
    BookingOut,
    BulkCancelOut,
    DeadlineOut,
)
from tsuen_booking.service_layer import (
    cancellation,
    deadlines,
    hot_cancel,
    hot_path,
    listing,
    waitlist_offers,
)
from tsuen_booking.service_layer.commands import (
    BookingRequest,
    BoundedDate,
    BoundedDateTime,
    BulkCancelRequest,
    CancelRequest,
)
from tsuen_common.auth import (
    MunicipalityCode,
    PrincipalDep,
)
from tsuen_common.events.booking import BookingKind

router = APIRouter(prefix="/v1")


@router.post(
    "/bookings",
    status_code=status.HTTP_201_CREATED,
    tags=["bookings"],
    response_model=BookingOut,
    responses=CHANGE,
    **TYPED,
)
async def create_booking(
    request: BookingRequest, principal: Booker, ctx: ContextDep
) -> dict[str, Any]:
    return await hot_path.book(ctx, principal, request)


@router.get(
    "/bookings",
    tags=["bookings"],
    summary="予約一覧",
    response_model=list[BookingOut],
    responses=LIST,
    **TYPED,
)
async def list_bookings(
    principal: PrincipalDep,
    ctx: ContextDep,
    kind: BookingKind | None = None,
    status_: Annotated[BookingStatus | None, Query(alias="status")] = None,
    facility_id: uuid.UUID | None = None,
    child_id: uuid.UUID | None = None,
    date_from: Annotated[BoundedDate | None, Query(alias="from")] = None,
    date_to: Annotated[BoundedDate | None, Query(alias="to")] = None,
    upcoming: bool = False,
) -> list[dict[str, Any]]:
    return await listing.list_bookings(
        ctx,
        principal,
        listing.BookingFilter(
            kind=kind,
            status=status_,
            facility_id=facility_id,
            child_id=child_id,
            date_from=date_from,
            date_to=date_to,
            upcoming=upcoming,
        ),
    )


@router.post(
    "/bookings/bulk-cancel",
    tags=["bookings"],
    summary="一括キャンセル",
    response_model=BulkCancelOut,
    responses=CHANGE,
    **TYPED,
)
async def bulk_cancel(
    body: BulkCancelRequest, principal: PrincipalDep, ctx: ContextDep
) -> dict[str, Any]:
    return await cancellation.cancel_bulk(
        ctx, principal, body.booking_ids, body.reason, cause=body.cause
    )


@router.get(
    "/bookings/{booking_id}", tags=["bookings"], response_model=BookingOut, responses=READ, **TYPED
)
async def get_booking(
    booking_id: uuid.UUID, principal: PrincipalDep, ctx: ContextDep
) -> dict[str, Any]:
    return await listing.get_booking(ctx, principal, booking_id)


@router.post(
    "/bookings/{booking_id}/cancel",
    tags=["bookings"],
    response_model=BookingOut,
    responses=CHANGE,
    **TYPED,
)
async def cancel_booking(
    booking_id: uuid.UUID, body: CancelRequest, principal: PrincipalDep, ctx: ContextDep
) -> dict[str, Any]:
    cancelled = await hot_cancel.cancel(
        ctx, principal, booking_id, body.reason, cause=body.cause, called_at=body.called_at
    )
    await waitlist_offers.after_cancellation(ctx, cancelled)  # the freed place, offered now
    return cancelled


@router.get(
    "/bookings/{booking_id}/cancellation-deadline",
    tags=["bookings"],
    response_model=DeadlineOut,
    responses=READ,
    **TYPED,
)
async def booking_deadline(
    booking_id: uuid.UUID, principal: PrincipalDep, ctx: ContextDep
) -> dict[str, str]:
    deadline = await deadlines.booking_deadline(ctx, principal, booking_id)
    return {"deadline": deadline.isoformat()}


@router.get(
    "/municipalities/{code}/cancellation-deadline",
    tags=["bookings"],
    response_model=DeadlineOut,
    responses=READ,
    **TYPED,
)
async def preview_deadline(
    code: MunicipalityCode,
    facility_id: uuid.UUID,
    start: Annotated[
        BoundedDateTime, Query(description="ISO-8601; without an offset it is Japan time")
    ],
    principal: PrincipalDep,
    ctx: ContextDep,
) -> dict[str, str]:
    deadline = await deadlines.preview_deadline(ctx, principal, code, facility_id, start)
    return {"deadline": deadline.isoformat()}
