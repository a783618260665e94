"""The real test bed: one Kafka broker and one PostgreSQL server per test session.

Both run as containers built by ``scripts/build-images.sh`` (no image is pulled). Each test gets
its own topic namespace and its own databases, so tests never see each other's data, and
everything, containers included, is removed at the end.
"""

from __future__ import annotations

import asyncio
import importlib.util
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
from tsuen_common.migrations import upgrade

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
# This process too, for what it imports from here on (each service's migrations, below).
sys.dont_write_bytecode = False
sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]


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


def migrations_of(service: str) -> Path:
    """``services/<service>/src/tsuen_<service>/migrations``, found without importing the
    service (its CLI imports the whole app)."""
    spec = importlib.util.find_spec(f"tsuen_{service}")
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"no package tsuen_{service}")
    return Path(next(iter(spec.submodule_search_locations))) / "migrations"


_templates: dict[tuple[str, str], str] = {}
_template_lock = asyncio.Lock()


async def migrated_copy(postgres: testbed.PostgresHandle, service: str, label: str) -> str:
    """A new database ``<label>_<random>`` holding ``service``'s schema at its migration head;
    returns its name (drop it when done).

    The migrations run once per session and server, into a template database; each copy is
    then ``CREATE DATABASE … TEMPLATE`` (a file copy: ~0.05 s instead of ~0.5 s of Alembic per
    database). What the copy holds is what ``tsuen-<service> migrate`` makes: the template is
    made by the same ``upgrade``. Tests of the migrations themselves start from empty
    databases (``new_database``) instead."""
    key = (postgres.container_id, service)
    async with _template_lock:
        template = _templates.get(key)
        if template is None:
            template = f"template_{service}_{uuid.uuid4().hex[:8]}"
            await _execute(postgres, f'CREATE DATABASE "{template}"')
            # Alembic's env runs its own event loop: a thread. Its engine is disposed at the
            # end, so no connection to the template is left (a copy needs none there).
            await asyncio.to_thread(upgrade, migrations_of(service), postgres.async_url(template))
            _templates[key] = template
    name = f"{label}_{uuid.uuid4().hex[:10]}"
    await _execute(postgres, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


async def _execute(postgres: testbed.PostgresHandle, statement: str) -> None:
    conn = await asyncpg.connect(postgres.admin_dsn())
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


class NewDatabase:
    """What the ``new_database`` fixture yields: ``await new_database("booking")`` is an empty
    database, ``await new_database.migrated("booking")`` one at booking's migration head; both
    are dropped when the test ends. Returns SQLAlchemy (asyncpg) URLs."""

    def __init__(self, postgres: testbed.PostgresHandle) -> None:
        self.postgres = postgres
        self.created: list[str] = []

    async def __call__(self, label: str) -> str:
        name = f"{label}_{uuid.uuid4().hex[:10]}"
        await _execute(self.postgres, f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.postgres.async_url(name)

    async def migrated(self, service: str) -> str:
        name = await migrated_copy(self.postgres, service, service)
        self.created.append(name)
        return self.postgres.async_url(name)


@pytest.fixture
async def new_database(postgres: testbed.PostgresHandle) -> AsyncIterator[NewDatabase]:
    """Factory of this test's own databases (see :class:`NewDatabase`)."""
    databases = NewDatabase(postgres)
    yield databases
    conn = await asyncpg.connect(postgres.admin_dsn())
    try:
        for name in databases.created:
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
