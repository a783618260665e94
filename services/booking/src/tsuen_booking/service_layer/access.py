"""Who may see what: a booking, a child, and the caller's tenant as a WHERE clause for every
list. The one place the tenancy rules of bookings, interviews and 定期利用 live."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from tsuen_booking.adapters.orm import children
from tsuen_booking.domain.child import CertifiedChild
from tsuen_booking.service_layer.context import claim_uuid
from tsuen_common.auth import Principal, Role


def can_see_booking(principal: Principal, row: Mapping[Any, Any]) -> bool:
    """Who may act on this booking (a guardian: under their current home's certification;
    reading a moved child's older bookings goes through :func:`tenant_filter`)."""
    match principal.role:
        case Role.PLATFORM_ADMIN:
            return True
        case Role.MUNICIPALITY_OFFICER:
            return principal.municipality in (row["municipality"], row["child_municipality"])
        case Role.FACILITY_STAFF:
            return principal.can_access_facility(row["municipality"], str(row["facility_id"]))
        case Role.GUARDIAN:
            return principal.can_access_guardian(row["child_municipality"], str(row["guardian_id"]))


def tenant_filter(principal: Principal, table: sa.Table) -> sa.ColumnElement[bool]:
    """The caller's tenant as a WHERE clause, for any table with the booking tenancy columns
    (``municipality``, ``child_municipality``, ``facility_id``, ``guardian_id``)."""
    c = table.c
    match principal.role:
        case Role.PLATFORM_ADMIN:
            return sa.true()
        case Role.MUNICIPALITY_OFFICER:
            return sa.or_(
                c.municipality == principal.municipality,
                c.child_municipality == principal.municipality,
            )
        case Role.FACILITY_STAFF:
            return sa.and_(
                c.municipality == principal.municipality,
                c.facility_id == claim_uuid(principal.facility_id),
            )
        case Role.GUARDIAN:
            guardian = claim_uuid(principal.guardian_id)
            return sa.and_(
                c.guardian_id == guardian,
                sa.or_(
                    c.child_municipality == principal.municipality,
                    # A child who moved here (転入, issue 17.3) with this guardian's login: its
                    # bookings from before the move are the family's history too.
                    c.child_id.in_(
                        sa.select(children.c.child_id).where(
                            children.c.municipality == principal.municipality,
                            children.c.guardian_id == guardian,
                        )
                    ),
                ),
            )


def can_see_child(principal: Principal, child: CertifiedChild) -> bool:
    if principal.role is Role.FACILITY_STAFF:
        return False
    return principal.can_access_guardian(child.municipality, str(child.guardian_id))
