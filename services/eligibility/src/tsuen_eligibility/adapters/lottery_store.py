"""Reading and writing lottery rounds (抽選) and their entries.

The service layer passes the caller's tenant; nothing here decides who may see what.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import applications, lottery_entries, lottery_rounds

# -- rounds ----------------------------------------------------------------------------------


async def add_round(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(lottery_rounds).values(**values))


async def round_of(
    session: AsyncSession, municipality: str, round_id: uuid.UUID, *, lock: bool = False
) -> Row[Any] | None:
    """The round; another municipality's id is not found."""
    query = sa.select(lottery_rounds).where(
        lottery_rounds.c.municipality == municipality, lottery_rounds.c.id == round_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).one_or_none()


async def rounds_of(session: AsyncSession, municipality: str) -> Sequence[Row[Any]]:
    """The municipality's rounds, the latest opened first."""
    return (
        await session.execute(
            sa.select(lottery_rounds)
            .where(lottery_rounds.c.municipality == municipality)
            .order_by(lottery_rounds.c.opened_at.desc())
        )
    ).all()


async def update_round(session: AsyncSession, round_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        sa.update(lottery_rounds).where(lottery_rounds.c.id == round_id).values(**values)
    )


async def open_round_for(
    session: AsyncSession, municipality: str, facility_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The open round an application waits for: its facility's, or the municipality-wide one."""
    query = sa.select(lottery_rounds.c.id).where(
        lottery_rounds.c.municipality == municipality,
        lottery_rounds.c.status == "open",
        sa.or_(lottery_rounds.c.facility_id.is_(None), lottery_rounds.c.facility_id == facility_id),
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def closed_round_listing(
    session: AsyncSession, application_id: uuid.UUID
) -> uuid.UUID | None:
    """The closed (not yet drawn) round whose published list holds this application."""
    query = sa.select(lottery_rounds.c.id).where(
        lottery_rounds.c.status == "closed",
        lottery_rounds.c.applicants.contains([{"application_id": str(application_id)}]),
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


# -- the applications a round draws ----------------------------------------------------------


def eligible_applications(municipality: str, facility_id: uuid.UUID | None) -> sa.Select[Any]:
    """Pending applications in no round yet (of the facility, for a facility round): the ones a
    draw or a close would take now."""
    in_a_round = sa.select(lottery_entries.c.application_id).where(
        lottery_entries.c.application_id == applications.c.id
    )
    query = sa.select(
        applications.c.id,
        applications.c.priority_tier,
        applications.c.guardian_email,
        applications.c.child_name,
        applications.c.desired_facility_id,
    ).where(
        applications.c.municipality == municipality,
        applications.c.status == "pending",
        ~sa.exists(in_a_round),
    )
    if facility_id is not None:
        query = query.where(applications.c.desired_facility_id == facility_id)
    return query


async def eligible_applications_for_update(
    session: AsyncSession, municipality: str, facility_id: uuid.UUID | None
) -> Sequence[Row[Any]]:
    """eligible_applications by id, the applications locked for the transaction."""
    return (
        await session.execute(
            eligible_applications(municipality, facility_id)
            .order_by(applications.c.id)
            .with_for_update(of=applications)
        )
    ).all()


async def listed_applications_for_update(
    session: AsyncSession, application_ids: list[uuid.UUID]
) -> Sequence[Row[Any]]:
    """The applications of a published list (id, guardian e-mail, child's name), locked."""
    return (
        await session.execute(
            sa.select(applications.c.id, applications.c.guardian_email, applications.c.child_name)
            .where(applications.c.id.in_(application_ids))
            .with_for_update(of=applications)
        )
    ).all()


# -- entries ---------------------------------------------------------------------------------


async def add_entry(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(lottery_entries).values(**values))


async def entries_of(session: AsyncSession, round_id: uuid.UUID) -> Sequence[Row[Any]]:
    return (
        await session.execute(
            sa.select(lottery_entries).where(lottery_entries.c.round_id == round_id)
        )
    ).all()


async def entry_of_application(
    session: AsyncSession, application_id: uuid.UUID, *, lock: bool = False
) -> Row[Any] | None:
    """The application's entry in the round that drew it, if one has."""
    query = sa.select(lottery_entries).where(lottery_entries.c.application_id == application_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).one_or_none()


async def entry_in_round_for_update(
    session: AsyncSession, *, municipality: str, round_id: uuid.UUID, application_id: uuid.UUID
) -> Row[Any] | None:
    return (
        await session.execute(
            sa.select(lottery_entries)
            .where(
                lottery_entries.c.municipality == municipality,
                lottery_entries.c.round_id == round_id,
                lottery_entries.c.application_id == application_id,
            )
            .with_for_update()
        )
    ).one_or_none()


async def update_entry(
    session: AsyncSession, round_id: uuid.UUID, application_id: uuid.UUID, **values: Any
) -> None:
    await session.execute(
        sa.update(lottery_entries)
        .where(
            lottery_entries.c.round_id == round_id,
            lottery_entries.c.application_id == application_id,
        )
        .values(**values)
    )


async def next_waitlisted_for_update(session: AsyncSession, round_id: uuid.UUID) -> Row[Any] | None:
    """The round's first 補欠 still waiting, with the guardian's e-mail and the child's name."""
    return (
        await session.execute(
            sa.select(lottery_entries, applications.c.guardian_email, applications.c.child_name)
            .join(applications, applications.c.id == lottery_entries.c.application_id)
            .where(
                lottery_entries.c.round_id == round_id,
                lottery_entries.c.outcome == "waitlisted",
                applications.c.status == "waitlisted",
            )
            .order_by(lottery_entries.c.waitlist_position)
            .limit(1)
            .with_for_update(of=lottery_entries)
        )
    ).one_or_none()


async def places_past_deadline(
    session: AsyncSession, outcomes: Sequence[str], on: date
) -> Sequence[Row[Any]]:
    """Entries holding a place whose acceptance deadline is before ``on``, locked (those another
    transaction holds are skipped: it is lapsing them)."""
    return (
        await session.execute(
            sa.select(lottery_entries)
            .where(
                lottery_entries.c.outcome.in_(outcomes),
                lottery_entries.c.acceptance_deadline < on,
            )
            .order_by(lottery_entries.c.round_id, lottery_entries.c.draw_position)
            .with_for_update(skip_locked=True)
        )
    ).all()


# -- who is in a round, with names (the officer's page of the round) ------------------------------

_PEOPLE = (
    applications.c.child_name,
    applications.c.guardian_name,
    applications.c.priority_tier,
    applications.c.submitted_at,
    applications.c.status,
)


async def people_of_eligible(
    session: AsyncSession, municipality: str, facility_id: uuid.UUID | None
) -> Sequence[Row[Any]]:
    """The applications a draw would take now (``eligible_applications``), with names, by id."""
    eligible = eligible_applications(municipality, facility_id).subquery()
    return (
        await session.execute(
            sa.select(applications.c.id, *_PEOPLE)
            .where(applications.c.id.in_(sa.select(eligible.c.id)))
            .order_by(applications.c.id)
        )
    ).all()


async def people_of_applications(
    session: AsyncSession, application_ids: Sequence[uuid.UUID]
) -> Sequence[Row[Any]]:
    """These applications with names, by id."""
    return (
        await session.execute(
            sa.select(applications.c.id, *_PEOPLE)
            .where(applications.c.id.in_(application_ids))
            .order_by(applications.c.id)
        )
    ).all()


async def drawn_entries_with_people(
    session: AsyncSession, municipality: str, round_id: uuid.UUID
) -> Sequence[Row[Any]]:
    """The round's entries in drawn order, each with its application's names."""
    return (
        await session.execute(
            sa.select(lottery_entries, *_PEOPLE)
            .join(applications, applications.c.id == lottery_entries.c.application_id)
            .where(
                lottery_entries.c.municipality == municipality,
                lottery_entries.c.round_id == round_id,
            )
            .order_by(lottery_entries.c.draw_position)
        )
    ).all()
