"""The booking consumer process, plus the 空き待ち sweep beside the consumers: every
``waitlist_sweep_seconds`` it expires unanswered holds (the place passes to the next child) and
offers places freed in ways no request announced (service_layer/waitlist_offers.py). Several
consumer processes may sweep at once: each day's list is swept under an advisory lock."""

from __future__ import annotations

import asyncio
import contextlib

from tsuen_booking.service_layer import waitlist_offers
from tsuen_booking.service_layer.context import Context
from tsuen_common.logging import get_logger
from tsuen_common.messaging import ConsumerWorker

log = get_logger(__name__)


class SweepingWorker(ConsumerWorker):
    ctx: Context | None = None
    """Set by ``build_worker`` once the worker's engine exists."""

    _task: asyncio.Task[None] | None = None

    async def _sweep_forever(self, ctx: Context, every: float) -> None:
        while True:
            try:
                await waitlist_offers.sweep(ctx)
            except Exception:  # a database restart must not end the loop
                log.exception("wait-list sweep failed")
            await asyncio.sleep(every)

    async def start(self) -> None:
        await super().start()
        if self.ctx is not None:
            every = float(getattr(self.settings, "waitlist_sweep_seconds", 15.0))
            self._task = asyncio.create_task(
                self._sweep_forever(self.ctx, every), name="waitlist-sweep"
            )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await super().stop()
