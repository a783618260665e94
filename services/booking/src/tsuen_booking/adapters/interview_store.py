"""Reading and writing 初回面談 (first interviews) and the facility's acceptance after one. Who
may ask, schedule, record or cancel an interview, or accept a child, is decided in the service
layer (interviews.py, acceptance.py); reads that serve a caller take its tenant filter."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import acceptances, children, facilities, interviews


async def ask_for(
    session: AsyncSession, *, fresh: Mapping[str, Any], **whose: Any
) -> uuid.UUID | None:
    """Add the interview (``whose``: id, municipalities, facility, child, guardian) with the
    ``fresh`` request; or reopen the child's cancelled one with this facility (same id). None
    when the child's interview with the facility is still open."""
    statement = insert(interviews).values(**whose, **fresh)
    reopened: uuid.UUID | None = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=[interviews.c.child_id, interviews.c.facility_id],
            set_={
                **fresh,
                # Whose it is, as of now: the guardian (a changed account) or the
                # municipalities may have changed since it was cancelled.
                "guardian_id": statement.excluded.guardian_id,
                "child_municipality": statement.excluded.child_municipality,
                "municipality": statement.excluded.municipality,
                "starts_at": None,
                "cancelled_at": None,
                "cancelled_by": None,
                "cancel_reason": None,
                "updated_at": sa.func.now(),
            },
            where=interviews.c.status == "cancelled",
        ).returning(interviews.c.id)
    )
    return reopened


async def interview(
    session: AsyncSession, interview_id: uuid.UUID, *, lock: bool = False
) -> Mapping[Any, Any] | None:
    query = sa.select(interviews).where(interviews.c.id == interview_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def update_interview(session: AsyncSession, interview_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        sa.update(interviews)
        .where(interviews.c.id == interview_id)
        .values(**values, updated_at=sa.func.now())
    )


async def interviews_with_facilities(
    session: AsyncSession, tenant: sa.ColumnElement[bool], *, limit: int
) -> Sequence[Mapping[Any, Any]]:
    """The interviews ``tenant`` lets through, oldest first, each with its facility's name,
    comments and interview slots, the child's name and considerations and the facility's
    decision on the child (None before one): one query."""
    query = (
        sa.select(
            interviews,
            facilities.c.name.label("facility_name"),
            facilities.c.comments.label("facility_comments"),
            facilities.c.interview_slots.label("facility_interview_slots"),
            children.c.name.label("child_name"),
            children.c.considerations.label("child_considerations"),
            acceptances.c.accepted.label("child_accepted"),
        )
        .join(facilities, facilities.c.id == interviews.c.facility_id)
        .outerjoin(children, children.c.child_id == interviews.c.child_id)
        .outerjoin(
            acceptances,
            sa.and_(
                acceptances.c.facility_id == interviews.c.facility_id,
                acceptances.c.child_id == interviews.c.child_id,
            ),
        )
        .where(tenant)
        .order_by(interviews.c.created_at, interviews.c.id)
        .limit(limit)
    )
    return (await session.execute(query)).mappings().all()


async def list_interviews(
    session: AsyncSession,
    tenant: sa.ColumnElement[bool],
    *,
    facility_id: uuid.UUID | None = None,
    child_id: uuid.UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    cancelled: bool | None = None,
    starting_after: datetime | None = None,
    limit: int,
) -> Sequence[Mapping[Any, Any]]:
    """The interviews ``tenant`` lets through, by time (unscheduled last), narrowed by each thing
    given: ``cancelled`` True only the called-off ones, False none of them;
    ``starting_after``: not held yet (unscheduled ones too)."""
    stmt = sa.select(interviews).where(tenant)
    if facility_id is not None:
        stmt = stmt.where(interviews.c.facility_id == facility_id)
    if child_id is not None:
        stmt = stmt.where(interviews.c.child_id == child_id)
    # The day in Japan, where the interview takes place.
    day = sa.func.date(sa.func.timezone("Asia/Tokyo", interviews.c.starts_at))
    if date_from is not None:
        stmt = stmt.where(day >= date_from)
    if date_to is not None:
        stmt = stmt.where(day <= date_to)
    if cancelled is True:
        stmt = stmt.where(interviews.c.status == "cancelled")
    elif cancelled is False:
        stmt = stmt.where(interviews.c.status != "cancelled")
    if starting_after is not None:
        stmt = stmt.where(
            sa.or_(interviews.c.starts_at.is_(None), interviews.c.starts_at > starting_after)
        )
    stmt = stmt.order_by(interviews.c.starts_at.nulls_last(), interviews.c.id).limit(limit)
    return (await session.execute(stmt)).mappings().all()


# -- the facility's acceptance after the interview ---------------------------------------------


async def record_acceptance(
    session: AsyncSession,
    *,
    facility_id: uuid.UUID,
    child_id: uuid.UUID,
    municipality: str,
    decision: Mapping[str, Any],
) -> None:
    """The facility's decision on the child (one per facility and child; a later one replaces
    it and moves ``recorded_at``)."""
    await session.execute(
        insert(acceptances)
        .values(facility_id=facility_id, child_id=child_id, municipality=municipality, **decision)
        .on_conflict_do_update(
            index_elements=["facility_id", "child_id"],
            set_={**decision, "recorded_at": sa.func.now()},
        )
    )


# Built once: 定期利用's monthly run asks it for every occurrence.
_ACCEPTED = sa.select(acceptances.c.accepted).where(
    acceptances.c.facility_id == sa.bindparam("facility_id"),
    acceptances.c.child_id == sa.bindparam("child_id"),
)


async def accepted(
    session: AsyncSession, facility_id: uuid.UUID, child_id: uuid.UUID
) -> bool | None:
    """The facility's decision on the child; None if it has recorded none."""
    decision: bool | None = await session.scalar(
        _ACCEPTED, {"facility_id": facility_id, "child_id": child_id}
    )
    return decision
