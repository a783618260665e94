"""The no-show sweep: a confirmed visit without a check-in by its booked end is a 無断欠席."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tsuen_attendance.adapters import repository as repo
from tsuen_attendance.service_layer.core import ServiceCore
from tsuen_common.events.attendance import NoShow
from tsuen_common.logging import get_logger

log = get_logger(__name__)


class NoShowSweep(ServiceCore):
    async def detect_no_shows(self, at: datetime | None = None, *, batch_size: int = 500) -> int:
        """NoShow for every confirmed visit without check-in by its booked end. Idempotent:
        a visit is marked in the same transaction as its event, so a rerun finds nothing."""
        at = at or self.now()
        total = 0
        while True:
            async with self.transaction() as session:
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
