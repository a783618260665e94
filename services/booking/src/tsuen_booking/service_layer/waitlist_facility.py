"""空き待ち as the facility sees it (issue 17): every entry of one facility from a day on (or of
one day), each with the child's name and reading as the staff's roster names children, its
place in line while waiting and the hold's deadline while a place is held. Read-only: nothing
here offers or books.

Who may read it: the facility's own staff, the officers of its municipality and the platform's
administrators. Another facility's staff and another municipality's officers get the 404 of a
missing facility (the id tells them nothing); a guardian is refused (403): a family sees only
its own entries at ``GET /v1/waitlist``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters import waitlist_store
from tsuen_booking.domain.errors import FACILITY_NOT_FOUND_JA, NotFound
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.facilities import can_see_facility
from tsuen_booking.service_layer.waitlist import entry_out
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.timeutil import JST

__all__ = ["facility_entries"]


async def facility_entries(
    ctx: Context,
    principal: Principal,
    facility_id: uuid.UUID,
    *,
    day: date | None = None,
) -> list[dict[str, Any]]:
    """The facility's entries of ``day``, or from today on when no day is given; by day, time
    and the order of joining (the list's order)."""
    async with ctx.sessions() as session:
        row = await repo.facility_row(session, facility_id)
        if row is None or not can_see_facility(ctx, principal, row):
            raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
        if principal.role is Role.GUARDIAN:
            raise Forbidden("only the facility or its municipality sees its wait list")
        rows = await waitlist_store.facility_list(
            session,
            facility_id,
            day=day,
            since=ctx.clock().astimezone(JST).date() if day is None else None,
            limit=500,
        )
    return [{**entry_out(r), "child_kana": r["child_kana"]} for r in rows]
