"""Reading and writing visits and facility keys. Every function runs in the caller's transaction."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_attendance.adapters.orm import early_cancellations, facility_keys, visits
from tsuen_attendance.domain.codes import KEY_BYTES
from tsuen_attendance.domain.times import in_jst
from tsuen_attendance.domain.visits import Visit
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed
from tsuen_common.sealed import SecretBox

_VISIT_FIELDS = (
    "booking_id",
    "municipality",
    "facility_id",
    "child_id",
    "guardian_id",
    "use_date",
    "starts_at",
    "ends_at",
    "cancelled",
    "checked_in_at",
    "checked_out_at",
    "late_minutes",
    "penalty_minutes",
    "no_show_at",
)


@dataclass(frozen=True)
class VisitRecord:
    """A visit plus what only the entrypoints and events need (names, staff, e-mail)."""

    visit: Visit
    facility_name: str
    kind: str
    guardian_email: str | None
    checked_in_by_staff: str | None
    checked_out_by_staff: str | None
    child_name: str | None = None


def _record(row: Any) -> VisitRecord:
    return record_from(row._mapping)


def record_from(mapping: Any) -> VisitRecord:
    """A visit record from a ``visits`` row as a mapping (SQLAlchemy's or asyncpg's)."""
    fields = {name: mapping[name] for name in _VISIT_FIELDS}
    # PostgreSQL hands timestamptz back in UTC; tsuen shows and publishes Japan time.
    fields.update({k: in_jst(v) for k, v in fields.items() if isinstance(v, datetime)})
    return VisitRecord(
        visit=Visit(**fields),
        facility_name=mapping["facility_name"],
        kind=mapping["kind"],
        guardian_email=mapping["guardian_email"],
        checked_in_by_staff=mapping["checked_in_by_staff"],
        checked_out_by_staff=mapping["checked_out_by_staff"],
        child_name=mapping.get("child_name"),
    )


# The scan path's statements are built once (bindparams), not per request: building a
# statement and its cache key cost more CPU than sending it (bench/README.md).
_VISIT_BY_ID = sa.select(visits).where(visits.c.booking_id == sa.bindparam("booking_id"))
# Two phones scanning at once for one child: the second waits and sees the first.
_VISIT_BY_ID_FOR_UPDATE = _VISIT_BY_ID.with_for_update()
_SAVE_ATTENDANCE = (
    sa.update(visits)
    .where(visits.c.booking_id == sa.bindparam("b_booking_id"))
    .values(
        checked_in_at=sa.bindparam("checked_in_at"),
        checked_out_at=sa.bindparam("checked_out_at"),
        late_minutes=sa.bindparam("late_minutes"),
        penalty_minutes=sa.bindparam("penalty_minutes"),
        no_show_at=sa.bindparam("no_show_at"),
        # Who registered on a guardian's behalf is kept once set (NULL = by the guardian).
        checked_in_by_staff=sa.func.coalesce(
            sa.bindparam("in_by", type_=sa.String), visits.c.checked_in_by_staff
        ),
        checked_out_by_staff=sa.func.coalesce(
            sa.bindparam("out_by", type_=sa.String), visits.c.checked_out_by_staff
        ),
        updated_at=sa.func.now(),
    )
)


async def get_visit(
    session: AsyncSession, booking_id: uuid.UUID, *, for_update: bool = False
) -> VisitRecord | None:
    query = _VISIT_BY_ID_FOR_UPDATE if for_update else _VISIT_BY_ID
    row = (await session.execute(query, {"booking_id": booking_id})).first()
    return _record(row) if row is not None else None


async def save_attendance(
    session: AsyncSession,
    visit: Visit,
    *,
    checked_in_by_staff: str | None = None,
    checked_out_by_staff: str | None = None,
) -> None:
    await session.execute(
        _SAVE_ATTENDANCE,
        {
            "b_booking_id": visit.booking_id,
            "checked_in_at": visit.checked_in_at,
            "checked_out_at": visit.checked_out_at,
            "late_minutes": visit.late_minutes,
            "penalty_minutes": visit.penalty_minutes,
            "no_show_at": visit.no_show_at,
            "in_by": checked_in_by_staff,
            "out_by": checked_out_by_staff,
        },
    )


async def visits_of_facility(
    session: AsyncSession, facility_id: uuid.UUID, day: date, *, municipality: str | None = None
) -> list[VisitRecord]:
    query = sa.select(visits).where(visits.c.facility_id == facility_id, visits.c.use_date == day)
    if municipality is not None:
        query = query.where(visits.c.municipality == municipality)
    return [_record(row) for row in (await session.execute(query)).all()]


async def visits_of_facility_between(
    session: AsyncSession,
    facility_id: uuid.UUID,
    first: date,
    following: date,
    *,
    municipality: str | None = None,
) -> list[VisitRecord]:
    """The facility's visits from ``first`` up to (not including) ``following``: a month."""
    query = sa.select(visits).where(
        visits.c.facility_id == facility_id,
        visits.c.use_date >= first,
        visits.c.use_date < following,
    )
    if municipality is not None:
        query = query.where(visits.c.municipality == municipality)
    rows = (await session.execute(query)).mappings().all()
    return [record_from(row) for row in rows]


