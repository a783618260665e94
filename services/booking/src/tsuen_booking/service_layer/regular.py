"""定期利用: a fixed weekly day and time, applied for by the guardian and approved by the
facility, or registered by the facility on the guardian's behalf (代理予約).

A plan books nothing by itself. Occurrences are generated month by month, each one a booking
of kind ``regular`` checked like any other (open day, eligibility and age on that date, places,
the month's hours); an occurrence that does not fit is reported and skipped, never forced
(``regular_occurrences.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tsuen_booking.adapters import regular_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters.orm import regular_plans
from tsuen_booking.domain.audit import StaffAction
from tsuen_booking.domain.errors import (
    CHILD_NOT_FOUND_JA,
    FACILITY_NOT_FOUND_JA,
    PLAN_NOT_FOUND_JA,
    Conflict,
    InvalidRequest,
    NotFound,
)
from tsuen_booking.service_layer import audit
from tsuen_booking.service_layer.access import can_see_booking, can_see_child, tenant_filter
from tsuen_booking.service_layer.cancellation import cancel_locked, canceller
from tsuen_booking.service_layer.commands import BoundedDate
from tsuen_booking.service_layer.context import Context, retry_on_conflict
from tsuen_booking.service_layer.facilities import can_see_facility
from tsuen_booking.service_layer.regular_occurrences import book_horizon
from tsuen_booking.service_layer.views import booking_out
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.events.booking import (
    RegularPlanApplied,
    RegularPlanDecided,
)
from tsuen_common.logging import get_logger
from tsuen_common.timeutil import JST

log = get_logger(__name__)


class RegularPlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facility_id: uuid.UUID
    child_id: uuid.UUID
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start: time
    end: time
    valid_from: BoundedDate
    valid_until: BoundedDate | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RegularPlanRequest:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} must be after start {self.start:%H:%M}")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class EndPlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    last_day: BoundedDate = Field(
        description="the plan's last day; its bookings after this day are cancelled"
    )
    reason: str = Field(min_length=1, max_length=500, description="キャンセル理由")


def plan_out(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "facility_id": row["facility_id"],
        "child_id": row["child_id"],
        "weekday": row["weekday"],
        "start": row["start_time"].strftime("%H:%M"),
        "end": row["end_time"].strftime("%H:%M"),
        "valid_from": row["valid_from"],
        "valid_until": row["valid_until"],
        "status": row["status"],
        "by_proxy": row["by_proxy"],
    }


async def apply(ctx: Context, principal: Principal, req: RegularPlanRequest) -> dict[str, Any]:
    """A guardian applies (``applied``); staff registering it is 代理予約 (``approved``)."""
    if principal.role not in (Role.GUARDIAN, Role.FACILITY_STAFF):
        raise Forbidden("a guardian applies for 定期利用, or the facility registers it")
    plan_id = uuid.uuid4()
    async with ctx.transaction() as session:
        frow = await repo.facility_row(session, req.facility_id)
        if frow is None or not can_see_facility(ctx, principal, frow):
            raise NotFound(
                f"facility {req.facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA
            )
        child = await repo.get_child(session, req.child_id)
        if child is None or not (
            principal.role is Role.FACILITY_STAFF or can_see_child(principal, child)
        ):
            raise NotFound(f"child {req.child_id} not found", message_ja=CHILD_NOT_FOUND_JA)
        hours = repo.facility_from_row(frow).weekday_hours(req.valid_from, req.weekday)
        if hours is None or not hours.contains(req.start, req.end):
            raise InvalidRequest(
                f"the facility is not open {req.start:%H:%M}–{req.end:%H:%M} on weekday "
                f"{req.weekday} (0 = Monday)",
                message_ja=f"施設はその曜日の{req.start:%H:%M}〜{req.end:%H:%M}には開いていません。"
                "開所時間内でお選びください。",
            )
        by_proxy = principal.role is Role.FACILITY_STAFF
        await regular_store.add_plan(
            session,
            id=plan_id,
            municipality=frow["municipality"],
            facility_id=req.facility_id,
            child_id=req.child_id,
            child_municipality=child.municipality,
            guardian_id=child.guardian_id,
            weekday=req.weekday,
            start_time=req.start,
            end_time=req.end,
            valid_from=req.valid_from,
            valid_until=req.valid_until,
            status="approved" if by_proxy else "applied",
            by_proxy=by_proxy,
        )
        row = await regular_store.plan(session, plan_id)
        assert row is not None
        if not by_proxy:
            await ctx.outbox.add(
                session,
                RegularPlanApplied(
                    plan_id=plan_id,
                    child_id=req.child_id,
                    child_name=child.name,
                    facility_id=req.facility_id,
                    facility_name=frow["name"],
                    facility_email=frow["email"],
                    weekday=req.weekday,
                    start=f"{req.start:%H:%M}",
                    end=f"{req.end:%H:%M}",
                    valid_from=req.valid_from,
                ),
                municipality=frow["municipality"],
            )
    out = plan_out(row)
    if by_proxy:
        # 代理予約 by the facility: approved as registered, so booked at once like an approval.
        horizon = await book_horizon(ctx, plan_id)
        out["generated"], out["skipped"] = horizon["booked"], horizon["skipped"]
    return out


async def decide(
    ctx: Context, principal: Principal, plan_id: uuid.UUID, *, approve: bool
) -> dict[str, Any]:
    """Approve or decline an application; the guardian is told either way. An approved plan's
    occurrences are booked at once for the booking horizon (this month and the next)."""
    async with ctx.transaction() as session:
        row = await regular_store.plan(session, plan_id, lock=True)
        if row is None or not principal.can_access_facility(
            row["municipality"], str(row["facility_id"])
        ):
            raise NotFound(f"regular plan {plan_id} not found", message_ja=PLAN_NOT_FOUND_JA)
        if row["status"] != "applied":
            raise Conflict(
                f"regular plan {plan_id} is already {row['status']}",
                message_ja="この定期利用の申込みには、すでに承認または辞退の回答がされています。",
            )
        await regular_store.update_plan(
            session, plan_id, status="approved" if approve else "declined"
        )
        updated = await regular_store.plan(session, plan_id)
        assert updated is not None
        frow = await repo.facility_row(session, row["facility_id"])
        child = await repo.get_child(session, row["child_id"])
        assert frow is not None
        assert child is not None
        await audit.record(
            session,
            principal,
            StaffAction.PLAN_APPROVED if approve else StaffAction.PLAN_DECLINED,
            municipality=row["municipality"],
            facility_id=row["facility_id"],
            at=ctx.clock(),
            subject_id=plan_id,
            detail={},
        )
        await ctx.outbox.add(
            session,
            RegularPlanDecided(
                plan_id=plan_id,
                child_id=row["child_id"],
                child_name=child.name,
                guardian_email=child.guardian_email,
                facility_id=row["facility_id"],
                facility_name=frow["name"],
                approved=approve,
                weekday=row["weekday"],
                start=f"{row['start_time']:%H:%M}",
                end=f"{row['end_time']:%H:%M}",
            ),
            municipality=row["municipality"],
        )
    out = plan_out(updated)
    if approve:
        horizon = await book_horizon(ctx, plan_id)
        out["generated"], out["skipped"] = horizon["booked"], horizon["skipped"]
    return out


async def list_plans(ctx: Context, principal: Principal) -> list[dict[str, Any]]:
    async with ctx.sessions() as session:
        rows = await regular_store.plans(session, tenant_filter(principal, regular_plans))
    return [plan_out(r) for r in rows]


@retry_on_conflict
async def end(
    ctx: Context, principal: Principal, plan_id: uuid.UUID, req: EndPlanRequest
) -> dict[str, Any]:
    """End a plan after ``last_day``: the guardian stops 定期利用, or the facility on their behalf.

    The plan's bookings after that day are cancelled together (one bulk id, so the notices go
    out as one 一括キャンセル) under the municipality's cancellation rule: one past its deadline
    consumes its hours like any late cancellation. A plan not yet approved, or ended before its
    first day, is withdrawn. Ending again with a later day changes nothing; with an earlier day
    it ends earlier.
    """
    if principal.role not in (Role.GUARDIAN, Role.FACILITY_STAFF):
        raise Forbidden("the guardian ends a 定期利用 plan, or the facility on their behalf")
    now = ctx.clock()
    today = now.astimezone(JST).date()
    if req.last_day < today:
        raise InvalidRequest(
            f"last_day {req.last_day.isoformat()} is in the past; a plan ends today "
            f"({today.isoformat()}) at the earliest",
            message_ja="定期利用の最終日に過去の日は指定できません。今日以降の日をご指定ください。",
        )
    bulk_id = uuid.uuid4()
    async with ctx.transaction() as session:
        # Lock order: plan → its bookings (by id) → months → cells, as generate and bulk cancel.
        row = await regular_store.plan(session, plan_id, lock=True)
        if row is None or not can_see_booking(principal, row):
            raise NotFound(f"regular plan {plan_id} not found", message_ja=PLAN_NOT_FOUND_JA)
        if row["status"] not in ("applied", "approved"):
            raise Conflict(
                f"regular plan {plan_id} is {row['status']}",
                message_ja="この定期利用はすでに終了しているか、辞退されています。",
            )
        until = row["valid_until"]
        last_day = req.last_day if until is None else min(until, req.last_day)
        # A plan that never ran (not yet approved, or ending before its first day) is
        # withdrawn; one that ran stays approved, valid until its last day.
        ran = row["status"] == "approved" and last_day >= row["valid_from"]
        await regular_store.update_plan(
            session, plan_id, valid_until=last_day, status="approved" if ran else "withdrawn"
        )
        after = await regular_store.confirmed_after_for_update(session, plan_id, last_day)
        for booking in sorted(after, key=lambda r: (r["use_date"], r["start_time"], r["id"])):
            await cancel_locked(
                ctx,
                session,
                booking,
                reason=req.reason,
                cancelled_by=canceller(principal),
                now=now,
                bulk_id=bulk_id,
            )
        cancelled = await regular_store.bookings_by_day(session, [b["id"] for b in after])
        updated = await regular_store.plan(session, plan_id)
        assert updated is not None
    log.info(
        "regular plan ended",
        plan_id=str(plan_id),
        last_day=last_day.isoformat(),
        cancelled=len(cancelled),
    )
    return {
        "plan": plan_out(updated),
        "bulk_id": bulk_id if cancelled else None,
        "cancelled": [booking_out(b) for b in cancelled],
    }
