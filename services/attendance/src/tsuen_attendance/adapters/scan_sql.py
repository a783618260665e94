"""A guardian's check-in/out in two round trips (issue 20): one read, one ``register_visit``.

Through asyncpg directly, with prepared statements, on a connection borrowed from the service's
SQLAlchemy pool, outside any explicit transaction: the read needs none (the call checks the
visit's version under its lock), and the call is one statement, so one transaction by itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

import asyncpg

from tsuen_attendance.adapters import repository as repo
from tsuen_common import idempotency
from tsuen_common.db import driver_connection
from tsuen_common.sealed import SecretBox

STALE = "TA001"
"""The SQLSTATE ``register_visit`` raises when the visit changed since it was read."""


class Stale(Exception):
    """The visit changed between the read and the call: read and decide again."""


# An asyncpg connection from the service's pool; a dead one answers 503, not 500.
connection = driver_connection


@dataclass(frozen=True, slots=True)
class Found:
    ring: repo.KeyRing | None
    record: repo.VisitRecord | None
    version: int


# The facility's current and last retired key (``repository._KEY_RING``'s order) and the visit
# with its row version, in one statement that always answers one row.
_READ = """
SELECT k.secrets, k.retired, v.*, v.xmin::text::bigint AS v_version
FROM (
    SELECT array_agg(s.secret ORDER BY s.n) AS secrets,
           array_agg(s.retired_at ORDER BY s.n) AS retired
    FROM (
        SELECT secret, retired_at,
               row_number() OVER (ORDER BY retired_at DESC NULLS FIRST) AS n
        FROM facility_keys WHERE facility_id = $1
        ORDER BY retired_at DESC NULLS FIRST LIMIT 2
    ) AS s
) AS k
LEFT JOIN visits v ON v.booking_id = $2
"""


async def read(
    conn: asyncpg.Connection, facility_id: uuid.UUID, booking_id: uuid.UUID, box: SecretBox
) -> Found:
    row = await conn.fetchrow(_READ, facility_id, booking_id)
    assert row is not None
    secrets = row["secrets"] or []
    ring = repo.key_ring(list(zip(secrets, row["retired"] or [], strict=True)), box)
    if row["booking_id"] is None:
        return Found(ring, None, 0)
    return Found(ring, repo.record_from(row), row["v_version"])


@dataclass(frozen=True, slots=True)
class RegisterVisit:
    """The arguments of ``register_visit``, in its order."""

    booking_id: uuid.UUID
    version: int
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    late_minutes: int | None
    penalty_minutes: int | None
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


_REGISTER = (
    "SELECT register_visit("
    + ", ".join(f"${i}" for i in range(1, len(fields(RegisterVisit)) + 1))
    + ")"
)
# A flat tuple of the fields (dataclasses.astuple deep-copies each one; asyncpg only reads them).
_register_args = attrgetter(*(f.name for f in fields(RegisterVisit)))


async def register(conn: asyncpg.Connection, call: RegisterVisit) -> None:
    """Save the visit and its event as one transaction, or raise :class:`Stale`."""
    try:
        # With an Idempotency-Key pending, its row goes in with the same statement.
        await idempotency.fetchrow(conn, _REGISTER, *_register_args(call))
    except asyncpg.PostgresError as error:
        if error.sqlstate == STALE:
            raise Stale from None
        raise
