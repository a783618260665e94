"""The booking hot path's SQL: one read, and one call of ``book_use`` (migration 0011).

Through asyncpg directly, with prepared statements (asyncpg prepares a statement once per
connection and keeps it): a booking request costs one round trip when the service has the
facility and child rows already (``service_layer/hot_path.py``), two when it must read them.
The connection is borrowed from the service's SQLAlchemy pool, so both share one set of
connections. Neither statement runs in an explicit transaction: the read needs none (the call
checks what it relied on), and the call is one statement, so one transaction by itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from operator import attrgetter
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import bookings, children, facilities
from tsuen_booking.adapters.repository import child_from_row
from tsuen_booking.domain.child import CertifiedChild
from tsuen_common import idempotency
from tsuen_common.db import driver_connection

REFUSED = "TB001"
"""The SQLSTATE ``book_use`` raises a refusal with; its message says which."""

RETRYABLE = frozenset({"40P01", "40001"})
"""Deadlock and serialisation failure: PostgreSQL's documented remedy is to run it again."""


class Refused(Exception):
    """``book_use`` said no: ``outcome`` is stale | not_accepted | clash | quota | full, and
    ``detail`` the minutes available (quota) or the first full cell, ``HH:MM:SS`` (full)."""

    def __init__(self, outcome: str, detail: str = "") -> None:
        super().__init__(f"{outcome}:{detail}" if detail else outcome)
        self.outcome = outcome
        self.detail = detail

    @classmethod
    def parse(cls, message: str) -> Refused:
        outcome, _, detail = message.partition(":")
        return cls(outcome, detail)


@dataclass(frozen=True, slots=True)
class BookUse:
    """The arguments of ``book_use``, in its order (see the migration for what each is)."""

    facility_id: uuid.UUID
    facility_version: int | None
    child_id: uuid.UUID
    child_version: int | None
    booking_id: uuid.UUID
    municipality: str
    child_municipality: str
    guardian_id: uuid.UUID
    kind: str
    plan_id: uuid.UUID | None
    use_date: date
    start: time
    end: time
    starts_at: datetime
    ends_at: datetime
    cell_minutes: int
    minutes: int
    at_home: bool
    by_proxy: bool
    month: str
    cap_minutes: int
    topup_minutes: int
    cells: list[time]
    places: list[int]
    event_id: uuid.UUID
    event_type: str
    topic: str
    message_key: str
    event: bytes
    headers: str

    @staticmethod
    def outbox_columns(row: Mapping[str, Any]) -> dict[str, Any]:
        """``Outbox.row``'s columns as the arguments' names and types."""
        return {
            "event_id": row["event_id"],
            "event_type": row["event_type"],
            "topic": row["topic"],
            "message_key": row["message_key"],
            "event": row["value"],
            "headers": json.dumps(row["headers"]),
        }


