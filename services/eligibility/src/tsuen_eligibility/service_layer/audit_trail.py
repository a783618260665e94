"""The audit trail as officers read it: who did what, when (context.audit writes it)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Row

from tsuen_eligibility.adapters import audit_store
from tsuen_eligibility.service_layer.context import Eligibility


def audit_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "application_id": row.application_id,
        "certification_id": row.certification_id,
        "round_id": row.round_id,
        "detail": row.detail,
    }


async def list_audit(
    ctx: Eligibility,
    *,
    municipality: str,
    application_id: uuid.UUID | None = None,
    certification_id: uuid.UUID | None = None,
    round_id: uuid.UUID | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    ctx.policy(municipality)
    async with ctx.sessions() as session:
        rows = await audit_store.audit_lines(
            session,
            municipality=municipality,
            application_id=application_id,
            certification_id=certification_id,
            round_id=round_id,
            limit=limit,
            offset=offset,
        )
    return [audit_view(r) for r in rows]
