"""定期利用's occurrences: booked month by month, each one a booking of kind ``regular`` checked
like any other (open day, eligibility and age on that date, places, the month's hours); an
occurrence that does not fit is reported and skipped, never forced. An approved plan is booked at
once up to the horizon; the monthly run (``generate_all``) books the next month for every plan.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from tsuen_booking.adapters import regular_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.errors import (
    PLAN_NOT_FOUND_JA,
    BookingError,
    Conflict,
    NotFound,
)
from tsuen_booking.domain.regular import occurrences
from tsuen_booking.service_layer.access import can_see_booking
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.hot_path import place_booking
from tsuen_booking.service_layer.quota import parse_month
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.events.booking import (
    BookingKind,
    RegularPlanBooked,
)
from tsuen_common.logging import get_logger

log = get_logger(__name__)


# The monthly run (Helm CronJob `generate-regular`, the dev stack's scheduler) books next month
# on this day; until then only the current month is booked.
GENERATION_DAY = 20


def horizon_months(today: date, valid_from: date) -> list[str]:
    """The months booked when a plan is approved: from its first month (not before this one)
    to the last month the monthly run has already booked for everyone (next month from the
    20th on, this month before), so an approved plan is never behind the others."""
    this_month = today.replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    last = next_month if today.day >= GENERATION_DAY else this_month
    month = max(today, valid_from).replace(day=1)
    months = []
    while month <= last:
        months.append(f"{month:%Y-%m}")
        month = (month + timedelta(days=32)).replace(day=1)
    return months


async def book_horizon(ctx: Context, plan_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Book the plan's occurrences up to the horizon and tell the guardian in one mail."""
    async with ctx.sessions() as session:
        row = await regular_store.plan(session, plan_id)
    assert row is not None
    booked: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for month in horizon_months(ctx.clock().date(), row["valid_from"]):
        result = await generate(ctx, None, plan_id, month, announce=False)
        booked += result["booked"]
        skipped += [s for s in result["skipped"] if s["reason"] != "already generated"]
    await _announce(ctx, row, booked, skipped)
    return {"booked": booked, "skipped": skipped}


async def _announce(
    ctx: Context,
    row: Mapping[Any, Any],
    booked: list[dict[str, Any]],
    skipped: list[dict[str, Any]],
) -> None:
    """One mail for a run of a plan's bookings (RegularPlanBooked), not one per occurrence."""
    if not booked and not skipped:
        return
    async with ctx.transaction() as session:
        frow = await repo.facility_row(session, row["facility_id"])
        child = await repo.get_child(session, row["child_id"])
        assert frow is not None
        assert child is not None
        await ctx.outbox.add(
            session,
            RegularPlanBooked(
                plan_id=row["id"],
                child_id=row["child_id"],
                child_name=child.name,
                guardian_email=child.guardian_email,
                facility_id=row["facility_id"],
                facility_name=frow["name"],
                start=f"{row['start_time']:%H:%M}",
                end=f"{row['end_time']:%H:%M}",
                dates=sorted(b["date"] for b in booked),
                skipped=sorted(s["date"] for s in skipped),
            ),
            municipality=row["municipality"],
        )


async def generate(
    ctx: Context,
    principal: Principal | None,
    plan_id: uuid.UUID,
    month: str,
    *,
    announce: bool = True,
) -> dict[str, Any]:
    """Book the plan's occurrences in ``month``, one transaction each; report what was skipped.

    ``principal`` None is the operator command (every approved plan, no tenant). ``announce``:
    mail the guardian one list of what was booked (RegularPlanBooked)."""
    month = parse_month(month)
    async with ctx.sessions() as session:
        row = await regular_store.plan(session, plan_id)
    if row is None or (principal is not None and not can_see_booking(principal, row)):
        raise NotFound(f"regular plan {plan_id} not found", message_ja=PLAN_NOT_FOUND_JA)
    if principal is not None and principal.role is Role.GUARDIAN:
        raise Forbidden("the facility generates the month's bookings")
    if row["status"] != "approved":
        raise Conflict(
            f"regular plan {plan_id} is {row['status']}, not approved",
            message_ja="この定期利用はまだ承認されていないか、終了しています。予約は作成できません。",
        )
    booked: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    async with ctx.sessions() as session:
        done = await regular_store.booked_days(session, plan_id)
    days = occurrences(
        weekday=row["weekday"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        month=month,
    )
    for day in days:
        if day in done:
            skipped.append({"date": day, "reason": "already generated"})
            continue
        try:
            async with ctx.transaction() as session:
                # The plan again, share-locked: ending it (which locks it) while this runs must
                # not leave an occurrence booked after its new last day.
                current = await regular_store.plan(session, plan_id, share=True)
                if current is None or not _plan_runs_on(current, day):
                    skipped.append({"date": day, "reason": "the plan has ended"})
                    continue
                frow = await repo.facility_row(session, row["facility_id"], share=True)
                child = await repo.get_child(session, row["child_id"])
                if frow is None or child is None:
                    raise NotFound(
                        "the facility or the child is no longer known",
                        message_ja="施設またはお子さまの情報が見つかりませんでした。",
                    )
                made = await place_booking(
                    ctx,
                    session,
                    frow=frow,
                    child=child,
                    use_date=day,
                    start=row["start_time"],
                    end=row["end_time"],
                    kind=BookingKind.REGULAR,
                    by_proxy=row["by_proxy"],
                    now=ctx.clock(),
                    plan_id=plan_id,
                )
            booked.append({"date": day, "booking_id": made["id"]})
        except BookingError as exc:
            skipped.append({"date": day, "reason": str(exc)})
        except IntegrityError:
            skipped.append({"date": day, "reason": "already generated"})
    log.info(
        "regular plan generated", plan_id=str(plan_id), booked=len(booked), skipped=len(skipped)
    )
    if announce and booked:
        # A later run that books nothing new mails nothing (what did not fit was said before).
        await _announce(
            ctx, row, booked, [s for s in skipped if s["reason"] != "already generated"]
        )
    return {"plan_id": plan_id, "month": month, "booked": booked, "skipped": skipped}


def _plan_runs_on(plan: Mapping[Any, Any], day: date) -> bool:
    until = plan["valid_until"]
    return plan["status"] == "approved" and (until is None or day <= until)


async def generate_all(ctx: Context, month: str) -> list[dict[str, Any]]:
    async with ctx.sessions() as session:
        ids = await regular_store.approved_plan_ids(session)
    return [await generate(ctx, None, plan_id, month) for plan_id in ids]
