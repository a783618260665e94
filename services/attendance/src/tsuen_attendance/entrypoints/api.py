"""The JSON API: parse, authorise, call a use case, map domain errors to 4xx."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import segno
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field, StringConstraints

from tsuen_attendance.adapters.repository import VisitRecord
from tsuen_attendance.domain.late_notice import MAX_MINUTES, NOTE_MAX, LateKind
from tsuen_attendance.domain.times import jst_day
from tsuen_attendance.domain.visits import VisitStatus
from tsuen_attendance.entrypoints.deps import AnyCaller, BearerCaller, ServiceDep
from tsuen_attendance.service_layer import late_notices
from tsuen_attendance.service_layer.facility_codes import IssuedCode
from tsuen_attendance.service_layer.registrations import Registration, StaffAction
from tsuen_attendance.service_layer.tenancy import FACILITY_NOT_FOUND_JA, NotFound
from tsuen_common.age import months_old
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.errors import install_error_handler
from tsuen_common.events.eligibility import ChildProfile
from tsuen_common.problems import error_responses
from tsuen_common.text import PlainText

router = APIRouter(prefix="/v1", tags=["attendance"])


def install_error_handlers(app: FastAPI) -> None:
    """Code and registration refusals are the shared kinds (tsuen_common.errors), each with its
    status (a malformed code 400, a forged one 403, an expired one 410, another facility's
    409, a registration the rules refuse 409), a stable ``code`` and a message a person can
    act on; create_app already answers them."""
    install_error_handler(app)


# --- schemas ---------------------------------------------------------------------------------


class CodeOut(BaseModel):
    facility_id: uuid.UUID
    token: str
    url: str
    step: int
    expires_at: datetime
    refresh_in_ms: int
    svg_data_uri: str


class ScanIn(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="the `t` of the scanned URL")
    booking_id: uuid.UUID


class CheckInOut(BaseModel):
    booking_id: uuid.UUID
    child_id: uuid.UUID
    facility_id: uuid.UUID
    checked_in_at: datetime
    registered_by_staff: str | None


class CheckOutOut(BaseModel):
    booking_id: uuid.UUID
    child_id: uuid.UUID
    facility_id: uuid.UUID
    checked_in_at: datetime
    checked_out_at: datetime
    booked_end: datetime
    late_minutes: int
    penalty_minutes: int
    registered_by_staff: str | None


class StaffRegistrationIn(BaseModel):
    booking_id: uuid.UUID
    action: StaffAction


class VisitOut(BaseModel):
    booking_id: uuid.UUID
    child_id: uuid.UUID
    child_name: str | None = None
    facility_id: uuid.UUID
    facility_name: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    status: VisitStatus
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    late_minutes: int | None
    penalty_minutes: int | None


class ScanOut(BaseModel):
    facility_id: uuid.UUID
    facility_name: str | None
    visits: list[VisitOut]


class LateNoticeIn(BaseModel):
    kind: LateKind = Field(description="arrival: 登園が遅れる; pickup: お迎えが遅れる")
    minutes: int = Field(ge=5, le=MAX_MINUTES, description="about how many minutes late")
    note: Annotated[PlainText, StringConstraints(max_length=NOTE_MAX)] = ""


class LateNoticeOut(BaseModel):
    kind: LateKind
    minutes: int
    note: str
    noticed_at: datetime


class RosterLineOut(VisitOut):
    late_notices: list[LateNoticeOut] = Field(
        default_factory=list, description="遅れる連絡 the guardian gave for this visit"
    )
    late_pickup: bool
    checked_in_by_staff: str | None
    checked_out_by_staff: str | None
    child_kana: str | None = None
    age_months: int | None = Field(default=None, description="月齢 on the day")
    record_registered: bool = Field(
        default=False, description="the guardian has registered the child's record"
    )
    record: ChildProfile | None = Field(
        default=None,
        description="allergies, 医療的ケア, contacts, who may pick up: for today's and the "
        "next days' care only, while the child is expected or here",
    )


class RosterOut(BaseModel):
    facility_id: uuid.UUID
    date: date
    expected: int
    arrived: int
    left: int
    late: int
    no_show: int
    lines: list[RosterLineOut]


def code_out(code: IssuedCode) -> CodeOut:
    qr = segno.make(code.url, error="m")
    return CodeOut(
        facility_id=code.facility_id,
        token=code.token,
        url=code.url,
        step=code.step,
        expires_at=code.expires_at,
        refresh_in_ms=int(code.refresh_in_seconds * 1000),
        svg_data_uri=qr.svg_data_uri(scale=8, border=4),
    )


def _visit_out(record: VisitRecord, now: datetime) -> VisitOut:
    v = record.visit
    return VisitOut(
        booking_id=v.booking_id,
        child_id=v.child_id,
        child_name=record.child_name,
        facility_id=v.facility_id,
        facility_name=record.facility_name,
        kind=record.kind,
        starts_at=v.starts_at,
        ends_at=v.ends_at,
        status=v.status(now),
        checked_in_at=v.checked_in_at,
        checked_out_at=v.checked_out_at,
        late_minutes=v.late_minutes,
        penalty_minutes=v.penalty_minutes,
    )


def check_in_out(reg: Registration) -> CheckInOut:
    v = reg.record.visit
    assert v.checked_in_at is not None
    return CheckInOut(
        booking_id=v.booking_id,
        child_id=v.child_id,
        facility_id=v.facility_id,
        checked_in_at=v.checked_in_at,
        registered_by_staff=reg.record.checked_in_by_staff,
    )


def check_out_out(reg: Registration) -> CheckOutOut:
    v = reg.record.visit
    assert v.checked_in_at is not None
    assert v.checked_out_at is not None
    return CheckOutOut(
        booking_id=v.booking_id,
        child_id=v.child_id,
        facility_id=v.facility_id,
        checked_in_at=v.checked_in_at,
        checked_out_at=v.checked_out_at,
        booked_end=v.ends_at,
        late_minutes=v.late_minutes or 0,
        penalty_minutes=v.penalty_minutes or 0,
        registered_by_staff=reg.record.checked_out_by_staff,
    )


def _require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(sorted(roles))
        raise Forbidden(f"role '{principal.role}' may not do this; allowed: {allowed}")


def require_display(principal: Principal, facility_id: uuid.UUID) -> None:
    """Only the facility's own staff (or a display token minted for it) show its code."""
    _require_role(principal, Role.FACILITY_STAFF)
    if principal.facility_id != str(facility_id):
        raise NotFound(f"no facility {facility_id}", message_ja=FACILITY_NOT_FOUND_JA)


