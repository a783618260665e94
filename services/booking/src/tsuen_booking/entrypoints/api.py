"""HTTP API of the booking service: parse, authorise, call a use case, map refusals to 4xx."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tsuen_booking.domain.acceptance import HealthCheck
from tsuen_booking.domain.booking import BookingStatus
from tsuen_booking.entrypoints.schemas import (
    AcceptanceOut,
    AvailabilityOut,
    BookingOut,
    BulkCancelOut,
    ClosureOut,
    ClosurePreviewOut,
    DeadlineOut,
    FacilityOut,
    GenerationOut,
    InterviewOut,
    PlanEndedOut,
    QuotaOut,
    RegularPlanOut,
)
from tsuen_booking.service_layer import (
    acceptance,
    cancellation,
    deadlines,
    hot_cancel,
    hot_path,
    listing,
    waitlist_offers,
)
from tsuen_booking.service_layer import closures as closure_cases
from tsuen_booking.service_layer import facilities as facility_cases
from tsuen_booking.service_layer import interviews as interview_cases
from tsuen_booking.service_layer import quota as quota_cases
from tsuen_booking.service_layer import regular as regular_cases
from tsuen_booking.service_layer.commands import (
    BookingRequest,
    BoundedDate,
    BoundedDateTime,
    BulkCancelRequest,
    CancelRequest,
    FacilityPatch,
    FacilitySpec,
    ReasonRequest,
)
from tsuen_booking.service_layer.context import Context
from tsuen_common.auth import (
    MunicipalityCode,
    OfficerDep,
    Principal,
    PrincipalDep,
    Role,
    require_roles,
)
from tsuen_common.errors import install_error_handler
from tsuen_common.events.booking import BookingKind
from tsuen_common.problems import error_responses

router = APIRouter(prefix="/v1")

Manager = Annotated[
    Principal,
    Depends(require_roles(Role.FACILITY_STAFF, Role.MUNICIPALITY_OFFICER, Role.PLATFORM_ADMIN)),
]
Booker = Annotated[Principal, Depends(require_roles(Role.GUARDIAN, Role.FACILITY_STAFF))]


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def get_context(request: Request) -> Context:
    ctx = request.app.state.ctx
    assert isinstance(ctx, Context)
    return ctx


ContextDep = Annotated[Context, Depends(get_context)]


def add_error_handlers(app: FastAPI) -> None:
    """Refusals answer ``{detail, code, message_ja}`` with their kind's status: the shared
    mapping of tsuen_common.errors (create_app installs it already; kept for the app's setup)."""
    install_error_handler(app)


# What each kind of route can answer besides its success (the OpenAPI ``responses``): every
# route needs a token (401) and may meet a database restart (503) or load shedding (503);
# the tenant check makes another tenant's record a 404; a body can be unreadable (400: not
# UTF-8 JSON) or too large (413).
READ = error_responses(401, 403, 404, 422, 503)
LIST = error_responses(401, 403, 422, 503)
CHANGE = error_responses(400, 401, 403, 404, 409, 413, 422, 503)
# Exactly the keys each use case gives (an interview in 予約一覧 has no ``end``): see schemas.
TYPED: dict[str, Any] = {"response_model_exclude_unset": True}


# -- facilities ---------------------------------------------------------------------------------


@router.post(
    "/municipalities/{code}/facilities",
    status_code=status.HTTP_201_CREATED,
    tags=["facilities"],
    response_model=FacilityOut,
    responses=CHANGE,
    **TYPED,
)
async def register_facility(
    code: MunicipalityCode, spec: FacilitySpec, principal: OfficerDep, ctx: ContextDep
) -> dict[str, Any]:
    return await facility_cases.register(ctx, principal, municipality=code, spec=spec)


@router.get(
    "/facilities",
    tags=["facilities"],
    summary="施設をさがす",
    response_model=list[FacilityOut],
    responses=LIST,
    **TYPED,
)
async def search_facilities(
    principal: PrincipalDep,
    ctx: ContextDep,
    q: Annotated[str | None, Query(max_length=100, description="name, kana or address")] = None,
    municipality: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    prefecture: str | None = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=500)] = None,
    used_before: bool = False,
    favourites: bool = False,
) -> list[dict[str, Any]]:
    return await facility_cases.search(
        ctx,
        principal,
        facility_cases.SearchQuery(
            keyword=q,
            municipality=municipality,
            prefecture=prefecture,
            lat=lat,
            lon=lon,
            radius_km=radius_km,
            used_before=used_before,
            favourites=favourites,
        ),
    )


