"""転入: approving a child certified in another municipality on the platform (issue 17.3).

Inside the approval's transaction: find the child's active certification elsewhere, decide
with ``domain.moves`` whether this is a move, and if so end that certification the day before
the new one starts (CertificationRevoked, reason moved_out, before ChildCertified on the same
key), keep the child's id, carry its record (allergies, contacts) and, when the same guardian
applies with the same address, move the guardian's login with the family.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.eligibility import MovedFrom, RevocationReason
from tsuen_common.logging import get_logger
from tsuen_eligibility.adapters import move_store
from tsuen_eligibility.domain.moves import (
    CertifiedElsewhere,
    DecisionNeeded,
    Move,
    NewChild,
    OfficerDecision,
    decide_move,
    guardian_login_moves,
)
from tsuen_eligibility.service_layer.certifications import revoke_row
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import Conflict

log = get_logger(__name__)

DECISION_NEEDED_JA = (
    "同じ読み仮名・生年月日のお子さまが、他の市区町村で認定を受けています。"
    "転入による同じお子さまか、別のお子さまかを選んでから承認してください。"
)
UNKNOWN_PREVIOUS_JA = (
    "選ばれた他の市区町村の認定は、このお子さまの有効な認定ではありません。"
    "画面を更新して、もう一度選んでください。"
)


@dataclass(frozen=True)
class MovedIn:
    """What a move decided: the child's id, the guardian's login if it moves, the old end."""

    child_id: uuid.UUID
    guardian_id: uuid.UUID | None  # None: the applicant gets an account here as usual
    moved_from: MovedFrom


def _candidate(row: Row[Any], identity: str) -> CertifiedElsewhere:
    return CertifiedElsewhere(
        certification_id=row.id,
        municipality=row.municipality,
        child_id=row.child_id,
        guardian_id=row.guardian_id,
        same_guardian=row.guardian_identity == identity,
        ended_on=row.revoked_on if row.status != "active" else None,
    )


async def candidates_for(
    session: AsyncSession, app: Row[Any], identity: str, *, lock: bool = False
) -> list[tuple[CertifiedElsewhere, Row[Any]]]:
    """The application's child's active certifications elsewhere, as the rule sees them."""
    rows = await move_store.certified_elsewhere(
        session,
        municipality=app.municipality,
        child_kana_key=app.child_kana_key,
        child_birth_date=app.child_birth_date,
        lock=lock,
    )
    return [(_candidate(r, identity), r) for r in rows]


async def move_in(
    ctx: Eligibility,
    session: AsyncSession,
    app: Row[Any],
    *,
    identity: str,
    decision: OfficerDecision,
    valid_from: date,
) -> MovedIn | None:
    """End the certification elsewhere when this approval is a move; None for a new child."""
    found = await candidates_for(session, app, identity, lock=True)
    outcome = decide_move([c for c, _ in found], decision, valid_from)
    if isinstance(outcome, NewChild):
        return None
    if isinstance(outcome, DecisionNeeded):
        raise Conflict(
            "a child with the same name reading and birth date holds an active certification "
            "in another municipality; approve with moved_from_certification_id (a move) or "
            "another_child=true",
            message_ja=DECISION_NEEDED_JA,
            code="move_decision_needed",
        )
    if not isinstance(outcome, Move):
        raise Conflict(
            "moved_from_certification_id names no active certification of this child elsewhere",
            message_ja=UNKNOWN_PREVIOUS_JA,
            code="unknown_previous_certification",
        )
    previous = next(row for c, row in found if c == outcome.previous)
    if outcome.end_it:
        # Active (or ended by the old home only after the new start): it ends the day before.
        await revoke_row(
            ctx,
            session,
            previous,
            reason=RevocationReason.MOVED_OUT,
            event_date=valid_from,
            actor=f"system:moved-to-{app.municipality}",
        )
    guardian_id = await _guardian_login(session, app, previous, identity)
    if guardian_id is not None:
        # The same family: its record (allergies, contacts) comes along. Never to another
        # applicant, whatever the officer decided: that record is the old family's.
        await move_store.carry_profile(
            session,
            child_id=previous.child_id,
            from_municipality=previous.municipality,
            to_municipality=app.municipality,
            guardian_id=guardian_id,
        )
    log.info(
        "child moved in",
        from_municipality=previous.municipality,
        to_municipality=app.municipality,
        login_moved=guardian_id is not None,
        ended_now=outcome.end_it,
    )
    return MovedIn(
        child_id=previous.child_id,
        guardian_id=guardian_id,
        moved_from=MovedFrom(
            municipality=previous.municipality,
            certification_id=previous.id,
            last_day=outcome.last_day,
        ),
    )


async def _guardian_login(
    session: AsyncSession, app: Row[Any], previous: Row[Any], identity: str
) -> uuid.UUID | None:
    """The previous guardian account, moved here, when the same guardian applies with the same
    address; None otherwise (then the applicant's account here is found or made as usual)."""
    if not guardian_login_moves(
        previous.guardian_email,
        previous.guardian_identity,
        email=app.guardian_email,
        identity=identity,
    ):
        return None
    if previous.guardian_municipality == app.municipality:
        return uuid.UUID(str(previous.guardian_id))  # a sibling's move took it here already
    moved = await move_store.rehome_guardian(
        session,
        guardian_id=previous.guardian_id,
        email=app.guardian_email,
        municipality=app.municipality,
    )
    return uuid.UUID(str(previous.guardian_id)) if moved else None
