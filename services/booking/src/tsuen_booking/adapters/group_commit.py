"""Group commit for ``book_use`` (issue 20's experiment): per worker process, the bookings that
reach the database while the previous call is in flight (plus ``window`` seconds, if set) go as
one call of ``book_uses`` (migration 0018), which decides them in arrival order, each in its own
sub-transaction, and answers one row per item. Each request then gets exactly what its own
``book_use`` call would have given it: the held minutes, :class:`~.hot_path_sql.Refused`, or
:class:`DuplicateRequest` for its Idempotency-Key; an error of the whole call (a deadlock, a lost
connection) is every item's, and each request retries on its own as before.

One call in flight per process at a time: what arrives meanwhile is the next batch. Batches stay
under PostgreSQL's 64 cached sub-transaction ids per backend (``_LIMIT``): beyond that every
other backend's snapshots get slower.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_booking.adapters import hot_path_sql as sql
from tsuen_common.idempotency import Claim, DuplicateRequest, pending_claim

GROUP_COMMIT = "booking group commit"
"""The :class:`GroupCommit` of a process, in ``Context.remembered`` when the setting is on."""
_LIMIT = 48
_CALL = "SELECT held_national, held_topup, refused FROM book_uses($1::book_use_item[])"
_NO_KEY = (None, None, None)


@dataclass(slots=True)
class _Item:
    call: sql.BookUse
    claim: Claim | None
    answer: asyncio.Future[tuple[int, int]]

    def args(self) -> tuple[object, ...]:
        key = (
            _NO_KEY
            if self.claim is None
            else (
                self.claim.caller,
                self.claim.key,
                self.claim.fingerprint,
            )
        )
        return (*sql.book_args(self.call), *key)


class GroupCommit:
    """``book_use`` calls of one process, gathered into ``book_uses`` calls."""

    def __init__(self, engine: AsyncEngine, window_ms: float = 0.0) -> None:
        self.engine = engine
        self.window = window_ms / 1000
        self._queue: list[_Item] = []
        self._sender: asyncio.Task[None] | None = None
        self.calls = 0
        self.items = 0
        """How many ``book_uses`` calls carried how many bookings (their ratio: the batch size)."""

    async def book_use(self, call: sql.BookUse) -> tuple[int, int]:
        """What ``hot_path_sql.book_use`` answers for ``call``, decided in the next batch."""
        item = _Item(call, pending_claim(), asyncio.get_running_loop().create_future())
        self._queue.append(item)
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_all())
        held = await item.answer
        if item.claim is not None:
            item.claim.recorded = True
        return held

    async def _send_all(self) -> None:
        try:
            while self._queue:
                if self.window:
                    await asyncio.sleep(self.window)
                batch = [i for i in self._queue[:_LIMIT] if not i.answer.cancelled()]
                del self._queue[:_LIMIT]
                if batch:
                    await self._send(batch)
        finally:
            self._sender = None

    async def _send(self, batch: list[_Item]) -> None:
        try:
            async with sql.connection(self.engine) as conn:
                self.calls += 1
                self.items += len(batch)
                rows = await conn.fetch(_CALL, [item.args() for item in batch])
        except asyncio.CancelledError:
            for item in batch:
                item.answer.cancel()
            raise
        except Exception as error:
            for item in batch:
                if not item.answer.done():
                    item.answer.set_exception(error)
            return
        for item, row in zip(batch, rows, strict=True):
            if item.answer.done():
                continue  # its request went away meanwhile (as after a call of its own)
            refused = row["refused"]
            if refused is None:
                item.answer.set_result((row["held_national"], row["held_topup"]))
            elif refused == "duplicate":
                assert item.claim is not None
                item.answer.set_exception(
                    DuplicateRequest(
                        f"idempotency key {item.claim.key!r} was used by a committed request"
                    )
                )
            else:
                item.answer.set_exception(sql.Refused.parse(refused))
