"""Alembic, the same way in every service.

A service's ``alembic/env.py`` is two lines: ``run_migrations(metadata)``. Its migrations live
beside it; :func:`upgrade` applies them from code (``tsuen-<service> migrate``), reading the
database URL from the service's settings, never from ``alembic.ini``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection

from tsuen_common.db import make_engine


def alembic_config(script_location: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, database_url), revision)


def run_migrations(metadata: sa.MetaData) -> None:
    """Body of every service's ``env.py`` (online mode, async driver)."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: run migrations with `tsuen-<service> migrate`")

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        async with engine.connect() as conn:
            await conn.run_sync(do_run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run())