# --- routes ----------------------------------------------------------------------------------


@router.get(
    "/facilities/{facility_id}/code",
    summary="The facility's current 2D code (for the display page; staff, bearer or cookie)",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def current_code(facility_id: uuid.UUID, caller: AnyCaller, service: ServiceDep) -> CodeOut:
    require_display(caller, facility_id)
    return code_out(await service.current_code(facility_id))


@router.get(
    "/scan",
    summary="A scanned code: the guardian's bookings today at that facility",
    responses=error_responses(400, 401, 403, 404, 409, 410, 422, 503),
)
async def scan(t: str, caller: BearerCaller, service: ServiceDep) -> ScanOut:
    _require_role(caller, Role.GUARDIAN)
    view = await service.scan(guardian=caller, token=t)
    now = service.now()
    return ScanOut(
        facility_id=view.facility_id,
        facility_name=view.facility_name,
        visits=[_visit_out(r, now) for r in view.visits],
    )


@router.post(
    "/check-ins",
    summary="利用開始登録 by scanned code (guardian); repeat-safe",
    responses=error_responses(400, 401, 403, 404, 409, 410, 413, 422, 503),
)
async def check_in(body: ScanIn, caller: BearerCaller, service: ServiceDep) -> CheckInOut:
    _require_role(caller, Role.GUARDIAN)
    reg = await service.check_in(guardian=caller, token=body.token, booking_id=body.booking_id)
    return check_in_out(reg)


@router.post(
    "/check-outs",
    summary="利用終了登録 by scanned code (guardian); repeat-safe",
    responses=error_responses(400, 401, 403, 404, 409, 410, 413, 422, 503),
)
async def check_out(body: ScanIn, caller: BearerCaller, service: ServiceDep) -> CheckOutOut:
    _require_role(caller, Role.GUARDIAN)
    reg = await service.check_out(guardian=caller, token=body.token, booking_id=body.booking_id)
    return check_out_out(reg)


@router.get(
    "/me/visits",
    summary="The guardian's bookings today and their status (利用中…)",
    responses=error_responses(401, 403, 422, 503),
)
async def my_visits(caller: BearerCaller, service: ServiceDep) -> list[VisitOut]:
    _require_role(caller, Role.GUARDIAN)
    now = service.now()
    return [_visit_out(r, now) for r in await service.guardian_today(guardian=caller)]


@router.post(
    "/visits/{booking_id}/late-notice",
    summary="遅れる連絡: the guardian tells the facility the arrival or pickup will be late",
    responses=error_responses(401, 403, 404, 409, 413, 422, 503),
)
async def late_notice(
    booking_id: uuid.UUID, body: LateNoticeIn, caller: BearerCaller, service: ServiceDep
) -> LateNoticeOut:
    _require_role(caller, Role.GUARDIAN)
    notice = await late_notices.give(
        service,
        guardian=caller,
        booking_id=booking_id,
        kind=body.kind,
        minutes=body.minutes,
        note=body.note,
    )
    return LateNoticeOut(
        kind=notice.kind, minutes=notice.minutes, note=notice.note, noticed_at=notice.noticed_at
    )


@router.post(
    "/facilities/{facility_id}/staff-registrations",
    summary="Staff register a check-in/out for a guardian who cannot scan (recorded)",
    responses=error_responses(401, 403, 404, 409, 413, 422, 503),
)
async def staff_registration(
    facility_id: uuid.UUID, body: StaffRegistrationIn, caller: BearerCaller, service: ServiceDep
) -> CheckInOut | CheckOutOut:
    _require_role(caller, Role.FACILITY_STAFF)
    reg = await service.staff_register(
        staff=caller, facility_id=facility_id, booking_id=body.booking_id, action=body.action
    )
    return check_in_out(reg) if body.action is StaffAction.CHECK_IN else check_out_out(reg)


@router.get(
    "/facilities/{facility_id}/roster",
    summary="Today's roster: expected, arrived, left, late",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def roster(
    facility_id: uuid.UUID,
    caller: BearerCaller,
    service: ServiceDep,
    day: date | None = None,
) -> RosterOut:
    _require_role(caller, Role.FACILITY_STAFF, Role.MUNICIPALITY_OFFICER, Role.PLATFORM_ADMIN)
    now = service.now()
    view = await service.roster(viewer=caller, facility_id=facility_id, day=day)
    result = view.roster
    lines = []
    for line in result.lines:
        record = view.records[line.visit.booking_id]
        child = view.children.get(line.visit.child_id)
        birth = child.birth_date if child else None
        lines.append(
            RosterLineOut(
                **_visit_out(record, now).model_dump(),
                late_pickup=line.late_pickup,
                checked_in_by_staff=record.checked_in_by_staff,
                checked_out_by_staff=record.checked_out_by_staff,
                child_kana=child.child_kana if child else None,
                # A birth date after the use date is a data error upstream: no age, not a 500.
                age_months=(
                    months_old(birth, line.visit.use_date)
                    if birth and birth <= line.visit.use_date
                    else None
                ),
                record_registered=bool(child and child.profile),
                late_notices=[
                    LateNoticeOut(
                        kind=n.kind, minutes=n.minutes, note=n.note, noticed_at=n.noticed_at
                    )
                    for n in view.late_notices.get(line.visit.booking_id, [])
                ],
                record=(
                    child.profile if child and line.visit.booking_id in view.records_shown else None
                ),
            )
        )
    return RosterOut(
        facility_id=facility_id,
        date=day or jst_day(now),
        expected=result.count(VisitStatus.EXPECTED),
        arrived=result.count(VisitStatus.IN_USE),
        left=result.count(VisitStatus.LEFT),
        late=result.late,
        no_show=result.count(VisitStatus.NO_SHOW),
        lines=lines,
    )
