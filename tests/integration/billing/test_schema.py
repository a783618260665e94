"""The migrations build exactly the schema the code uses (no drift between orm.py and 0002)."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tsuen_billing.adapters.orm import metadata
from tsuen_billing.entrypoints.cli import MIGRATIONS
from tsuen_common.db import make_engine
from tsuen_common.migrations import upgrade


async def test_migrated_schema_matches_the_orm(new_database) -> None:  # type: ignore[no-untyped-def]
    url = await new_database("billing")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
    finally:
        await engine.dispose()
    assert diff == []
