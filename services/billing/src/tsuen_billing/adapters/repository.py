"""Billing's writes and the close's reads (adapters.reads has what the API shows): the service
layer asks in domain terms and gets domain objects back."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_billing.adapters.orm import (
    certifications,
    claims,
    fee_categories,
    month_closes,
    statements,
    usage_lines,
    visits,
)
from tsuen_billing.domain.children import Certification
from tsuen_billing.domain.closing import ClaimTotal, PricedLine, StatementTotal
from tsuen_billing.domain.money import month_of
from tsuen_billing.domain.prices import FeeCategory
from tsuen_billing.domain.usage import LineKind, UsageLine


async def save_certification(
    session: AsyncSession,
    certification: Certification,
    certification_id: uuid.UUID,
    event_id: uuid.UUID,
) -> None:
    values = {
        "child_id": certification.child_id,
        "certification_id": certification_id,
        "guardian_id": certification.guardian_id,
        "municipality": certification.municipality,
        "birth_date": certification.birth_date,
        "needs_support": certification.needs_support,
        "medical_care": certification.medical_care,
        "valid_from": certification.valid_from,
        "valid_until": certification.valid_until,
        "source_event_id": event_id,
    }
    # A replay of the same certification finds its row: first write wins.
    await session.execute(insert(certifications).values(**values).on_conflict_do_nothing())


async def record_lines(
    session: AsyncSession, lines: Iterable[UsageLine], facility_municipality: str
) -> int:
    """Insert lines not seen before (one per booking and kind); returns how many were new."""
    added = 0
    for line in lines:
        result = await session.execute(
            insert(usage_lines)
            .values(
                id=uuid.uuid4(),
                booking_id=line.booking_id,
                kind=line.kind.value,
                child_id=line.child_id,
                guardian_id=line.guardian_id,
                facility_id=line.facility_id,
                facility_name=line.facility_name,
                facility_municipality=facility_municipality,
                use_date=line.use_date,
                service_month=month_of(line.use_date),
                minutes=line.minutes,
                over_cap_fee_yen=line.over_cap_fee_yen,
                source_event_id=line.source_event_id,
                source_event_type=line.source_event_type,
            )
            .on_conflict_do_nothing(constraint="uq_usage_lines_booking_kind")
            .returning(usage_lines.c.id)
        )
        added += result.first() is not None
    return added


async def record_visit(
    session: AsyncSession,
    *,
    booking_id: uuid.UUID,
    child_id: uuid.UUID,
    facility_id: uuid.UUID,
    checked_in_at: datetime,
    checked_out_at: datetime,
    late_minutes: int,
    event_id: uuid.UUID,
) -> None:
    await session.execute(
        insert(visits)
        .values(
            booking_id=booking_id,
            child_id=child_id,
            facility_id=facility_id,
            checked_in_at=checked_in_at,
            checked_out_at=checked_out_at,
            late_minutes=late_minutes,
            source_event_id=event_id,
        )
        .on_conflict_do_nothing()
    )


async def save_contact(session: AsyncSession, table: sa.Table, key: uuid.UUID, email: str) -> None:
    """The latest address of a facility or a guardian (the contacts tables)."""
    stmt = insert(table).values({table.primary_key.columns[0].name: key, "email": email})
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={"email": stmt.excluded.email, "recorded_at": sa.func.now()},
        )
    )


async def emails(
    session: AsyncSession, table: sa.Table, keys: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    key = table.primary_key.columns[0]
    rows = await session.execute(sa.select(key, table.c.email).where(key.in_(list(keys))))
    return {r[0]: r[1] for r in rows}


async def set_fee_category(
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    municipality: str,
    effective_from: date,
    category: FeeCategory,
    decided_by: str,
) -> None:
    stmt = insert(fee_categories).values(
        child_id=child_id,
        municipality=municipality,
        effective_from=effective_from,
        category=category.value,
        decided_by=decided_by,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["child_id", "effective_from"],
            set_={"category": stmt.excluded.category, "decided_by": stmt.excluded.decided_by},
        )
    )


async def certifications_of(
    session: AsyncSession, child_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Certification]]:
    rows = await session.execute(
        sa.select(certifications).where(certifications.c.child_id.in_(list(child_ids)))
    )
    found: dict[uuid.UUID, list[Certification]] = {}
    for r in rows.mappings():
        found.setdefault(r["child_id"], []).append(
            Certification(
                child_id=r["child_id"],
                guardian_id=r["guardian_id"],
                municipality=r["municipality"],
                birth_date=r["birth_date"],
                needs_support=r["needs_support"],
                medical_care=r["medical_care"],
                valid_from=r["valid_from"],
                valid_until=r["valid_until"],
            )
        )
    return found


async def fee_categories_of(
    session: AsyncSession, child_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[date, FeeCategory]]]:
    rows = await session.execute(
        sa.select(fee_categories).where(fee_categories.c.child_id.in_(list(child_ids)))
    )
    found: dict[uuid.UUID, list[tuple[date, FeeCategory]]] = {}
    for r in rows.mappings():
        found.setdefault(r["child_id"], []).append(
            (r["effective_from"], FeeCategory(r["category"]))
        )
    return found


async def child_municipalities(session: AsyncSession, child_id: uuid.UUID) -> set[str]:
    rows = await session.execute(
        sa.select(certifications.c.municipality).where(certifications.c.child_id == child_id)
    )
    return {r[0] for r in rows}


# -- closing -------------------------------------------------------------------------------------


async def facilities_with_pending(session: AsyncSession, month: str) -> list[uuid.UUID]:
    rows = await session.execute(
        sa.select(usage_lines.c.facility_id)
        .where(usage_lines.c.billing_month.is_(None), usage_lines.c.service_month <= month)
        .distinct()
        .order_by(usage_lines.c.facility_id)
    )
    return [r[0] for r in rows]


async def latest_close(session: AsyncSession, facility_id: uuid.UUID) -> str | None:
    latest: str | None = await session.scalar(
        sa.select(sa.func.max(month_closes.c.month)).where(
            month_closes.c.facility_id == facility_id
        )
    )
    return latest


async def mark_closed(
    session: AsyncSession, facility_id: uuid.UUID, month: str, municipality: str, at: datetime
) -> bool:
    """Claim (facility, month) for this close; False when another close has it already."""
    result = await session.execute(
        insert(month_closes)
        .values(
            facility_id=facility_id, month=month, facility_municipality=municipality, closed_at=at
        )
        .on_conflict_do_nothing()
        .returning(month_closes.c.month)
    )
    return result.first() is not None


async def lock_pending_lines(
    session: AsyncSession, facility_id: uuid.UUID, month: str
) -> list[tuple[uuid.UUID, str, UsageLine]]:
    """(line id, facility municipality, line) of the facility's unbilled lines up to ``month``."""
    rows = await session.execute(
        sa.select(usage_lines)
        .where(
            usage_lines.c.facility_id == facility_id,
            usage_lines.c.billing_month.is_(None),
            usage_lines.c.service_month <= month,
        )
        .order_by(usage_lines.c.use_date, usage_lines.c.booking_id, usage_lines.c.kind)
        .with_for_update()
    )
    return [(r["id"], r["facility_municipality"], _line(r)) for r in rows.mappings()]