# Built from the field names once (no value is ever put into the text).
_NAMES = [f.name for f in fields(BookUse)]
# The call's arguments as a flat tuple: dataclasses.astuple deep-copies every field (the cells
# list included) and was 8 % of a booking's CPU in bench/profile.py; asyncpg only reads them.
book_args = attrgetter(*_NAMES)
_CALL = (
    "SELECT held_national, held_topup FROM book_use("  # noqa: S608
    + ", ".join(f"${i}" for i in range(1, len(_NAMES) + 1))
    + ")"
)
# The same call inside a caller's SQLAlchemy transaction (定期利用's generated bookings).
_CALL_IN_SESSION = sa.text(
    "SELECT held_national, held_topup FROM book_use("  # noqa: S608
    + ", ".join(f":{n}" for n in _NAMES)
    + ")"
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a booking request decides its pure rules on, with the row versions the call checks:
    the facility row (None if there is no such facility), the child, and the acceptance."""

    facility: dict[str, Any] | None
    facility_version: int
    child: CertifiedChild | None
    child_version: int | None
    accepted: bool


_FACILITY_COLUMNS = [
    "id",
    "municipality",
    "name",
    "opening_hours",
    "places_per_slot",
    "places_by_weekday",
    "place_overrides",
    "closed_days",
    "extra_hour_fee_yen",
    "email",
    "phone",
    "schedules",
]
_FACILITY_JSON = {n for n in _FACILITY_COLUMNS if isinstance(facilities.c[n].type, pg.JSONB)}
_CHILD_COLUMNS = [c.name for c in children.c if c.name not in ("certification_id", "kana")]


def _select(alias: str, column: str, json_text: bool) -> str:
    return f"{alias}.{column}{'::text' if json_text else ''} AS {alias}_{column}"


# The facility, the child and the acceptance in one statement, with the facility's and the
# child's row versions (xmin: it changes with every update of the row).
_READ = (
    "SELECT "
    + ", ".join(_select("f", c, c in _FACILITY_JSON) for c in _FACILITY_COLUMNS)
    + ", f.xmin::text::bigint AS f_version, "
    + ", ".join(_select("c", c, False) for c in _CHILD_COLUMNS)
    + ", c.xmin::text::bigint AS c_version, a.accepted AS a_accepted "
    "FROM facilities f "
    "LEFT JOIN children c ON c.child_id = $2 "
    "LEFT JOIN acceptances a ON a.facility_id = f.id AND a.child_id = $2 "
    "WHERE f.id = $1"
)


# An asyncpg connection from the service's pool; a dead one answers 503, not 500.
connection = driver_connection


async def read(conn: asyncpg.Connection, facility_id: uuid.UUID, child_id: uuid.UUID) -> Snapshot:
    row = await conn.fetchrow(_READ, facility_id, child_id)
    if row is None:
        return Snapshot(None, 0, None, None, False)
    facility = {
        c: json.loads(row[f"f_{c}"]) if c in _FACILITY_JSON else row[f"f_{c}"]
        for c in _FACILITY_COLUMNS
    }
    child = None
    if row["c_child_id"] is not None:
        child = child_from_row({c: row[f"c_{c}"] for c in _CHILD_COLUMNS})
    return Snapshot(
        facility=facility,
        facility_version=row["f_version"],
        child=child,
        child_version=row["c_version"],
        accepted=bool(row["a_accepted"]),
    )


async def book_use(conn: asyncpg.Connection, call: BookUse) -> tuple[int, int]:
    """Call ``book_use`` as its own transaction: (held national, held top-up) minutes, or
    :class:`Refused`."""
    try:
        # With an Idempotency-Key pending, the key is recorded by the same statement.
        row = await idempotency.fetchrow(conn, _CALL, *book_args(call))
    except asyncpg.PostgresError as error:
        if error.sqlstate == REFUSED:
            raise Refused.parse(error.args[0] if error.args else "") from None
        raise
    assert row is not None
    return row["held_national"], row["held_topup"]


async def book_use_in(session: AsyncSession, call: BookUse) -> tuple[int, int]:
    """Call ``book_use`` inside the session's transaction; a refusal aborts that transaction
    (the caller's ``session.begin()`` rolls it back)."""
    try:
        row = (
            await session.execute(_CALL_IN_SESSION, dict(zip(_NAMES, book_args(call), strict=True)))
        ).one()
    except DBAPIError as error:
        cause = error.orig.__cause__ if error.orig is not None else None
        if isinstance(cause, asyncpg.PostgresError) and cause.sqlstate == REFUSED:
            raise Refused.parse(cause.args[0] if cause.args else "") from None
        raise
    return row.held_national, row.held_topup


def retryable(error: BaseException) -> bool:
    return isinstance(error, asyncpg.PostgresError) and error.sqlstate in RETRYABLE


# -- cancellation: one read, one call of ``cancel_use`` (migration 0013) -------------------------


@dataclass(frozen=True, slots=True)
class CancelUse:
    """The arguments of ``cancel_use``, in its order (see the migration for what each is)."""

    booking_id: uuid.UUID
    version: int
    month: str
    timely: bool
    consumed: int
    cells: list[time]
    cancelled_at: datetime
    cancelled_by: str
    reason: str
    cause: str
    called_at: datetime | None
    recorded_by: str | None
    bulk_id: uuid.UUID | None
    event_id: uuid.UUID
    event_type: str
    topic: str
    message_key: str
    event: bytes
    headers: str


_CANCEL = (
    "SELECT * FROM cancel_use("  # noqa: S608 - placeholders only
    + ", ".join(f"${i}" for i in range(1, len(fields(CancelUse)) + 1))
    + ")"
)
_cancel_args = attrgetter(*(f.name for f in fields(CancelUse)))


@dataclass(frozen=True, slots=True)
class BookingSnapshot:
    """A booking as a cancellation decides on it: its row and version, its facility's row,
    and what the event says of the child."""

    row: dict[str, Any]
    version: int
    facility: dict[str, Any]
    guardian_email: str
    child_name: str | None


_BOOKING_COLUMNS = [c.name for c in bookings.c]
_READ_BOOKING = (
    "SELECT b.*, b.xmin::text::bigint AS b_version, "
    + ", ".join(_select("f", c, c in _FACILITY_JSON) for c in _FACILITY_COLUMNS)
    + ", c.guardian_email AS c_guardian_email, c.name AS c_name "
    "FROM bookings b JOIN facilities f ON f.id = b.facility_id "
    "LEFT JOIN children c ON c.child_id = b.child_id "
    "WHERE b.id = $1"
)


async def read_booking(conn: asyncpg.Connection, booking_id: uuid.UUID) -> BookingSnapshot | None:
    found = await conn.fetchrow(_READ_BOOKING, booking_id)
    if found is None:
        return None
    return BookingSnapshot(
        row={c: found[c] for c in _BOOKING_COLUMNS},
        version=found["b_version"],
        facility={
            c: json.loads(found[f"f_{c}"]) if c in _FACILITY_JSON else found[f"f_{c}"]
            for c in _FACILITY_COLUMNS
        },
        guardian_email=found["c_guardian_email"],
        child_name=found["c_name"],
    )


async def cancel_use(conn: asyncpg.Connection, call: CancelUse) -> dict[str, Any]:
    """Call ``cancel_use`` as its own transaction: the booking row afterwards, or
    :class:`Refused` (``stale``: the booking changed since it was read)."""
    try:
        row = await idempotency.fetchrow(conn, _CANCEL, *_cancel_args(call))
    except asyncpg.PostgresError as error:
        if error.sqlstate == REFUSED:
            raise Refused.parse(error.args[0] if error.args else "") from None
        raise
    assert row is not None
    return {c: row[c] for c in _BOOKING_COLUMNS}
