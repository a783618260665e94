"""Who may see what. Tenancy is decided in the service layer, from the verified principal's ids,
because a record of another tenant must look exactly like a missing one (404), whichever
entrypoint asked."""

from __future__ import annotations

import uuid

from tsuen_common import errors
from tsuen_common.auth import Principal, Role


class NotFound(errors.NotFound):
    """Missing, or belonging to another tenant: the caller cannot tell which, on purpose."""


BOOKING_NOT_FOUND_JA = (
    "この施設での本日のご予約が見つかりませんでした。予約した施設と日にちをご確認ください。"
)
FACILITY_NOT_FOUND_JA = "施設が見つかりませんでした。施設の画面を開き直してください。"


def guardian_id_of(principal: Principal) -> uuid.UUID:
    if principal.role is not Role.GUARDIAN or principal.guardian_id is None:
        raise NotFound(
            "only a guardian has bookings to register",
            message_ja="利用開始・終了の登録は、保護者の方のアカウントで行ってください。",
        )
    try:
        return uuid.UUID(principal.guardian_id)
    except ValueError:
        raise NotFound(
            "this guardian has no bookings here", message_ja=BOOKING_NOT_FOUND_JA
        ) from None


def sees_facility(principal: Principal, municipality: str | None, facility_id: uuid.UUID) -> bool:
    """Staff see their own facility (whatever municipality the child is certified in: 広域利用);
    officers their municipality's bookings; platform admins everything."""
    match principal.role:
        case Role.FACILITY_STAFF:
            return principal.facility_id == str(facility_id)
        case Role.MUNICIPALITY_OFFICER:
            return municipality is None or principal.municipality == municipality
        case Role.PLATFORM_ADMIN:
            return True
        case _:
            return False
