"""Facilities: register, search, read and change them; 臨時休園; favourites; 空き枠; and the
facility's acceptance of a child after 初回面談."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tsuen_booking.entrypoints.deps import CHANGE, LIST, READ, TYPED, ContextDep, Manager
from tsuen_booking.entrypoints.schemas import (
    AcceptanceOut,
    AvailabilityOut,
    ClosureOut,
    ClosurePreviewOut,
    FacilityOut,
)
from tsuen_booking.service_layer import (
    acceptance,
)
from tsuen_booking.service_layer import closures as closure_cases
from tsuen_booking.service_layer import facilities as facility_cases
from tsuen_booking.service_layer.commands import (
    BoundedDate,
    FacilityPatch,
    FacilitySpec,
)
from tsuen_common.auth import (
    MunicipalityCode,
    OfficerDep,
    PrincipalDep,
)

router = APIRouter(prefix="/v1")


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
