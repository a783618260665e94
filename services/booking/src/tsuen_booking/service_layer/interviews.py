"""初回面談: the guardian asks for a first interview, the facility schedules it.

After the interview and the health check the facility records its acceptance
(:func:`tsuen_booking.service_layer.acceptance.record_acceptance`); only accepted children book.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tsuen_booking.adapters import interview_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters.orm import interviews
from tsuen_booking.domain.acceptance import HealthCheck, InterviewStatus, check_may_record_held
from tsuen_booking.domain.audit import StaffAction
from tsuen_booking.domain.errors import (
    CHILD_NOT_FOUND_JA,
    FACILITY_NOT_FOUND_JA,
    INTERVIEW_NOT_FOUND_JA,
    Conflict,
    InvalidRequest,
    NotFound,
    ja_date,
)
from tsuen_booking.service_layer import audit
from tsuen_booking.service_layer.access import can_see_booking, can_see_child, tenant_filter
from tsuen_booking.service_layer.cancellation import canceller
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.facilities import can_see_facility
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.events.booking import (
    InterviewCancelled,
    InterviewRequested,
    InterviewScheduled,
)
from tsuen_common.timeutil import JST


def interview_out(row: Mapping[Any, Any], facility: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "facility_id": row["facility_id"],
        "facility_name": facility["name"],
        "facility_comments": facility["comments"],
        "offered_times": facility["interview_slots"],
        "child_id": row["child_id"],
        "status": row["status"],
        "proposed_times": row["proposed_times"],
        "starts_at": row["starts_at"].astimezone(JST) if row["starts_at"] else None,
        "cancelled_by": row["cancelled_by"],
        "cancel_reason": row["cancel_reason"],
        "held_at": row["held_at"].astimezone(JST) if row["held_at"] else None,
        "health_check": row["health_check"],
        "child_name": row.get("child_name"),
        # 配慮事項 and 医療的ケア: the facility reads them before it accepts the child.
        "child_considerations": row.get("child_considerations"),
        # The facility's decision after the interview (受け入れ / お断り), None before one.
        "child_accepted": row.get("child_accepted"),
    }


def _local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=JST) if moment.tzinfo is None else moment.astimezone(JST)


async def request(
    ctx: Context,
    principal: Principal,
    *,
    facility_id: uuid.UUID,
    child_id: uuid.UUID,
    proposed_times: list[datetime],
) -> dict[str, Any]:
    if principal.role is not Role.GUARDIAN:
        raise Forbidden("the guardian asks for the first interview")
    now = ctx.clock()
    proposed = [_local(t) for t in proposed_times]
    if any(t <= now for t in proposed):
        raise InvalidRequest(
            "proposed interview times must be in the future",
            message_ja="初回面談の希望日時は、現在より後の日時をご指定ください。",
        )
    interview_id = uuid.uuid4()
    async with ctx.transaction() as session:
        frow = await repo.facility_row(session, facility_id)
        if frow is None or not can_see_facility(ctx, principal, frow):
            raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
        child = await repo.get_child(session, child_id)
        if child is None or not can_see_child(principal, child):
            raise NotFound(f"child {child_id} not found", message_ja=CHILD_NOT_FOUND_JA)
        fresh = {"status": "requested", "proposed_times": [t.isoformat() for t in proposed]}
        # One interview per child and facility: a cancelled one is asked for again (same id);
        # an open one is a conflict.
        reopened = await interview_store.ask_for(
            session,
            fresh=fresh,
            id=interview_id,
            municipality=frow["municipality"],
            facility_id=facility_id,
            child_id=child_id,
            child_municipality=child.municipality,
            guardian_id=child.guardian_id,
        )
        if reopened is None:
            raise Conflict(
                "an interview with this facility was already requested for this child",
                message_ja="この施設には、このお子さまの初回面談をすでに申し込んでいます。施設からの連絡をお待ちください。",
            )
        row = await interview_store.interview(session, reopened)
        assert row is not None
        await ctx.outbox.add(
            session,
            InterviewRequested(
                interview_id=row["id"],
                child_id=child_id,
                child_name=child.name,
                facility_id=facility_id,
                facility_name=frow["name"],
                facility_email=frow["email"],
                proposed_times=proposed,
            ),
            municipality=frow["municipality"],
        )
    return interview_out(row, frow)


async def schedule(
    ctx: Context, principal: Principal, interview_id: uuid.UUID, starts_at: datetime
) -> dict[str, Any]:
    """The facility fixes the time; the guardian gets "interview scheduled" by e-mail."""
    moment = _local(starts_at)
    if moment <= ctx.clock():
        raise InvalidRequest(
            "the interview time must be in the future",
            message_ja="面談の日時は、現在より後の日時をご指定ください。",
        )
    async with ctx.transaction() as session:
        row = await interview_store.interview(session, interview_id, lock=True)
        if row is None or not principal.can_access_facility(
            row["municipality"], str(row["facility_id"])
        ):
            raise NotFound(f"interview {interview_id} not found", message_ja=INTERVIEW_NOT_FOUND_JA)
        if principal.role is Role.GUARDIAN:
            raise Forbidden("the facility schedules the interview")
        if row["status"] == "cancelled":
            raise Conflict(
                f"interview {interview_id} was cancelled; the guardian asks again",
                message_ja="この面談は取り消されています。保護者の方から改めて申し込んでいただく必要があります。",
            )
        if row["status"] == InterviewStatus.HELD:
            raise Conflict(
                f"interview {interview_id} has been held; it cannot be moved",
                message_ja="この面談は実施済みです。日時は変更できません。",
            )
        # Scheduling a scheduled interview moves it: the guardian gets the new time by e-mail.
        frow = await repo.facility_row(session, row["facility_id"])
        assert frow is not None
        facility = repo.facility_from_row(frow)
        hours = facility.hours_on(moment.date())
        if hours is None:
            raise InvalidRequest(
                f"facility closed on {moment.date().isoformat()}",
                message_ja=f"{ja_date(moment.date())}は休園日です。別の日時をお選びください。",
            )
        if not hours.open <= moment.time() < hours.close:
            raise InvalidRequest(
                f"facility is open {hours.open:%H:%M}–{hours.close:%H:%M}; "
                f"{moment:%H:%M} is outside",
                message_ja=f"施設の開所時間は{hours.open:%H:%M}〜{hours.close:%H:%M}です。その時間内の日時をお選びください。",
            )
        child = await repo.get_child(session, row["child_id"])
        assert child is not None
        await interview_store.update_interview(
            session, interview_id, status="scheduled", starts_at=moment
        )
        await ctx.outbox.add(
            session,
            InterviewScheduled(
                interview_id=interview_id,
                child_id=row["child_id"],
                guardian_email=child.guardian_email,
                child_name=child.name,
                facility_id=facility.id,
                facility_name=facility.name,
                starts_at=moment,
            ),
            municipality=row["municipality"],
        )
        await audit.record(
            session,
            principal,
            StaffAction.INTERVIEW_SCHEDULED,
            municipality=row["municipality"],
            facility_id=facility.id,
            at=ctx.clock(),
            subject_id=interview_id,
            detail={"starts_at": moment.isoformat()},
        )
        updated = await interview_store.interview(session, interview_id)
        assert updated is not None
    return interview_out(updated, frow)


async def record_held(
    ctx: Context,
    principal: Principal,
    interview_id: uuid.UUID,
    *,
    health_check: HealthCheck,
    note: str | None,
) -> dict[str, Any]:
    """面談記録: the facility records that the interview took place, with the health check."""
    async with ctx.transaction() as session:
        row = await interview_store.interview(session, interview_id, lock=True)
        if row is None or not principal.can_access_facility(
            row["municipality"], str(row["facility_id"])
        ):
            raise NotFound(f"interview {interview_id} not found", message_ja=INTERVIEW_NOT_FOUND_JA)
        if principal.role is Role.GUARDIAN:
            raise Forbidden("the facility records the interview")
        check_may_record_held(row["status"])
        await interview_store.update_interview(
            session,
            interview_id,
            status=InterviewStatus.HELD.value,
            held_at=ctx.clock(),
            held_by=principal.subject,
            health_check=health_check.value,
            health_check_note=note,
        )
        await audit.record(
            session,
            principal,
            StaffAction.INTERVIEW_HELD,
            municipality=row["municipality"],
            facility_id=row["facility_id"],
            at=ctx.clock(),
            subject_id=interview_id,
            detail={"health_check": health_check.value},
        )
        frow = await repo.facility_row(session, row["facility_id"])
        assert frow is not None
        updated = await interview_store.interview(session, interview_id)
        assert updated is not None
    return interview_out(updated, frow)


async def cancel(
    ctx: Context, principal: Principal, interview_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    """The guardian or the facility calls the interview off (``InterviewCancelled``).

    Nothing is held by an interview (no places, no hours), so there is no deadline; one that has
    taken place cannot be cancelled any more.
    """
    now = ctx.clock()
    async with ctx.transaction() as session:
        row = await interview_store.interview(session, interview_id, lock=True)
        if row is None or not can_see_booking(principal, row):
            raise NotFound(f"interview {interview_id} not found", message_ja=INTERVIEW_NOT_FOUND_JA)
        if row["status"] == "cancelled":
            raise Conflict(
                f"interview {interview_id} is already cancelled",
                message_ja="この面談はすでに取り消されています。",
            )
        if row["status"] == InterviewStatus.HELD:
            raise Conflict(
                f"interview {interview_id} has been held; it can no longer be cancelled",
                message_ja="この面談は実施済みのため、取り消せません。",
            )
        if row["starts_at"] is not None and row["starts_at"] <= now:
            raise Conflict(
                f"interview {interview_id} took place at "
                f"{row['starts_at'].astimezone(JST):%Y-%m-%d %H:%M}; it can no longer be cancelled",
                message_ja="この面談の日時はすでに過ぎているため、取り消せません。施設へ直接ご連絡ください。",
            )
        cancelled_by = canceller(principal)
        await interview_store.update_interview(
            session,
            interview_id,
            status="cancelled",
            cancelled_at=now,
            cancelled_by=cancelled_by,
            cancel_reason=reason,
        )
        frow = await repo.facility_row(session, row["facility_id"])
        child = await repo.get_child(session, row["child_id"])
        assert frow is not None
        assert child is not None
        await ctx.outbox.add(
            session,
            InterviewCancelled(
                interview_id=interview_id,
                child_id=row["child_id"],
                guardian_email=child.guardian_email,
                child_name=child.name,
                facility_id=row["facility_id"],
                facility_name=frow["name"],
                starts_at=row["starts_at"],
                cancelled_by=cancelled_by,
                reason=reason,
                facility_email=frow["email"],
            ),
            municipality=row["municipality"],
        )
        updated = await interview_store.interview(session, interview_id)
        assert updated is not None
    return interview_out(updated, frow)


async def list_interviews(ctx: Context, principal: Principal) -> list[dict[str, Any]]:
    """The caller's interviews with their facilities' details: one query, at most 1000."""
    async with ctx.sessions() as session:
        rows = await interview_store.interviews_with_facilities(
            session, tenant_filter(principal, interviews), limit=1000
        )
    return [
        interview_out(
            r,
            {
                "name": r["facility_name"],
                "comments": r["facility_comments"],
                "interview_slots": r["facility_interview_slots"],
            },
        )
        for r in rows
    ]
