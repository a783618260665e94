"""Quick refusals under overload: a bound on the requests one worker carries at once (issue 18).

After a restart, clients' retries arrive together. Without a bound every one of them is taken,
waits for one of the pool's connections, and the median answer took 10–14 s: clients timed out
not knowing whether their booking happened. With it, a worker carries at most
``max_requests_in_flight`` requests; the next one is answered at once with 503, ``Retry-After``
and the shared error body, and the client retries (with its ``Idempotency-Key``) a moment later.
The pool's own wait is bounded too (``tsuen_common.db.POOL_TIMEOUT_SECONDS``; a request that
still waits that long answers 503 the same way: ``tsuen_common.service``).

Health endpoints are never refused: an orchestrator must not restart a busy worker.

Plain ASGI and a counter: an event loop runs one request's code at a time, so no lock is needed.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from tsuen_common.edge import ASGIApp, Receive, Scope, Send
from tsuen_common.logging import get_logger

log = get_logger(__name__)

EXEMPT_SUFFIXES = ("/healthz", "/readyz", "/livez")

OVERLOADED_BODY = json.dumps(
    {
        "detail": "the service is busy; try again in a moment",
        "code": "overloaded",
        "message_ja": "ただいま混み合っています。少し待ってから、もう一度お試しください。",
    },
    ensure_ascii=False,
).encode()


class InFlightLimit:
    """Answers 503 + Retry-After at once when ``limit`` requests are already in flight."""

    def __init__(self, app: ASGIApp, *, limit: int, retry_after_seconds: int = 1) -> None:
        self.app = app
        self.limit = limit
        self.retry_after = str(retry_after_seconds).encode()
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(EXEMPT_SUFFIXES):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(OVERLOADED_BODY)).encode()),
                        (b"retry-after", self.retry_after),
                        (b"cache-control", b"no-store"),
                        (b"x-content-type-options", b"nosniff"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": OVERLOADED_BODY})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def pool_exhausted(request: Request, exc: Exception) -> Response:
    """No pooled connection came free within the pool's timeout: 503 at once, not a 500."""
    log.warning(
        "database pool exhausted during a request",
        path=request.url.path,
        action="the worker is saturated; scale out or lower TSUEN_MAX_REQUESTS_IN_FLIGHT",
    )
    return Response(
        OVERLOADED_BODY,
        status_code=503,
        media_type="application/json",
        headers={"Retry-After": "1"},
    )
