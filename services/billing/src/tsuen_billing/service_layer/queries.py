"""What callers may read: claims, statements and their lines, each filtered by the caller's tenant.

Visibility: facility staff see their facility's claims and statements; an officer sees the
claims their municipality pays and the statements of its guardians; a guardian sees their own
statements. A record outside the caller's tenant is "not found" (never confirmed to exist).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from tsuen_billing.adapters import reads
from tsuen_billing.adapters import repository as repo
from tsuen_billing.adapters.orm import claims, statements, usage_lines
from tsuen_billing.domain.errors import (
    CHILD_NOT_FOUND_JA,
    CLAIM_NOT_FOUND_JA,
    STATEMENT_NOT_FOUND_JA,
    NotFound,
)
from tsuen_billing.domain.prices import FeeCategory
from tsuen_billing.service_layer.context import Billing
from tsuen_common.auth import Principal, Role


def can_see_claim(principal: Principal, claim: dict[str, Any]) -> bool:
    if principal.role is Role.MUNICIPALITY_OFFICER:
        return principal.municipality == claim["municipality"]
    return principal.can_access_facility(claim["facility_municipality"], str(claim["facility_id"]))


def can_see_statement(principal: Principal, statement: dict[str, Any]) -> bool:
    if principal.role is Role.FACILITY_STAFF:
        return principal.can_access_facility(
            statement["facility_municipality"], str(statement["facility_id"])
        )
    return principal.can_access_guardian(statement["municipality"], str(statement["guardian_id"]))


def _month(column: Any, month: str | None) -> list[Any]:
    return [column == month] if month else []


async def facility_claims(
    ctx: Billing, principal: Principal, facility_id: uuid.UUID, month: str | None
) -> list[dict[str, Any]]:
    async with ctx.sessions() as session:
        rows = await reads.list_claims(
            session, claims.c.facility_id == facility_id, *_month(claims.c.month, month)
        )
    return [r for r in rows if can_see_claim(principal, r)]


async def facility_statements(
    ctx: Billing, principal: Principal, facility_id: uuid.UUID, month: str | None
) -> list[dict[str, Any]]:
    async with ctx.sessions() as session:
        rows = await reads.list_statements(
            session, statements.c.facility_id == facility_id, *_month(statements.c.month, month)
        )
    return [r for r in rows if can_see_statement(principal, r)]


async def municipality_claims(
    ctx: Billing, municipality: str, month: str | None, facility_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """Claims the municipality pays (the caller's tenant is checked by the route)."""
    conditions = [claims.c.municipality == municipality, *_month(claims.c.month, month)]
    if facility_id is not None:
        conditions.append(claims.c.facility_id == facility_id)
    async with ctx.sessions() as session:
        return await reads.list_claims(session, *conditions)


def totals_by_facility(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        entry = totals.setdefault(
            row["facility_id"],
            {
                "facility_id": row["facility_id"],
                "facility_name": row["facility_name"],
                "claims": 0,
                "minutes": 0,
                "total_yen": 0,
            },
        )
        entry["claims"] += 1
        entry["minutes"] += row["minutes"]
        entry["total_yen"] += row["total_yen"]
    return sorted(totals.values(), key=lambda t: str(t["facility_id"]))


async def claim(ctx: Billing, principal: Principal, claim_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = await reads.get_claim(session, claim_id)
        if row is None or not can_see_claim(principal, row):
            raise NotFound(f"claim {claim_id} not found", message_ja=CLAIM_NOT_FOUND_JA)
        row["lines"] = await reads.lines_of(session, usage_lines.c.claim_id == claim_id)
    return row


async def municipality_lines(ctx: Billing, municipality: str, month: str) -> list[dict[str, Any]]:
    async with ctx.sessions() as session:
        return await reads.lines_of(
            session,
            usage_lines.c.paying_municipality == municipality,
            usage_lines.c.billing_month == month,
        )


async def guardian_statements(
    ctx: Billing, principal: Principal, month: str | None
) -> list[dict[str, Any]]:
    if principal.guardian_id is None or principal.municipality is None:
        return []
    async with ctx.sessions() as session:
        return await reads.list_statements(
            session,
            statements.c.guardian_id == uuid.UUID(principal.guardian_id),
            statements.c.municipality == principal.municipality,
            *_month(statements.c.month, month),
        )


async def statement(ctx: Billing, principal: Principal, statement_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = await reads.get_statement(session, statement_id)
        if row is None or not can_see_statement(principal, row):
            raise NotFound(f"statement {statement_id} not found", message_ja=STATEMENT_NOT_FOUND_JA)
        row["lines"] = await reads.lines_of(session, usage_lines.c.statement_id == statement_id)
    return row


async def set_fee_category(
    ctx: Billing,
    principal: Principal,
    municipality: str,
    child_id: uuid.UUID,
    category: FeeCategory,
    effective_from: date,
) -> None:
    """An officer records the household's fee category from a day on (the child must be
    certified by the officer's municipality)."""
    async with ctx.transaction() as session:
        if municipality not in await repo.child_municipalities(session, child_id):
            raise NotFound(f"child {child_id} not found", message_ja=CHILD_NOT_FOUND_JA)
        await repo.set_fee_category(
            session,
            child_id=child_id,
            municipality=municipality,
            effective_from=effective_from,
            category=category,
            decided_by=principal.subject,
        )