def _line(r: Any) -> UsageLine:
    return UsageLine(
        booking_id=r["booking_id"],
        kind=LineKind(r["kind"]),
        child_id=r["child_id"],
        facility_id=r["facility_id"],
        facility_name=r["facility_name"],
        use_date=r["use_date"],
        minutes=r["minutes"],
        source_event_id=r["source_event_id"],
        source_event_type=r["source_event_type"],
        guardian_id=r["guardian_id"],
        over_cap_fee_yen=r["over_cap_fee_yen"],
    )


async def save_claim(
    session: AsyncSession,
    claim: ClaimTotal,
    *,
    claim_id: uuid.UUID,
    facility_name: str,
    facility_municipality: str,
    closed_at: datetime,
) -> None:
    await session.execute(
        sa.insert(claims).values(
            id=claim_id,
            facility_id=claim.facility_id,
            facility_name=facility_name,
            facility_municipality=facility_municipality,
            municipality=claim.municipality,
            month=claim.month,
            minutes=claim.minutes,
            line_count=claim.line_count,
            benefit_yen=claim.benefit_yen,
            addon_yen=claim.addon_yen,
            total_yen=claim.total_yen,
            closed_at=closed_at,
        )
    )


async def save_statement(
    session: AsyncSession,
    statement: StatementTotal,
    *,
    statement_id: uuid.UUID,
    facility_name: str,
    facility_municipality: str,
    closed_at: datetime,
) -> None:
    await session.execute(
        sa.insert(statements).values(
            id=statement_id,
            facility_id=statement.facility_id,
            facility_name=facility_name,
            facility_municipality=facility_municipality,
            guardian_id=statement.guardian_id,
            municipality=statement.municipality,
            month=statement.month,
            minutes=statement.minutes,
            line_count=statement.line_count,
            fee_yen=statement.fee_yen,
            over_cap_yen=statement.over_cap_yen,
            actual_cost_yen=statement.actual_cost_yen,
            total_yen=statement.total_yen,
            closed_at=closed_at,
        )
    )


async def bill_line(
    session: AsyncSession,
    line_id: uuid.UUID,
    priced: PricedLine,
    *,
    claim_id: uuid.UUID,
    statement_id: uuid.UUID,
) -> None:
    charge = priced.charge
    await session.execute(
        sa.update(usage_lines)
        .where(usage_lines.c.id == line_id, usage_lines.c.billing_month.is_(None))
        .values(
            billing_month=priced.billing_month,
            claim_id=claim_id,
            statement_id=statement_id,
            paying_municipality=priced.paying_municipality,
            billed_guardian_id=priced.guardian_id,
            benefit_yen=charge.benefit_yen,
            addon_yen=charge.addon_yen,
            fee_yen=charge.fee_yen,
            over_cap_yen=charge.over_cap_yen,
            fiscal_year=charge.fiscal_year,
            age_band=charge.age_band.value if charge.age_band else None,
            fee_category=charge.fee_category.value if charge.fee_category else None,
            first_visit=charge.first_visit,
            actual_cost_yen=charge.actual_cost_yen,
            actual_costs=[list(cost) for cost in charge.actual_costs],
        )
    )
