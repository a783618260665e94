from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.booking.support import Clock, Harness, make_app, migrated_database


@pytest.fixture
async def harness(new_database) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    url = await migrated_database(new_database)
    clock = Clock()
    app = make_app(url, clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://booking.test"
    ) as client:
        yield Harness(client=client, ctx=app.state.ctx, clock=clock, url=url)
    await app.state.ctx.close()