async def visits_of_guardian(
    session: AsyncSession,
    guardian_id: uuid.UUID,
    day: date,
    *,
    facility_id: uuid.UUID | None = None,
) -> list[VisitRecord]:
    query = sa.select(visits).where(visits.c.guardian_id == guardian_id, visits.c.use_date == day)
    if facility_id is not None:
        query = query.where(visits.c.facility_id == facility_id)
    rows = (await session.execute(query.order_by(visits.c.starts_at))).all()
    return [_record(row) for row in rows]


async def facility_name(session: AsyncSession, facility_id: uuid.UUID) -> str | None:
    query = (
        sa.select(visits.c.facility_name)
        .where(visits.c.facility_id == facility_id)
        .order_by(visits.c.use_date.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def due_no_shows(session: AsyncSession, at: datetime, limit: int) -> list[VisitRecord]:
    """Open visits whose booked end has passed, locked; SKIP LOCKED lets two sweeps share."""
    query = (
        sa.select(visits)
        .where(
            visits.c.checked_in_at.is_(None),
            visits.c.no_show_at.is_(None),
            visits.c.cancelled.is_(False),
            visits.c.ends_at <= at,
        )
        .order_by(visits.c.ends_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_record(row) for row in (await session.execute(query)).all()]


# --- the projection of booking's events ------------------------------------------------------


async def project_confirmed(
    session: AsyncSession, payload: BookingConfirmed, municipality: str
) -> None:
    cancelled_before = (
        await session.execute(
            sa.select(early_cancellations.c.booking_id).where(
                early_cancellations.c.booking_id == payload.booking_id
            )
        )
    ).first() is not None
    values = {
        "booking_id": payload.booking_id,
        "municipality": municipality,
        "facility_id": payload.facility_id,
        "facility_name": payload.facility_name,
        "child_id": payload.child_id,
        "child_name": payload.child_name,
        "guardian_id": payload.guardian_id,
        "guardian_email": str(payload.guardian_email),
        "kind": str(payload.kind),
        "use_date": payload.use_date,
        "starts_at": payload.starts_at,
        "ends_at": payload.ends_at,
        "cancelled": cancelled_before,
    }
    statement = pg_insert(visits).values(**values)
    booked = {
        k: statement.excluded[k]
        for k in ("facility_name", "child_name", "use_date", "starts_at", "ends_at")
    }
    # A re-confirmation may move the times, but not once the child is at the door.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[visits.c.booking_id],
            set_={**booked, "updated_at": sa.func.now()},
            where=visits.c.checked_in_at.is_(None),
        )
    )


async def project_cancelled(session: AsyncSession, payload: BookingCancelled) -> None:
    known = (
        await session.execute(
            sa.select(visits.c.booking_id, visits.c.checked_in_at).where(
                visits.c.booking_id == payload.booking_id
            )
        )
    ).first()
    if known is None:
        await session.execute(
            pg_insert(early_cancellations)
            .values(booking_id=payload.booking_id)
            .on_conflict_do_nothing()
        )
        return
    if known.checked_in_at is not None:
        # The child is already here (a cancellation after the start consumes the hours
        # anyway): keep the visit open so staff can still register the pickup.
        return
    await session.execute(
        sa.update(visits)
        .where(visits.c.booking_id == payload.booking_id)
        .values(cancelled=True, updated_at=sa.func.now())
    )


async def project_guardian_email(session: AsyncSession, child_id: uuid.UUID, email: str) -> int:
    """Eligibility approved a change (CertificationChanged): the late-pickup notice of every
    visit of the child not yet checked out goes to the current address. Repeatable."""
    result = await session.execute(
        sa.update(visits)
        .where(
            visits.c.child_id == child_id,
            visits.c.checked_out_at.is_(None),
            visits.c.guardian_email.is_distinct_from(email),
        )
        .values(guardian_email=email, updated_at=sa.func.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- facility keys ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRing:
    current: bytes
    previous: bytes | None
    previous_retired_at: datetime | None


# The current key (retired_at NULL) and the most recently retired one, in one round trip:
# DESC puts NULL first in PostgreSQL.
_KEY_RING = (
    sa.select(facility_keys.c.secret, facility_keys.c.retired_at)
    .where(facility_keys.c.facility_id == sa.bindparam("facility_id"))
    .order_by(facility_keys.c.retired_at.desc().nulls_first())
    .limit(2)
)


# The signing keys are sealed at rest (tsuen_common.sealed) for this purpose only.
_KEY_CONTEXT = b"attendance.facility_keys"


async def load_keys(
    session: AsyncSession, facility_id: uuid.UUID, box: SecretBox
) -> KeyRing | None:
    rows = (await session.execute(_KEY_RING, {"facility_id": facility_id})).all()
    return key_ring([(r.secret, r.retired_at) for r in rows], box)


def key_ring(rows: list[tuple[bytes, datetime | None]], box: SecretBox) -> KeyRing | None:
    """The ring from (secret, retired_at) rows, the current key first (``_KEY_RING``'s order)."""
    if not rows or rows[0][1] is not None:
        return None  # no current key: the facility has not shown a code yet
    previous = rows[1] if len(rows) > 1 else None
    return KeyRing(
        current=box.open(bytes(rows[0][0]), context=_KEY_CONTEXT),
        previous=box.open(bytes(previous[0]), context=_KEY_CONTEXT) if previous else None,
        previous_retired_at=previous[1] if previous else None,
    )


def _new_secret(box: SecretBox) -> bytes:
    return box.seal(secrets.token_bytes(KEY_BYTES), context=_KEY_CONTEXT)


async def ensure_key(session: AsyncSession, facility_id: uuid.UUID, box: SecretBox) -> KeyRing:
    """The facility's keys, generating its first key when it shows its first code."""
    keys = await load_keys(session, facility_id, box)
    if keys is not None:
        return keys
    # Two tablets of one facility opening at once: the partial unique index keeps one key.
    await session.execute(
        pg_insert(facility_keys)
        .values(facility_id=facility_id, secret=_new_secret(box))
        .on_conflict_do_nothing(
            index_elements=[facility_keys.c.facility_id],
            index_where=facility_keys.c.retired_at.is_(None),
        )
    )
    keys = await load_keys(session, facility_id, box)
    assert keys is not None
    return keys


async def rotate_key(
    session: AsyncSession, facility_id: uuid.UUID, now: datetime, box: SecretBox
) -> None:
    await session.execute(
        sa.update(facility_keys)
        .where(facility_keys.c.facility_id == facility_id, facility_keys.c.retired_at.is_(None))
        .values(retired_at=now)
    )
    await session.execute(
        sa.insert(facility_keys).values(
            facility_id=facility_id, secret=_new_secret(box), created_at=now
        )
    )


async def reseal_keys(session: AsyncSession, box: SecretBox) -> int:
    """Seal every stored key under the box's current key (after adding or rotating a KEK)."""
    rows = (
        await session.execute(
            sa.select(facility_keys.c.id, facility_keys.c.secret).with_for_update()
        )
    ).all()
    changed = 0
    for row in rows:
        stored = bytes(row.secret)
        if box.needs_reseal(stored):
            plain = box.open(stored, context=_KEY_CONTEXT)
            await session.execute(
                sa.update(facility_keys)
                .where(facility_keys.c.id == row.id)
                .values(secret=box.seal(plain, context=_KEY_CONTEXT))
            )
            changed += 1
    return changed
