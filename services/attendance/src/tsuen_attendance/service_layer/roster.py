"""The facility's roster of a day: who is booked, who is here, who left, late pickups, and
the guardian's record where the care is about to be given (domain/roster.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from tsuen_attendance.adapters import children as child_records
from tsuen_attendance.adapters import late_notices as late_store
from tsuen_attendance.adapters import repository as repo
from tsuen_attendance.domain.late_notice import LateNotice
from tsuen_attendance.domain.roster import Roster, build_roster, shows_child_record
from tsuen_attendance.domain.times import jst_day
from tsuen_attendance.service_layer.core import ServiceCore
from tsuen_attendance.service_layer.tenancy import FACILITY_NOT_FOUND_JA, NotFound, sees_facility
from tsuen_common.auth import Principal, Role


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


class Rosters(ServiceCore):
    async def roster(
        self, *, viewer: Principal, facility_id: uuid.UUID, day: date | None = None
    ) -> RosterView:
        now = self.now()
        if not sees_facility(viewer, None, facility_id):
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
