"""Every service's migrations apply to an empty database and leave the outbox/inbox in place."""

from __future__ import annotations

import asyncio
import importlib

import pytest
import sqlalchemy as sa

from tsuen_common.db import make_engine
from tsuen_common.migrations import upgrade

SERVICES = ["eligibility", "booking", "attendance", "notification"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_create_the_service_schema(service, new_database):
    url = await new_database(service)
    cli = importlib.import_module(f"tsuen_{service}.entrypoints.cli")
    # What `tsuen-<service> migrate` runs; Alembic's env runs its own event loop: a thread.
    await asyncio.to_thread(upgrade, cli.MIGRATIONS, url)
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
        orm = importlib.import_module(f"tsuen_{service}.adapters.orm")
        assert set(orm.metadata.tables) <= tables
        assert {"outbox", "inbox", "alembic_version"} <= tables
    finally:
        await engine.dispose()
