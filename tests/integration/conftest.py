"""The real test bed: one Kafka broker and one PostgreSQL server per test session.

Both run as containers built by ``scripts/build-images.sh`` (no image is pulled). Each test gets
its own topic namespace and its own databases, so tests never see each other's data, and
everything, containers included, is removed at the end.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.integration import testbed
from tsuen_common.messaging.provision import ensure_topics

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TC_HOST", "127.0.0.1")

# The tests start hundreds of Python processes (`tsuen-<service> all` is a supervisor and two or
# three children, each a fresh interpreter importing FastAPI, SQLAlchemy, aiokafka ...). This
# machine sets PYTHONDONTWRITEBYTECODE and the venv holds no .pyc, so every one of them compiled
# all of that from source: ~3 s of CPU each instead of ~1.3 s. The children inherit this
# environment: their bytecode goes to one git-ignored cache (written atomically, so concurrent
# processes and sessions share it safely), and only the first process of a run compiles.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ.setdefault(
    "PYTHONPYCACHEPREFIX", str(Path(__file__).resolve().parents[2] / ".tsuen" / "cache" / "pycache")
)


@pytest.fixture(scope="session")
def kafka() -> Iterator[testbed.KafkaHandle]:
    handle = testbed.start_kafka()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[testbed.PostgresHandle]:
    handle = testbed.start_postgres()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
async def topic_prefix(kafka: testbed.KafkaHandle) -> str:
    """A fresh namespace of topics (every registry topic + its .dlq) for one test."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await ensure_topics(kafka.bootstrap_servers, prefix)
    return prefix


CreateDatabase = Callable[[str], Awaitable[str]]


@pytest.fixture
async def new_database(postgres: testbed.PostgresHandle) -> AsyncIterator[CreateDatabase]:
    """Factory: ``url = await new_database("booking")`` makes an empty database for this test."""
    created: list[str] = []

    async def create(label: str) -> str:
        name = f"{label}_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(postgres.admin_dsn())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        created.append(name)
        return postgres.async_url(name)

    yield create

    conn = await asyncpg.connect(postgres.admin_dsn())
    try:
        for name in created:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def eventually(
    predicate: Callable[[], Awaitable[bool]], *, within: float = 30.0, what: str = "condition"
) -> None:
    """Poll ``predicate`` until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        if await predicate():
            return
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.1)


async def run_command(
    program: str, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """An operator command (``tsuen-booking reconcile``, ...) as a shell runs it: its own
    process, its environment in ``env`` (added to this one's), stdout and stderr captured."""
    return await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).with_name(program)), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
