"""Billing's writes and reads for what a visit adds (初回加算, 実費 items) and the 要支援家庭
spans (adapters.repository has the lines, claims and statements)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_billing.adapters.orm import certifications, cost_items, family_support, usage_lines
from tsuen_billing.domain.usage import LineKind
from tsuen_billing.domain.visits import AlreadyBilled, CostItem, CostUnit


async def already_billed(
    session: AsyncSession, facility_id: uuid.UUID, child_ids: Iterable[uuid.UUID]
) -> AlreadyBilled:
    """Earlier closes' visits of these children at the facility: whose first visit was billed,
    and which (child, day) had a visit billed (its per-day 実費 went with it)."""
    rows = await session.execute(
        sa.select(usage_lines.c.child_id, usage_lines.c.use_date, usage_lines.c.first_visit).where(
            usage_lines.c.facility_id == facility_id,
            usage_lines.c.child_id.in_(list(child_ids)),
            usage_lines.c.kind == LineKind.USE.value,
            usage_lines.c.billing_month.is_not(None),
        )
    )
    found = list(rows)
    return AlreadyBilled(
        first_visits=frozenset(r[0] for r in found if r[2]),
        days=frozenset((r[0], r[1]) for r in found),
    )


async def cost_items_of(session: AsyncSession, facility_id: uuid.UUID) -> list[CostItem]:
    rows = await session.execute(
        sa.select(cost_items)
        .where(cost_items.c.facility_id == facility_id)
        .order_by(cost_items.c.name, cost_items.c.effective_from)
    )
    return [
        CostItem(
            name=r["name"],
            unit=CostUnit(r["unit"]),
            yen=r["yen"],
            effective_from=r["effective_from"],
            active=r["active"],
        )
        for r in rows.mappings()
    ]


async def save_cost_item(
    session: AsyncSession,
    facility_id: uuid.UUID,
    facility_municipality: str,
    item: CostItem,
    decided_by: str,
) -> None:
    """A version of an item from its day; the same name and day again replaces it."""
    stmt = insert(cost_items).values(
        facility_id=facility_id,
        name=item.name,
        effective_from=item.effective_from,
        facility_municipality=facility_municipality,
        unit=item.unit.value,
        yen=item.yen,
        active=item.active,
        decided_by=decided_by,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["facility_id", "name", "effective_from"],
            set_={
                "unit": stmt.excluded.unit,
                "yen": stmt.excluded.yen,
                "active": stmt.excluded.active,
                "decided_by": stmt.excluded.decided_by,
                "recorded_at": sa.func.now(),
            },
        )
    )


async def save_family_support(
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    certification_id: uuid.UUID,
    valid_from: date,
    valid_until: date,
    municipality: str,
    event_id: uuid.UUID,
) -> None:
    stmt = insert(family_support).values(
        child_id=child_id,
        certification_id=certification_id,
        valid_from=valid_from,
        valid_until=valid_until,
        municipality=municipality,
        source_event_id=event_id,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["child_id", "certification_id", "valid_from"],
            set_={
                "valid_until": stmt.excluded.valid_until,
                "source_event_id": stmt.excluded.source_event_id,
            },
        )
    )


async def family_support_of(
    session: AsyncSession, child_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[date, date]]]:
    rows = await session.execute(
        sa.select(
            family_support.c.child_id, family_support.c.valid_from, family_support.c.valid_until
        ).where(family_support.c.child_id.in_(list(child_ids)))
    )
    found: dict[uuid.UUID, list[tuple[date, date]]] = {}
    for child_id, start, end in rows:
        found.setdefault(child_id, []).append((start, end))
    return found


async def children_of(session: AsyncSession, guardian_id: uuid.UUID) -> set[uuid.UUID]:
    """The children certifications name this guardian for."""
    rows = await session.execute(
        sa.select(certifications.c.child_id)
        .where(certifications.c.guardian_id == guardian_id)
        .distinct()
    )
    return {r[0] for r in rows}
