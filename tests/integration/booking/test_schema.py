"""The migrations build exactly the schema the code uses (no drift between orm.py and 0002/0003)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.integration.booking.support import migrated_database
from tsuen_booking.adapters.orm import metadata
from tsuen_common.db import make_engine


async def test_migrated_schema_matches_the_orm(new_database) -> None:  # type: ignore[no-untyped-def]
    url = await migrated_database(new_database)
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