@router.get(
    "/facilities/{facility_id}",
    tags=["facilities"],
    response_model=FacilityOut,
    responses=READ,
    **TYPED,
)
async def get_facility(
    facility_id: uuid.UUID, principal: PrincipalDep, ctx: ContextDep
) -> dict[str, Any]:
    return await facility_cases.get(ctx, principal, facility_id)


@router.patch(
    "/facilities/{facility_id}",
    tags=["facilities"],
    response_model=FacilityOut,
    responses=CHANGE,
    **TYPED,
)
async def update_facility(
    facility_id: uuid.UUID, patch: FacilityPatch, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await facility_cases.update(ctx, principal, facility_id, patch)


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first: BoundedDate = Field(alias="from")
    last: BoundedDate = Field(alias="to")
    reason: str = Field(min_length=1, max_length=200, description="休園の理由 (台風、感染症…)")


@router.get(
    "/facilities/{facility_id}/closures/preview",
    tags=["facilities"],
    summary="臨時休園の前に: the bookings a closure would cancel",
    response_model=ClosurePreviewOut,
    responses=READ,
    **TYPED,
)
async def preview_closure(
    facility_id: uuid.UUID,
    principal: Manager,
    ctx: ContextDep,
    first: Annotated[BoundedDate, Query(alias="from")],
    last: Annotated[BoundedDate, Query(alias="to")],
) -> dict[str, Any]:
    return await closure_cases.preview(ctx, principal, facility_id, first, last)


@router.post(
    "/facilities/{facility_id}/closures",
    tags=["facilities"],
    summary="臨時休園: close days; their bookings are cancelled at no cost to the families",
    response_model=ClosureOut,
    responses=CHANGE,
    **TYPED,
)
async def close_facility(
    facility_id: uuid.UUID, body: ClosureIn, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await closure_cases.close(
        ctx, principal, facility_id, body.first, body.last, body.reason
    )


@router.put(
    "/favourites/{facility_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["facilities"],
    responses=CHANGE,
)
async def add_favourite(facility_id: uuid.UUID, principal: PrincipalDep, ctx: ContextDep) -> None:
    await facility_cases.set_favourite(ctx, principal, facility_id, favourite=True)


@router.delete(
    "/favourites/{facility_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["facilities"],
    responses=CHANGE,
)
async def remove_favourite(
    facility_id: uuid.UUID, principal: PrincipalDep, ctx: ContextDep
) -> None:
    await facility_cases.set_favourite(ctx, principal, facility_id, favourite=False)


@router.get(
    "/facilities/{facility_id}/availability",
    tags=["facilities"],
    summary="空き枠",
    response_model=AvailabilityOut,
    responses=READ,
    **TYPED,
)
async def facility_availability(
    facility_id: uuid.UUID,
    principal: PrincipalDep,
    ctx: ContextDep,
    date_from: Annotated[BoundedDate, Query(alias="from")],
    date_to: Annotated[BoundedDate, Query(alias="to")],
) -> dict[str, Any]:
    return await facility_cases.availability(ctx, principal, facility_id, date_from, date_to)


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accepted: bool
    override_reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = (
        Field(
            default=None,
            description="municipality officers only: why the child is accepted without a held "
            "初回面談 (kept with the acceptance)",
        )
    )
    medical_care_consulted: bool = Field(
        default=False,
        description="the facility held the prior consultation a child needing 医療的ケア "
        "requires (where the municipality's policy asks for it)",
    )


@router.put(
    "/facilities/{facility_id}/acceptances/{child_id}",
    tags=["facilities"],
    response_model=AcceptanceOut,
    responses=CHANGE,
    **TYPED,
)
async def record_acceptance(
    facility_id: uuid.UUID,
    child_id: uuid.UUID,
    body: AcceptanceIn,
    principal: Manager,
    ctx: ContextDep,
) -> dict[str, Any]:
    return await acceptance.record_acceptance(
        ctx,
        principal,
        facility_id,
        child_id,
        body.accepted,
        body.override_reason,
        medical_care_consulted=body.medical_care_consulted,
    )


# -- interviews (初回面談) ------------------------------------------------------------------------


class InterviewRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facility_id: uuid.UUID
    child_id: uuid.UUID
    proposed_times: list[BoundedDateTime] = Field(default_factory=list, max_length=5)


class InterviewScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: BoundedDateTime


@router.post(
    "/interviews",
    status_code=status.HTTP_201_CREATED,
    tags=["interviews"],
    response_model=InterviewOut,
    responses=CHANGE,
    **TYPED,
)
async def request_interview(
    body: InterviewRequestIn, principal: PrincipalDep, ctx: ContextDep
) -> dict[str, Any]:
    return await interview_cases.request(
        ctx,
        principal,
        facility_id=body.facility_id,
        child_id=body.child_id,
        proposed_times=body.proposed_times,
    )


@router.post(
    "/interviews/{interview_id}/schedule",
    tags=["interviews"],
    response_model=InterviewOut,
    responses=CHANGE,
    **TYPED,
)
async def schedule_interview(
    interview_id: uuid.UUID, body: InterviewScheduleIn, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await interview_cases.schedule(ctx, principal, interview_id, body.starts_at)


class InterviewHeldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    health_check: HealthCheck = Field(description="健康診断の結果")
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


@router.post(
    "/interviews/{interview_id}/held",
    tags=["interviews"],
    summary="面談の実施を記録",
    response_model=InterviewOut,
    responses=CHANGE,
    **TYPED,
)
async def record_interview_held(
    interview_id: uuid.UUID, body: InterviewHeldIn, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    """The facility records that the 初回面談 took place, with the health check's result."""
    return await interview_cases.record_held(
        ctx, principal, interview_id, health_check=body.health_check, note=body.note
    )


@router.post(
    "/interviews/{interview_id}/cancel",
    tags=["interviews"],
    response_model=InterviewOut,
    responses=CHANGE,
    **TYPED,
)
async def cancel_interview(
    interview_id: uuid.UUID,
    body: ReasonRequest,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> dict[str, Any]:
    """Call off a requested or scheduled 初回面談 (guardian, or the facility)."""
    return await interview_cases.cancel(ctx, principal, interview_id, body.reason)


@router.get(
    "/interviews", tags=["interviews"], response_model=list[InterviewOut], responses=LIST, **TYPED
)
async def list_interviews(principal: PrincipalDep, ctx: ContextDep) -> list[dict[str, Any]]:
    return await interview_cases.list_interviews(ctx, principal)


# -- bookings -----------------------------------------------------------------------------------


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


# -- 定期利用 (regular plans) ------------------------------------------------------------------


@router.post(
    "/regular-plans",
    status_code=status.HTTP_201_CREATED,
    tags=["regular"],
    response_model=RegularPlanOut,
    responses=CHANGE,
    **TYPED,
)
async def apply_regular_plan(
    body: regular_cases.RegularPlanRequest, principal: Booker, ctx: ContextDep
) -> dict[str, Any]:
    return await regular_cases.apply(ctx, principal, body)


@router.get(
    "/regular-plans", tags=["regular"], response_model=list[RegularPlanOut], responses=LIST, **TYPED
)
async def list_regular_plans(principal: PrincipalDep, ctx: ContextDep) -> list[dict[str, Any]]:
    return await regular_cases.list_plans(ctx, principal)


@router.post(
    "/regular-plans/{plan_id}/approve",
    tags=["regular"],
    response_model=RegularPlanOut,
    responses=CHANGE,
    **TYPED,
)
async def approve_regular_plan(
    plan_id: uuid.UUID, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await regular_cases.decide(ctx, principal, plan_id, approve=True)


@router.post(
    "/regular-plans/{plan_id}/decline",
    tags=["regular"],
    response_model=RegularPlanOut,
    responses=CHANGE,
    **TYPED,
)
async def decline_regular_plan(
    plan_id: uuid.UUID, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await regular_cases.decide(ctx, principal, plan_id, approve=False)


@router.post(
    "/regular-plans/{plan_id}/end",
    tags=["regular"],
    summary="定期利用の終了",
    response_model=PlanEndedOut,
    responses=CHANGE,
    **TYPED,
)
async def end_regular_plan(
    plan_id: uuid.UUID, body: regular_cases.EndPlanRequest, principal: Booker, ctx: ContextDep
) -> dict[str, Any]:
    """End the plan after ``last_day`` and cancel its later bookings (one 一括キャンセル)."""
    return await regular_cases.end(ctx, principal, plan_id, body)


@router.post(
    "/regular-plans/{plan_id}/generate",
    tags=["regular"],
    response_model=GenerationOut,
    responses=CHANGE,
    **TYPED,
)
async def generate_regular_month(
    plan_id: uuid.UUID,
    principal: Manager,
    ctx: ContextDep,
    month: Annotated[str, Query(description="YYYY-MM")],
) -> dict[str, Any]:
    return await regular_cases.generate(ctx, principal, plan_id, month)


# -- quota --------------------------------------------------------------------------------------


@router.get(
    "/children/{child_id}/quota",
    tags=["quota"],
    summary="利用可能枠",
    response_model=QuotaOut,
    responses=READ,
    **TYPED,
)
async def child_quota(
    child_id: uuid.UUID,
    principal: PrincipalDep,
    ctx: ContextDep,
    month: Annotated[str | None, Query(description="YYYY-MM (JST); default this month")] = None,
) -> dict[str, int]:
    return await quota_cases.month_balance(ctx, principal, child_id, month)
