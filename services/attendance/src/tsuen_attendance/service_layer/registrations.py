"""利用開始 / 利用終了: a guardian's scan of the facility's code, and 代理登録 by staff for a
guardian who cannot scan. Each registration is one transaction: the visit's new state and its
events (through the outbox) commit together or not at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_attendance.adapters import repository as repo
from tsuen_attendance.adapters import scan_sql
from tsuen_attendance.domain.codes import CodeForOtherFacility, parse_token
from tsuen_attendance.domain.times import jst_day
from tsuen_attendance.domain.visits import Visit
from tsuen_attendance.service_layer.facility_codes import FacilityCodes
from tsuen_attendance.service_layer.tenancy import (
    BOOKING_NOT_FOUND_JA,
    NotFound,
    guardian_id_of,
    sees_facility,
)
from tsuen_common import errors
from tsuen_common.auth import Principal
from tsuen_common.events.attendance import CheckedIn, CheckedOut, StaffRegistration
from tsuen_common.logging import get_logger

log = get_logger(__name__)

_SCAN_ATTEMPTS = 3


class StaffAction(StrEnum):
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"


@dataclass(frozen=True)
class ScanView:
    facility_id: uuid.UUID
    facility_name: str | None
    token: str
    visits: list[repo.VisitRecord]


@dataclass(frozen=True)
class Registration:
    """The outcome of a check-in/out; ``changed`` is False for a repeated scan."""

    record: repo.VisitRecord
    changed: bool


class Registrations(FacilityCodes):
    # --- guardians ------------------------------------------------------------------------

    async def scan(self, *, guardian: Principal, token: str) -> ScanView:
        """What the guardian sees after scanning: their bookings today at that facility."""
        now = self.now()
        guardian_id = guardian_id_of(guardian)
        async with self.transaction() as session:
            facility_id = await self._verified_facility(session, token, now)
            records = await repo.visits_of_guardian(
                session, guardian_id, jst_day(now), facility_id=facility_id
            )
            name = (
                records[0].facility_name
                if records
                else await repo.facility_name(session, facility_id)
            )
        records = [r for r in records if not r.visit.cancelled]
        return ScanView(facility_id=facility_id, facility_name=name, token=token, visits=records)

    async def guardian_today(
        self, *, guardian: Principal, day: date | None = None
    ) -> list[repo.VisitRecord]:
        async with self.sessions() as session:
            records = await repo.visits_of_guardian(
                session, guardian_id_of(guardian), day or jst_day(self.now())
            )
        return [r for r in records if not r.visit.cancelled]

    async def check_in(
        self, *, guardian: Principal, token: str, booking_id: uuid.UUID
    ) -> Registration:
        return await self._guardian_registers(guardian, token, booking_id, StaffAction.CHECK_IN)

    async def check_out(
        self, *, guardian: Principal, token: str, booking_id: uuid.UUID
    ) -> Registration:
        return await self._guardian_registers(guardian, token, booking_id, StaffAction.CHECK_OUT)

    async def _guardian_registers(
        self, guardian: Principal, token: str, booking_id: uuid.UUID, action: StaffAction
    ) -> Registration:
        """One read and one ``register_visit`` call (issue 20, ``adapters/scan_sql.py``): the
        second of two phones scanning at once finds the visit changed, reads it again and
        answers what the first one did."""
        now = self.now()
        guardian_id = guardian_id_of(guardian)
        parsed = parse_token(token)
        async with scan_sql.connection(self.sessions.kw["bind"]) as conn:
            for _ in range(_SCAN_ATTEMPTS):
                found = await scan_sql.read(conn, parsed.facility_id, booking_id, self.key_box)
                facility_id = self._verify(parsed, found.ring, now)
                record = found.record
                # The guardian id (a global UUID from the signed token) is the tenant boundary;
                # the booking's municipality may differ from the guardian's in 広域利用.
                if record is None or record.visit.guardian_id != guardian_id:
                    raise NotFound(
                        f"no booking {booking_id} of yours", message_ja=BOOKING_NOT_FOUND_JA
                    )
                if record.visit.facility_id != facility_id:
                    raise CodeForOtherFacility(
                        "this code belongs to another facility than the booking; scan the code "
                        "at the facility you booked"
                    )
                updated, changed = self._decide(record.visit, action, now)
                if not changed:
                    return Registration(record=record, changed=False)
                event = _event(record, updated, action, staff_id=None)
                envelope = self.outbox.envelope(event, municipality=updated.municipality)
                call = scan_sql.RegisterVisit(
                    booking_id=updated.booking_id,
                    version=found.version,
                    checked_in_at=updated.checked_in_at,
                    checked_out_at=updated.checked_out_at,
                    late_minutes=updated.late_minutes,
                    penalty_minutes=updated.penalty_minutes,
                    **scan_sql.RegisterVisit.outbox_columns(
                        self.outbox.row(envelope, topic=event.topic)
                    ),
                )
                try:
                    await scan_sql.register(conn, call)
                except scan_sql.Stale:
                    continue
                return self._registered(record, updated, action, staff_id=None)
        raise errors.Conflict(
            "too many simultaneous scans of this booking; please scan again",
            message_ja="同時に複数の登録がありました。もう一度読み取ってください。",
        )

    # --- staff ----------------------------------------------------------------------------

    async def staff_register(
        self,
        *,
        staff: Principal,
        facility_id: uuid.UUID,
        booking_id: uuid.UUID,
        action: StaffAction,
    ) -> Registration:
        """代理登録: staff register for a guardian who cannot scan; who did it is recorded."""
        now = self.now()
        async with self.transaction() as session:
            record = await repo.get_visit(session, booking_id, for_update=True)
            if (
                record is None
                or record.visit.facility_id != facility_id
                or not sees_facility(staff, record.visit.municipality, facility_id)
            ):
                raise NotFound(
                    f"no booking {booking_id} at facility {facility_id}",
                    message_ja=BOOKING_NOT_FOUND_JA,
                )
            return await self._register(session, record, action, now, staff_id=staff.subject)

    # --- the shared step ------------------------------------------------------------------

    async def _register(
        self,
        session: AsyncSession,
        record: repo.VisitRecord,
        action: StaffAction,
        now: datetime,
        *,
        staff_id: str | None,
    ) -> Registration:
        updated, changed = self._decide(record.visit, action, now)
        if not changed:
            return Registration(record=record, changed=False)
        in_by = staff_id if action is StaffAction.CHECK_IN else None
        out_by = staff_id if action is StaffAction.CHECK_OUT else None
        await repo.save_attendance(
            session, updated, checked_in_by_staff=in_by, checked_out_by_staff=out_by
        )
        await self._publish(session, record, updated, action, staff_id)
        return self._registered(record, updated, action, staff_id=staff_id)

    def _decide(self, visit: Visit, action: StaffAction, now: datetime) -> tuple[Visit, bool]:
        policy = self._policy(visit.municipality)
        if action is StaffAction.CHECK_IN:
            return visit.check_in(now, policy)
        return visit.check_out(now, policy)

    def _registered(
        self,
        record: repo.VisitRecord,
        updated: Visit,
        action: StaffAction,
        *,
        staff_id: str | None,
    ) -> Registration:
        visit = record.visit
        in_by = staff_id if action is StaffAction.CHECK_IN else None
        out_by = staff_id if action is StaffAction.CHECK_OUT else None
        new_record = repo.VisitRecord(
            visit=updated,
            facility_name=record.facility_name,
            kind=record.kind,
            guardian_email=record.guardian_email,
            checked_in_by_staff=in_by or record.checked_in_by_staff,
            checked_out_by_staff=out_by or record.checked_out_by_staff,
        )
        log.info(
            "attendance registered",
            booking_id=str(visit.booking_id),
            facility_id=str(visit.facility_id),
            action=str(action),
            by_staff=staff_id is not None,
        )
        return Registration(record=new_record, changed=True)

    async def _publish(
        self,
        session: AsyncSession,
        record: repo.VisitRecord,
        visit: Visit,
        action: StaffAction,
        staff_id: str | None,
    ) -> None:
        municipality = visit.municipality
        event = _event(record, visit, action, staff_id=staff_id)
        await self.outbox.add(session, event, municipality=municipality)
        at = event.checked_in_at if isinstance(event, CheckedIn) else event.checked_out_at
        if staff_id is not None:
            await self.outbox.add(
                session,
                StaffRegistration(
                    booking_id=visit.booking_id,
                    child_id=visit.child_id,
                    facility_id=visit.facility_id,
                    staff_id=staff_id,
                    action=str(action),
                    at=at,
                ),
                municipality=municipality,
            )


def _event(
    record: repo.VisitRecord, visit: Visit, action: StaffAction, *, staff_id: str | None
) -> CheckedIn | CheckedOut:
    """The event of a registration: ``visit`` is the visit after it."""
    assert visit.checked_in_at is not None
    if action is StaffAction.CHECK_IN:
        return CheckedIn(
            booking_id=visit.booking_id,
            child_id=visit.child_id,
            facility_id=visit.facility_id,
            checked_in_at=visit.checked_in_at,
            registered_by_staff=staff_id,
        )
    assert visit.checked_out_at is not None
    return CheckedOut(
        booking_id=visit.booking_id,
        child_id=visit.child_id,
        guardian_email=record.guardian_email,
        facility_id=visit.facility_id,
        checked_in_at=visit.checked_in_at,
        checked_out_at=visit.checked_out_at,
        booked_end=visit.ends_at,
        late_minutes=visit.late_minutes or 0,
        penalty_minutes=visit.penalty_minutes or 0,
        registered_by_staff=staff_id,
    )
