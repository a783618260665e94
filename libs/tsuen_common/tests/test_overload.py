"""The bound on requests in flight (tsuen_common.overload), driven as plain ASGI."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tsuen_common.overload import InFlightLimit


async def _call(app: InFlightLimit, path: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send)
    return sent


async def test_beyond_the_limit_the_answer_is_503_at_once_and_health_is_exempt() -> None:
    release = asyncio.Event()
    entered: list[asyncio.Event] = [asyncio.Event() for _ in range(3)]
    count = 0

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        nonlocal count
        entered[count].set()
        count += 1
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = InFlightLimit(slow, limit=2)
    held = [asyncio.create_task(_call(app, "/v1/bookings")) for _ in range(2)]
    await entered[1].wait()

    refused = await _call(app, "/v1/bookings")
    health = asyncio.create_task(_call(app, "/healthz"))
    await entered[2].wait()
    release.set()
    answers = await asyncio.gather(*held, health)

    assert refused[0]["status"] == 503
    assert (b"retry-after", b"1") in refused[0]["headers"]
    body = json.loads(refused[1]["body"])
    assert body["code"] == "overloaded"
    assert body["message_ja"]
    assert [a[0]["status"] for a in answers] == [200, 200, 200]
    assert app.in_flight == 0
