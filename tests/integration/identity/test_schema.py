"""The migrations build exactly the schema the code uses (no drift between orm.py and 0002)."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tsuen_common.db import make_engine
from tsuen_common.migrations import upgrade
from tsuen_identity.adapters.orm import metadata
from tsuen_identity.entrypoints.cli import MIGRATIONS


async def test_migrated_schema_matches_the_orm(new_database) -> None:
    url = await new_database("identity")
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
