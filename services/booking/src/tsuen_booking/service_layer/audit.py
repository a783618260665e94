"""The staff audit trail (domain/audit.py): written inside each staff use case's transaction,
read by the municipality's officers, newest first.

Proxy bookings and cancellations entered for a guardian are not written here a second time: the
booking row already says so (``by_proxy``; ``cancel_recorded_by`` with ``called_at``), and the
hot path that makes them is one SQL call. The trail reads them off the rows and merges.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import staff_audit_store
from tsuen_booking.domain.audit import StaffAction, is_audited
from tsuen_booking.service_layer.context import Context
from tsuen_common.auth import Principal

TRAIL_LIMIT = 200


async def record(
    session: AsyncSession,
    principal: Principal,
    action: StaffAction,
    *,
    municipality: str,
    facility_id: uuid.UUID,
    at: datetime,
    subject_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One line of the trail, in the caller's transaction: the change and its line commit
    together or not at all."""
    if not is_audited(principal):
        return
    await staff_audit_store.add_line(
        session,
        municipality=municipality,
        facility_id=facility_id,
        actor=principal.subject,
        actor_role=principal.role.value,
        action=action.value,
        subject_id=subject_id,
        detail=detail or {},
        at=at,
    )


async def trail(ctx: Context, principal: Principal, municipality: str) -> list[dict[str, Any]]:
    """The municipality's trail, newest first (the last ``TRAIL_LIMIT`` lines)."""
    principal.require_municipality(municipality)
    async with ctx.sessions() as session:
        rows = await staff_audit_store.trail(session, municipality, limit=TRAIL_LIMIT)
    return [dict(row) for row in rows]
