"""What the API and the reconciliation read: claims, statements, lines (with the visit's times)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_billing.adapters.orm import claims, statements, usage_lines, visits


async def list_claims(session: AsyncSession, *conditions: Any) -> list[dict[str, Any]]:
    rows = await session.execute(
        sa.select(claims)
        .where(*conditions)
        .order_by(claims.c.month, claims.c.facility_id, claims.c.municipality)
    )
    return [dict(r) for r in rows.mappings()]


async def get_claim(session: AsyncSession, claim_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        (await session.execute(sa.select(claims).where(claims.c.id == claim_id))).mappings().first()
    )
    return dict(row) if row else None


async def list_statements(session: AsyncSession, *conditions: Any) -> list[dict[str, Any]]:
    rows = await session.execute(
        sa.select(statements)
        .where(*conditions)
        .order_by(statements.c.month, statements.c.facility_id)
    )
    return [dict(r) for r in rows.mappings()]


async def get_statement(session: AsyncSession, statement_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        (await session.execute(sa.select(statements).where(statements.c.id == statement_id)))
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def lines_of(session: AsyncSession, *conditions: Any) -> list[dict[str, Any]]:
    """Lines with the visit's times where attendance reported one (used bookings)."""
    rows = await session.execute(
        sa.select(usage_lines, visits.c.checked_in_at, visits.c.checked_out_at)
        .select_from(usage_lines.outerjoin(visits, visits.c.booking_id == usage_lines.c.booking_id))
        .where(*conditions)
        .order_by(
            usage_lines.c.use_date,
            usage_lines.c.child_id,
            usage_lines.c.booking_id,
            usage_lines.c.kind,
        )
    )
    return [dict(r) for r in rows.mappings()]


async def minutes_by_booking(
    session: AsyncSession, month: str, facility_ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, tuple[uuid.UUID, date, int]]:
    """Per booking of the service month: (facility, use date, minutes on all its lines)."""
    stmt = (
        sa.select(
            usage_lines.c.booking_id,
            usage_lines.c.facility_id,
            usage_lines.c.use_date,
            sa.func.sum(usage_lines.c.minutes),
        )
        .where(usage_lines.c.service_month == month)
        .group_by(usage_lines.c.booking_id, usage_lines.c.facility_id, usage_lines.c.use_date)
    )
    if facility_ids:
        stmt = stmt.where(usage_lines.c.facility_id.in_(list(facility_ids)))
    rows = await session.execute(stmt)
    return {r[0]: (r[1], r[2], int(r[3])) for r in rows}
