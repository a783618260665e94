"""The facility's 2D code: the current code for the display, the signing keys (rotated,
resealed) and the check of a scanned code against them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_attendance.adapters import repository as repo
from tsuen_attendance.domain.codes import (
    FacilityKeys,
    ParsedToken,
    issue_token,
    parse_token,
    verify_token,
)
from tsuen_attendance.service_layer.core import ServiceCore
from tsuen_common.logging import get_logger
from tsuen_common.timeutil import JST

log = get_logger(__name__)


@dataclass(frozen=True)
class IssuedCode:
    facility_id: uuid.UUID
    token: str
    url: str
    step: int
    expires_at: datetime
    refresh_in_seconds: float


class FacilityCodes(ServiceCore):
    async def current_code(self, facility_id: uuid.UUID) -> IssuedCode:
        now = self.now()
        async with self.transaction() as session:
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
        async with self.transaction() as session:
            await repo.rotate_key(session, facility_id, self.now(), self.key_box)
        log.info("facility code key rotated", facility_id=str(facility_id))

    async def reseal_keys(self) -> int:
        async with self.transaction() as session:
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
