"""The municipality's numbers for its dashboard: applications by status, certifications valid
in a month, and the hours those certifications make available. Counts only: no person in it.
And the rules the platform applies for it (its policy), for its officers to read."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tsuen_common.auth import MunicipalityCode, OfficerDep
from tsuen_common.problems import error_responses
from tsuen_eligibility.adapters.orm import applications, certifications
from tsuen_eligibility.entrypoints.deps import CtxDep

MonthParam = Annotated[str, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class StatsOut(BaseModel):
    month: str
    applications: dict[str, int] = Field(description="status → number of applications (all time)")
    certifications_valid: int = Field(description="certifications valid on any day of the month")
    minutes_available: int = Field(
        description="certifications valid in the month × the month's allowance (national cap "
        "plus the municipality's top-up): the hours the scheme could give that month"
    )


router = APIRouter(prefix="/v1/municipalities/{code}", tags=["officers"])


def month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


@router.get(
    "/stats",
    summary="The dashboard's counts: applications by status, certifications and hours available",
    response_model=StatsOut,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def stats(
    code: MunicipalityCode, month: MonthParam, principal: OfficerDep, ctx: CtxDep
) -> StatsOut:
    principal.require_municipality(code)
    quota = ctx.policy(code).quota
    first, last = month_bounds(month)
    # A certification counts for the month when its validity overlaps it and it had not
    # ended before the month began.
    valid = sa.and_(
        certifications.c.municipality == code,
        certifications.c.valid_from <= last,
        certifications.c.valid_until >= first,
        sa.or_(certifications.c.revoked_on.is_(None), certifications.c.revoked_on > first),
    )
    async with ctx.sessions() as session:
        by_status = (
            await session.execute(
                sa.select(applications.c.status, sa.func.count())
                .where(applications.c.municipality == code)
                .group_by(applications.c.status)
            )
        ).all()
        count = (
            await session.execute(
                sa.select(sa.func.count()).select_from(certifications).where(valid)
            )
        ).scalar_one()
    return StatsOut(
        month=month,
        applications={status: n for status, n in by_status},
        certifications_valid=count,
        minutes_available=count * (quota.monthly_cap_minutes + quota.topup_minutes),
    )


@router.get(
    "/policy",
    summary="The municipality's rules as the platform applies them (its policy file)",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def policy(code: MunicipalityCode, principal: OfficerDep, ctx: CtxDep) -> dict[str, Any]:
    """Read-only: a policy changes through deployment (Helm ``policies``), not through the API;
    the officer reads what is in force. Only the municipality's own officers."""
    principal.require_municipality(code)
    dumped: dict[str, Any] = ctx.policy(code).model_dump(mode="json")
    return dumped


ROUTERS = (router,)
