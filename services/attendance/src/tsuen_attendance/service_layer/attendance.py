"""Use cases of the attendance service. Each is one transaction: the visit's new state and its
events (through the outbox) commit together or not at all.

Tenancy is decided here, from the verified principal's ids, because a record of another tenant
must look exactly like a missing one (404), whichever entrypoint asked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tsuen_attendance.adapters import children as child_records
from tsuen_attendance.adapters import late_notices as late_store
from tsuen_attendance.adapters import repository as repo
from tsuen_attendance.adapters import scan_sql
from tsuen_attendance.domain.codes import (
    CodeForOtherFacility,
    FacilityKeys,
    ParsedToken,
    TokenClock,
    issue_token,
    parse_token,
    verify_token,
)
from tsuen_attendance.domain.late_notice import LateNotice
from tsuen_attendance.domain.roster import Roster, build_roster, shows_child_record
from tsuen_attendance.domain.times import jst_day
from tsuen_attendance.domain.visits import Visit
from tsuen_common import errors
from tsuen_common.auth import Principal, Role
from tsuen_common.events.attendance import CheckedIn, CheckedOut, NoShow, StaffRegistration
from tsuen_common.logging import get_logger
from tsuen_common.messaging import Outbox
from tsuen_common.policy import AttendancePolicy, PolicyRegistry
from tsuen_common.sealed import SecretBox
from tsuen_common.timeutil import JST, now_jst

log = get_logger(__name__)


class NotFound(errors.NotFound):
    """Missing, or belonging to another tenant: the caller cannot tell which, on purpose."""


BOOKING_NOT_FOUND_JA = (
    "この施設での本日のご予約が見つかりませんでした。予約した施設と日にちをご確認ください。"
)
FACILITY_NOT_FOUND_JA = "施設が見つかりませんでした。施設の画面を開き直してください。"


class StaffAction(StrEnum):
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"


@dataclass(frozen=True)
class IssuedCode:
    facility_id: uuid.UUID
    token: str
    url: str
    step: int
    expires_at: datetime
    refresh_in_seconds: float


@dataclass(frozen=True)
class ScanView:
    facility_id: uuid.UUID
    facility_name: str | None
    token: str
    visits: list[repo.VisitRecord]


@dataclass(frozen=True)
class RosterView:
    roster: Roster
    records: dict[uuid.UUID, repo.VisitRecord]
    # Reading and birth date of every child on the roster; the guardian's record only for the
    # lines where shows_child_record allows it (keyed by booking id).
    children: dict[uuid.UUID, child_records.ChildOnRoster] = field(default_factory=dict)
    records_shown: frozenset[uuid.UUID] = frozenset()
    # 遅れる連絡 the guardians gave, by booking id.
    late_notices: dict[uuid.UUID, list[LateNotice]] = field(default_factory=dict)


@dataclass(frozen=True)
class Registration:
    """The outcome of a check-in/out; ``changed`` is False for a repeated scan."""

    record: repo.VisitRecord
    changed: bool


@dataclass
class AttendanceService:
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    policies: PolicyRegistry
    token_clock: TokenClock
    public_base_url: str
    now: Callable[[], datetime] = now_jst
    # Seals the 2D-code signing keys at rest (tsuen_common.sealed); no keys: stored as is.
    key_box: SecretBox = field(default_factory=lambda: SecretBox({}, current=None))
    # How many days ahead the roster shows the guardian's record (domain/roster.py).
    roster_record_days_ahead: int = 3

    def _policy(self, municipality: str) -> AttendancePolicy:
        return self.policies.get(municipality).attendance

    # --- the facility's code --------------------------------------------------------------

    async def current_code(self, facility_id: uuid.UUID) -> IssuedCode:
        now = self.now()
        async with self.sessions() as session, session.begin():
            keys = await repo.ensure_key(session, facility_id, self.key_box)
        step = self.token_clock.step_at(now)
        token = issue_token(keys.current, facility_id, step)
        ends = self.token_clock.step_ends_at(step)
        return IssuedCode(
            facility_id=facility_id,
            token=token,
            url=f"{self.public_base_url.rstrip('/')}/scan?t={token}",
            step=step,
            expires_at=datetime.fromtimestamp(ends, JST),
            refresh_in_seconds=max(0.0, ends - now.timestamp()),
        )

    async def facility_name(self, facility_id: uuid.UUID) -> str | None:
        async with self.sessions() as session:
            return await repo.facility_name(session, facility_id)

    async def rotate_key(self, facility_id: uuid.UUID) -> None:
        async with self.sessions() as session, session.begin():
            await repo.rotate_key(session, facility_id, self.now(), self.key_box)
        log.info("facility code key rotated", facility_id=str(facility_id))

    async def reseal_keys(self) -> int:
        async with self.sessions() as session, session.begin():
            changed = await repo.reseal_keys(session, self.key_box)
        log.info("facility code keys resealed", keys=changed)
        return changed

    async def _verified_facility(
        self, session: AsyncSession, token: str, now: datetime
    ) -> uuid.UUID:
        parsed = parse_token(token)
        ring = await repo.load_keys(session, parsed.facility_id, self.key_box)
        return self._verify(parsed, ring, now)

    def _verify(self, parsed: ParsedToken, ring: repo.KeyRing | None, now: datetime) -> uuid.UUID:
        keys = None
        if ring is not None:
            keys = FacilityKeys(
                current=ring.current,
                previous=ring.previous,
                previous_retired_step=(
                    self.token_clock.step_at(ring.previous_retired_at)
                    if ring.previous_retired_at is not None
                    else None
                ),
            )
        return verify_token(parsed, keys, now=now, clock=self.token_clock)

    # --- guardians ------------------------------------------------------------------------

    async def scan(self, *, guardian: Principal, token: str) -> ScanView:
        """What the guardian sees after scanning: their bookings today at that facility."""
        now = self.now()
        guardian_id = _guardian_id(guardian)
        async with self.sessions() as session, session.begin():
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
                session, _guardian_id(guardian), day or jst_day(self.now())
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
        guardian_id = _guardian_id(guardian)
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
        async with self.sessions() as session, session.begin():
            record = await repo.get_visit(session, booking_id, for_update=True)
            if (
                record is None
                or record.visit.facility_id != facility_id
                or not _sees_facility(staff, record.visit.municipality, facility_id)
            ):
                raise NotFound(
                    f"no booking {booking_id} at facility {facility_id}",
                    message_ja=BOOKING_NOT_FOUND_JA,
                )
            return await self._register(session, record, action, now, staff_id=staff.subject)

    async def roster(
        self, *, viewer: Principal, facility_id: uuid.UUID, day: date | None = None
    ) -> RosterView:
        now = self.now()
        if not _sees_facility(viewer, None, facility_id):
            raise NotFound(f"no facility {facility_id}", message_ja=FACILITY_NOT_FOUND_JA)
        # Officers see their own municipality's children only; staff see their facility.
        municipality = viewer.municipality if viewer.role is Role.MUNICIPALITY_OFFICER else None
        async with self.sessions() as session:
            records = await repo.visits_of_facility(
                session, facility_id, day or jst_day(now), municipality=municipality
            )
            known = await child_records.children_by_id(session, (r.visit.child_id for r in records))
            notices = await late_store.of_bookings(session, (r.visit.booking_id for r in records))
        roster = build_roster(((r.visit, self._policy(r.visit.municipality)) for r in records), now)
        shown = frozenset(
            line.visit.booking_id
            for line in roster.lines
            if shows_child_record(
                line.status, line.visit.use_date, jst_day(now), self.roster_record_days_ahead
            )
        )
        return RosterView(
            roster=roster,
            records={r.visit.booking_id: r for r in records},
            children=known,
            records_shown=shown,
            late_notices=notices,
        )

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

    # --- the no-show sweep ----------------------------------------------------------------

    async def detect_no_shows(self, at: datetime | None = None, *, batch_size: int = 500) -> int:
        """NoShow for every confirmed visit without check-in by its booked end. Idempotent:
        a visit is marked in the same transaction as its event, so a rerun finds nothing."""
        at = at or self.now()
        total = 0
        while True:
            async with self.sessions() as session, session.begin():
                records = await repo.due_no_shows(session, at, batch_size)
                for record in records:
                    if not record.visit.is_no_show(at):
                        continue
                    marked = replace(record.visit, no_show_at=at)
                    await repo.save_attendance(session, marked)
                    await self.outbox.add(
                        session,
                        NoShow(
                            booking_id=marked.booking_id,
                            child_id=marked.child_id,
                            facility_id=marked.facility_id,
                            use_date=marked.use_date,
                        ),
                        municipality=marked.municipality,
                    )
                    total += 1
            if len(records) < batch_size:
                break
        log.info("no-shows detected", count=total, at=at.isoformat())
        return total


_SCAN_ATTEMPTS = 3


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


def _guardian_id(principal: Principal) -> uuid.UUID:
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


def _sees_facility(principal: Principal, municipality: str | None, facility_id: uuid.UUID) -> bool:
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
