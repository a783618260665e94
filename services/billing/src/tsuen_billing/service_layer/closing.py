"""The monthly close (月次締め): one transaction per facility.

Closing (facility, M) bills every unbilled line of the facility whose use date is in M or
earlier: M's own lines, and late lines of months closed before (adjustments, 調整行, referring
to their month). It writes one claim per paying municipality and one statement per guardian,
freezes the lines' amounts, records the close and emits ``ClaimClosed`` per claim and
``StatementClosed`` per statement, all at once.
A closed (facility, month) is never closed again and its lines never change; a line whose child
is not known yet (no certification with a birth date) waits for the next close.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_billing.adapters import extras
from tsuen_billing.adapters import repository as repo
from tsuen_billing.adapters.orm import facility_contacts, guardian_contacts
from tsuen_billing.domain.charges import price_line
from tsuen_billing.domain.children import facts_on
from tsuen_billing.domain.closing import ClaimTotal, PricedLine, StatementTotal, summarise
from tsuen_billing.domain.errors import MonthAlreadyClosed, MonthNotOver, PricesMissing
from tsuen_billing.domain.money import month_bounds
from tsuen_billing.domain.usage import LineKind, UsageLine
from tsuen_billing.domain.visits import visit_extras
from tsuen_billing.service_layer.context import Billing
from tsuen_common.events.billing import ClaimClosed, StatementClosed
from tsuen_common.logging import get_logger

log = get_logger(__name__)


@dataclass
class FacilityClose:
    facility_id: uuid.UUID
    month: str
    claims: int = 0
    statements: int = 0
    lines: int = 0
    adjustments: int = 0
    waiting: int = 0  # lines whose child is not known yet
    skipped: str | None = None  # why nothing was closed
    already_closed: bool = False
    failed: str | None = None  # e.g. no prices for a use date: nothing of the facility closed


@dataclass
class CloseResult:
    month: str
    facilities: list[FacilityClose] = field(default_factory=list)


async def close_month(
    ctx: Billing, month: str, *, facility_id: uuid.UUID | None = None
) -> CloseResult:
    """Close ``month`` for one facility, or for every facility with unbilled lines."""
    now = ctx.clock()
    if month_bounds(month)[1] > now.date():
        raise MonthNotOver(f"{month} has not ended yet; it can be closed from its next month")
    result = CloseResult(month)
    if facility_id is not None:
        targets = [facility_id]
    else:
        async with ctx.sessions() as session:
            targets = await repo.facilities_with_pending(session, month)
    for target in targets:
        try:
            async with ctx.transaction() as session:
                done = await _close_facility(ctx, session, target, month, now)
        except PricesMissing as exc:
            if facility_id is not None:
                raise
            # One facility's missing prices do not hold up the others' claims.
            log.error("month not closed", facility_id=str(target), month=month, reason=str(exc))
            done = FacilityClose(target, month, failed=str(exc))
        if facility_id is not None and done.already_closed:
            raise MonthAlreadyClosed(done.skipped or f"{month} is already closed")
        result.facilities.append(done)
    return result


@dataclass(frozen=True)
class _Facility:
    """The facility being closed, as its lines name it."""

    id: uuid.UUID
    name: str
    municipality: str
    email: str | None


async def _close_facility(
    ctx: Billing, session: AsyncSession, facility_id: uuid.UUID, month: str, now: datetime
) -> FacilityClose:
    done = FacilityClose(facility_id, month)
    latest = await repo.latest_close(session, facility_id)
    if latest is not None and latest >= month:
        done.skipped = f"facility {facility_id}: {latest} is closed already; {month} cannot be"
        done.already_closed = True
        return done
    pending = await repo.lock_pending_lines(session, facility_id, month)
    facility_municipality = pending[0][1] if pending else ""
    if not pending or not await repo.mark_closed(
        session, facility_id, month, facility_municipality, now
    ):
        done.skipped = f"facility {facility_id}: nothing to close for {month}"
        return done
    facility = _Facility(
        id=facility_id,
        name=pending[-1][2].facility_name,
        municipality=facility_municipality,
        email=(await repo.emails(session, facility_contacts, [facility_id])).get(facility_id),
    )
    priced, waiting = await _price(
        ctx, session, facility_id, [line for _, _, line in pending], month
    )
    claim_totals, statement_totals = summarise(p for _, p in priced)
    claim_ids = await _save_claims(ctx, session, facility, claim_totals, now)
    statement_ids = await _save_statements(ctx, session, facility, statement_totals, now)
    line_ids = {line.key: line_id for line_id, _, line in pending}
    for key, line in priced:
        await repo.bill_line(
            session,
            line_ids[key],
            line,
            claim_id=claim_ids[line.paying_municipality],
            statement_id=statement_ids[line.guardian_id],
        )
    done.claims, done.statements, done.lines = len(claim_totals), len(statement_totals), len(priced)
    done.adjustments = sum(1 for _, p in priced if p.adjusts_month)
    done.waiting = len(waiting)
    log.info(
        "month closed",
        facility_id=str(facility_id),
        month=month,
        claims=done.claims,
        lines=done.lines,
        waiting=done.waiting,
    )
    return done


async def _save_claims(
    ctx: Billing,
    session: AsyncSession,
    facility: _Facility,
    totals: list[ClaimTotal],
    now: datetime,
) -> dict[str, uuid.UUID]:
    """One claim per paying municipality, each with its ClaimClosed; their ids by municipality."""
    ids = {claim.municipality: uuid.uuid4() for claim in totals}
    for claim in totals:
        claim_id = ids[claim.municipality]
        await repo.save_claim(
            session,
            claim,
            claim_id=claim_id,
            facility_name=facility.name,
            facility_municipality=facility.municipality,
            closed_at=now,
        )
        await ctx.outbox.add(
            session,
            ClaimClosed(
                claim_id=claim_id,
                facility_id=facility.id,
                facility_name=facility.name,
                facility_email=facility.email,
                municipality=claim.municipality,
                month=claim.month,
                minutes=claim.minutes,
                line_count=claim.line_count,
                benefit_yen=claim.benefit_yen,
                addon_yen=claim.addon_yen,
                total_yen=claim.total_yen,
                closed_at=now,
            ),
            municipality=claim.municipality,
        )
    return ids


async def _save_statements(
    ctx: Billing,
    session: AsyncSession,
    facility: _Facility,
    totals: list[StatementTotal],
    now: datetime,
) -> dict[uuid.UUID, uuid.UUID]:
    """One statement per guardian, each with its StatementClosed; their ids by guardian."""
    ids = {statement.guardian_id: uuid.uuid4() for statement in totals}
    addresses = await repo.emails(session, guardian_contacts, list(ids))
    for statement in totals:
        statement_id = ids[statement.guardian_id]
        await repo.save_statement(
            session,
            statement,
            statement_id=statement_id,
            facility_name=facility.name,
            facility_municipality=facility.municipality,
            closed_at=now,
        )
        await ctx.outbox.add(
            session,
            StatementClosed(
                statement_id=statement_id,
                facility_id=facility.id,
                facility_name=facility.name,
                guardian_id=statement.guardian_id,
                guardian_email=addresses.get(statement.guardian_id),
                month=statement.month,
                minutes=statement.minutes,
                fee_yen=statement.fee_yen,
                over_cap_yen=statement.over_cap_yen,
                actual_cost_yen=statement.actual_cost_yen,
                total_yen=statement.total_yen,
                closed_at=now,
            ),
            municipality=statement.municipality,
        )
    return ids


async def _price(
    ctx: Billing, session: AsyncSession, facility_id: uuid.UUID, lines: list[UsageLine], month: str
) -> tuple[list[tuple[tuple[uuid.UUID, LineKind], PricedLine]], list[UsageLine]]:
    child_ids = {line.child_id for line in lines}
    certifications = await repo.certifications_of(session, child_ids)
    categories = await repo.fee_categories_of(session, child_ids)
    spans = await extras.family_support_of(session, child_ids)
    # Each visit's 初回 add-on and 実費, decided over all the facility's lines of this close.
    visits = visit_extras(
        lines,
        await extras.already_billed(session, facility_id, child_ids),
        await extras.cost_items_of(session, facility_id),
    )
    priced: list[tuple[tuple[uuid.UUID, LineKind], PricedLine]] = []
    waiting: list[UsageLine] = []
    for line in lines:
        facts = facts_on(
            certifications.get(line.child_id, []),
            categories.get(line.child_id, []),
            line.use_date,
            spans.get(line.child_id, []),
        )
        if facts is None:
            waiting.append(line)
            continue
        priced.append(
            (
                line.key,
                PricedLine(
                    line=line,
                    charge=price_line(line, facts, ctx.prices, visits.get(line.key)),
                    paying_municipality=facts.municipality,
                    # The guardian of the booking; the certification's when the event had none.
                    guardian_id=line.guardian_id or facts.guardian_id,
                    billing_month=month,
                ),
            )
        )
    return priced, waiting
