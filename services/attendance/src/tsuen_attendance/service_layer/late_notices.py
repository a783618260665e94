"""遅れる連絡: the guardian's notice for today's visit, kept for the facility's roster."""

from __future__ import annotations

import uuid

from tsuen_attendance.adapters import late_notices as store
from tsuen_attendance.adapters import repository as repo
from tsuen_attendance.domain.late_notice import LateKind, LateNotice, check_late_notice
from tsuen_attendance.service_layer.attendance import AttendanceService
from tsuen_attendance.service_layer.tenancy import BOOKING_NOT_FOUND_JA, NotFound
from tsuen_common.auth import Principal, Role
from tsuen_common.logging import get_logger

log = get_logger(__name__)


async def give(
    service: AttendanceService,
    *,
    guardian: Principal,
    booking_id: uuid.UUID,
    kind: LateKind,
    minutes: int,
    note: str,
) -> LateNotice:
    """Record the notice (a second one of the same kind replaces the first). Only the
    booking's guardian; anyone else's booking looks missing."""
    now = service.now()
    async with service.transaction() as session:
        record = await repo.get_visit(session, booking_id, for_update=True)
        if (
            record is None
            or guardian.role is not Role.GUARDIAN
            or guardian.guardian_id != str(record.visit.guardian_id)
        ):
            raise NotFound(f"no booking {booking_id}", message_ja=BOOKING_NOT_FOUND_JA)
        check_late_notice(record.visit, kind, now)
        notice = LateNotice(kind=kind, minutes=minutes, note=note, noticed_at=now)
        await store.save(session, booking_id, notice)
    log.info("late notice", booking_id=str(booking_id), kind=str(kind), minutes=minutes)
    return notice
