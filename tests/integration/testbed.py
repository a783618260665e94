"""Test bed of the integration tests: Kafka and PostgreSQL in local Docker containers.

Plain functions and classes, no pytest fixtures (conftest.py wires them up)::

    kafka = start_kafka()          # KafkaHandle, kafka.bootstrap_servers == "127.0.0.1:P"
    pg = start_postgres()          # PostgresHandle, pg.async_url("booking")
    ...
    kafka.stop(); pg.stop()        # removes the containers (also done at interpreter exit)

Images: ``tsuen/kafka:4.1`` and ``tsuen/postgres:15`` built by ``scripts/build-images.sh``
(no registry needed), or whatever ``TSUEN_KAFKA_IMAGE`` / ``TSUEN_POSTGRES_IMAGE`` name
(e.g. ``apache/kafka:4.1.2`` / ``postgres:15`` on a machine with a registry: the environment
passed to the containers is understood by those images too). See docs/testbed.md.

Network rule: every port is published on 127.0.0.1 only and clients connect through
127.0.0.1. Ryuk (testcontainers' reaper, whose image cannot be pulled here) is disabled;
containers carry the label ``tsuen.testbed=1`` and ``remove_stale_containers()`` removes
those left behind by crashed runs.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import logging
import os
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote

# testcontainers reads TC_HOST when it is imported and the Ryuk switch on first use.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TC_HOST", "127.0.0.1")

import docker
import docker.errors
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import LogMessageWaitStrategy

if os.environ["TESTCONTAINERS_RYUK_DISABLED"].lower() in ("1", "true", "yes", "y", "on"):
    testcontainers_config.ryuk_disabled = True
if not testcontainers_config.tc_host_override:
    testcontainers_config.tc_host_override = "127.0.0.1"

__all__ = [
    "DEFAULT_KAFKA_IMAGE",
    "DEFAULT_POSTGRES_IMAGE",
    "HOST",
    "LABEL",
    "KafkaHandle",
    "PostgresHandle",
    "free_port",
    "kafka_image",
    "missing_images",
    "postgres_image",
    "remove_stale_containers",
    "start_kafka",
    "start_postgres",
    "stop_all",
]

log = logging.getLogger("tsuen.testbed")

HOST = "127.0.0.1"
DEFAULT_KAFKA_IMAGE = "tsuen/kafka:4.1"
DEFAULT_POSTGRES_IMAGE = "tsuen/postgres:15"

LABEL = "tsuen.testbed"
LABEL_ROLE = "tsuen.testbed.role"
LABEL_PID = "tsuen.testbed.pid"
LABEL_HOST = "tsuen.testbed.hostname"

KAFKA_READY_LOG = "Kafka Server started"
POSTGRES_READY_LOG = "database system is ready to accept connections"

T = TypeVar("T")


def kafka_image() -> str:
    """Kafka image to run: ``$TSUEN_KAFKA_IMAGE`` or ``tsuen/kafka:4.1``."""
    return os.environ.get("TSUEN_KAFKA_IMAGE") or DEFAULT_KAFKA_IMAGE


def postgres_image() -> str:
    """PostgreSQL image to run: ``$TSUEN_POSTGRES_IMAGE`` or ``tsuen/postgres:15``."""
    return os.environ.get("TSUEN_POSTGRES_IMAGE") or DEFAULT_POSTGRES_IMAGE


def missing_images() -> list[str]:
    """Locally built (``tsuen/...``) images that do not exist yet.

    Raises ``docker.errors.DockerException`` when the Docker daemon is not reachable.
    """
    client = docker.from_env()
    try:
        missing = []
        for image in (kafka_image(), postgres_image()):
            if not image.startswith("tsuen/"):
                continue  # pulled by testcontainers on first use
            try:
                client.images.get(image)
            except docker.errors.ImageNotFound:
                missing.append(image)
        return missing
    finally:
        client.close()


# --------------------------------------------------------------------------------------------
# handles
# --------------------------------------------------------------------------------------------


class _Handle:
    """A started container; ``stop()`` removes it (idempotent, thread-safe)."""

    def __init__(self, container: DockerContainer, image: str) -> None:
        self.container = container
        self.image = image
        self._stopped = False
        self._lock = threading.Lock()
        _register(self)

    @property
    def container_id(self) -> str:
        return self.container.get_container_id()

    def logs(self) -> str:
        """stdout + stderr of the container so far."""
        out, err = self.container.get_logs()
        return (out + err).decode(errors="replace")

    def stop(self) -> None:
        """Remove the container (with its anonymous volumes). Safe to call twice."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        _unregister(self)
        _remove_quietly(self.container)

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class KafkaHandle(_Handle):
    """A running single-node Kafka (KRaft) broker.

    ``bootstrap_servers`` is ``"127.0.0.1:P"``; the broker advertises the same address, and
    listens on the same port P inside its container.
    """

    def __init__(self, container: DockerContainer, image: str, port: int) -> None:
        super().__init__(container, image)
        self.host = HOST
        self.port = port

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"KafkaHandle(bootstrap_servers={self.bootstrap_servers!r}, image={self.image!r})"


class PostgresHandle(_Handle):
    """A running PostgreSQL server; ``user`` is its superuser."""

    def __init__(
        self,
        container: DockerContainer,
        image: str,
        port: int,
        user: str,
        password: str,
        dbname: str,
    ) -> None:
        super().__init__(container, image)
        self.host = HOST
        self.port = port
        self.user = user
        self.password = password
        self.dbname = dbname

    def _url(self, scheme: str, dbname: str) -> str:
        user = quote(self.user, safe="")
        password = quote(self.password, safe="")
        return f"{scheme}://{user}:{password}@{self.host}:{self.port}/{quote(dbname, safe='')}"

    def dsn(self, dbname: str | None = None) -> str:
        """libpq/asyncpg URL ``postgresql://user:pw@127.0.0.1:PORT/dbname`` (default: the
        database created at start)."""
        return self._url("postgresql", dbname or self.dbname)

    def admin_dsn(self, dbname: str = "postgres") -> str:
        """Superuser URL for administration (CREATE/DROP DATABASE ...), by default on the
        ``postgres`` maintenance database: ``postgresql://user:pw@127.0.0.1:PORT/postgres``."""
        return self._url("postgresql", dbname)

    def async_url(self, dbname: str | None = None) -> str:
        """SQLAlchemy URL ``postgresql+asyncpg://user:pw@127.0.0.1:PORT/dbname``."""
        return self._url("postgresql+asyncpg", dbname or self.dbname)

    def create_database(self, name: str, *, drop_existing: bool = False) -> None:
        """Create database ``name`` owned by the superuser (no-op when it exists, unless
        ``drop_existing``). Blocking; callable from sync and async code."""

        async def run() -> None:
            import asyncpg

            conn = await asyncpg.connect(self.admin_dsn(), timeout=10)
            try:
                ident = '"' + name.replace('"', '""') + '"'
                exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
                if exists and drop_existing:
                    await conn.execute(f"DROP DATABASE {ident} WITH (FORCE)")
                    exists = None
                if not exists:
                    await conn.execute(f"CREATE DATABASE {ident}")
            finally:
                await conn.close()

        _run_coroutine(run)

    def __repr__(self) -> str:
        return (
            f"PostgresHandle(host={self.host!r}, port={self.port}, user={self.user!r}, "
            f"dbname={self.dbname!r}, image={self.image!r})"
        )


# --------------------------------------------------------------------------------------------
# start
# --------------------------------------------------------------------------------------------


def start_kafka(
    *,
    image: str | None = None,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
) -> KafkaHandle:
    """Start a single-node Kafka broker and wait until it serves requests on 127.0.0.1.

    A free host port P is picked, published as ``127.0.0.1:P -> P`` and advertised as
    ``127.0.0.1:P``. ``env`` adds/overrides container environment, e.g.
    ``{"KAFKA_NUM_PARTITIONS": "1"}`` (``KAFKA_<PROPERTY>``, as in the apache/kafka image).
    Raises ``TimeoutError`` (with the container's log) if not ready within ``timeout`` s.
    """
    image = image or kafka_image()
    _require_image(image)
    started = time.monotonic()
    deadline = started + timeout
    for attempt in range(1, 4):
        port = free_port()
        container = _container(image, "kafka")
        # Same port inside and outside: the advertised address then works from the host and
        # from the broker itself (inter-broker / transaction marker connections).
        container.ports[f"{port}/tcp"] = (HOST, port)  # type: ignore[assignment]
        container.with_envs(**_kafka_env(port))
        if env:
            container.with_envs(**env)
        container.waiting_for(_log_wait(KAFKA_READY_LOG, deadline))
        try:
            _start(container)
            _wait_for(
                functools.partial(_kafka_api_versions_ok, HOST, port),
                deadline,
                f"Kafka on {HOST}:{port} did not answer ApiVersions",
                container,
            )
        except docker.errors.APIError as exc:
            _remove_quietly(container)
            if _port_taken(exc) and attempt < 3:
                log.info("host port %s was taken meanwhile, retrying with another", port)
                continue
            raise
        except BaseException:
            _remove_quietly(container)
            raise
        handle = KafkaHandle(container, image, port)
        log.info(
            "Kafka ready at %s in %.1f s", handle.bootstrap_servers, time.monotonic() - started
        )
        return handle
    raise AssertionError("unreachable")


def start_postgres(
    *,
    image: str | None = None,
    user: str = "tsuen",
    password: str = "tsuen",  # noqa: S107
    dbname: str = "tsuen",
    fast: bool = True,
    timeout: float = 90.0,
    env: dict[str, str] | None = None,
) -> PostgresHandle:
    """Start PostgreSQL 15 and wait until ``SELECT 1`` works over TCP on 127.0.0.1.

    ``user`` is the superuser (password ``password``), ``dbname`` a database created at
    start. ``fast`` sets ``POSTGRES_FAST=1`` (fsync off: throwaway data only). The host port
    is chosen by Docker (published on 127.0.0.1 only).
    """
    image = image or postgres_image()
    _require_image(image)
    started = time.monotonic()
    deadline = started + timeout
    container = _container(image, "postgres", shm_size="256m")
    container.ports["5432/tcp"] = (HOST, None)  # type: ignore[assignment]
    container.with_envs(
        POSTGRES_USER=user,
        POSTGRES_PASSWORD=password,
        POSTGRES_DB=dbname,
        POSTGRES_FAST="1" if fast else "0",
    )
    if env:
        container.with_envs(**env)
    if fast and not image.startswith("tsuen/"):
        # Images that do not know POSTGRES_FAST (e.g. the official postgres image).
        container.with_command(
            "postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=300"
        )
    container.waiting_for(_log_wait(POSTGRES_READY_LOG, deadline))
    try:
        _start(container)
        port = _published_port(container, 5432)
        _wait_for(
            lambda: _postgres_select_1(HOST, port, user, password, dbname),
            deadline,
            f"PostgreSQL on {HOST}:{port} did not answer SELECT 1",
            container,
        )
    except BaseException:
        _remove_quietly(container)
        raise
    handle = PostgresHandle(container, image, port, user, password, dbname)
    log.info("PostgreSQL ready at %s:%s in %.1f s", HOST, port, time.monotonic() - started)
    return handle


def stop_all() -> None:
    """Stop every container this process started and has not stopped (runs at exit too)."""
    with _live_lock:
        handles = list(_live)
    for handle in handles:
        with contextlib.suppress(Exception):
            handle.stop()


def remove_stale_containers(*, include_live: bool = False) -> int:
    """Remove test-bed containers (label ``tsuen.testbed=1``) left behind by crashed runs.

    Containers of processes still running on this host (a concurrent test session) are
    kept, unless ``include_live``; this process's own containers are never removed here.
    Returns the number of containers removed.
    """
    client = docker.from_env()
    removed = 0
    try:
        for c in client.containers.list(all=True, filters={"label": f"{LABEL}=1"}):
            labels = c.labels or {}
            pid = labels.get(LABEL_PID, "")
            if pid == str(os.getpid()) and labels.get(LABEL_HOST) == socket.gethostname():
                continue
            if (
                not include_live
                and labels.get(LABEL_HOST) == socket.gethostname()
                and _pid_alive(pid)
            ):
                continue
            try:
                c.remove(force=True, v=True)
                removed += 1
                log.info("removed stale test-bed container %s (%s)", c.name, labels.get(LABEL_ROLE))
            except docker.errors.NotFound:
                pass
    finally:
        client.close()
    return removed


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it), for a server a
    test starts. The one helper for this: every harness imports it from here."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------------------------
# internals
# --------------------------------------------------------------------------------------------

_live: list[_Handle] = []
_live_lock = threading.Lock()


def _register(handle: _Handle) -> None:
    with _live_lock:
        _live.append(handle)


def _unregister(handle: _Handle) -> None:
    with _live_lock:
        if handle in _live:
            _live.remove(handle)


atexit.register(stop_all)


def _kafka_env(port: int) -> dict[str, str]:
    """Single-node KRaft settings, in the environment format of both tsuen/kafka and
    apache/kafka (KAFKA_<PROPERTY>)."""
    return {
        "KAFKA_PORT": str(port),
        "KAFKA_ADVERTISED_HOST": HOST,
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": f"PLAINTEXT://:{port},CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{HOST}:{port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "true",
        "KAFKA_NUM_PARTITIONS": "3",
        "KAFKA_HEAP_OPTS": "-Xmx512m -Xms256m",
    }


def _container(image: str, role: str, **kwargs: Any) -> DockerContainer:
    labels = {
        LABEL: "1",
        LABEL_ROLE: role,
        LABEL_PID: str(os.getpid()),
        LABEL_HOST: socket.gethostname(),
    }
    name = f"tsuen-testbed-{role}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return DockerContainer(image, name=name, labels=labels, **kwargs)


def _log_wait(message: str, deadline: float) -> LogMessageWaitStrategy:
    remaining = max(1.0, deadline - time.monotonic())
    return (
        LogMessageWaitStrategy(message)
        .with_startup_timeout(int(remaining) + 1)
        .with_poll_interval(0.25)
    )


def _start(container: DockerContainer) -> None:
    try:
        container.start()
    except TimeoutError as exc:
        raise TimeoutError(
            f"{container.image}: {exc}\n--- container log ---\n{_tail_logs(container)}"
        ) from exc
    except RuntimeError as exc:  # exited before the ready line
        raise RuntimeError(
            f"{container.image}: {exc}\n--- container log ---\n{_tail_logs(container)}"
        ) from exc


def _tail_logs(container: DockerContainer, lines: int = 60) -> str:
    try:
        out, err = container.get_logs()
    except Exception as exc:
        return f"<no logs: {exc}>"
    text = (out + err).decode(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def _wait_for(
    check: Callable[[], bool], deadline: float, what: str, container: DockerContainer
) -> None:
    last: BaseException | None = None
    while True:
        try:
            if check():
                return
        except Exception as exc:
            last = exc
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{what} (last error: {last!r})\n--- container log ---\n{_tail_logs(container)}"
            )
        time.sleep(0.2)


def _remove_quietly(container: DockerContainer) -> None:
    try:
        container.stop(force=True, delete_volume=True)
    except docker.errors.NotFound:
        pass
    except Exception as exc:
        log.warning("could not remove container %s: %s", getattr(container, "_name", "?"), exc)


def _require_image(image: str) -> None:
    if not image.startswith("tsuen/"):
        return
    client = docker.from_env()
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise RuntimeError(
            f"image {image} not found: build it with scripts/build-images.sh (see docs/testbed.md)"
        ) from None
    finally:
        client.close()


def _port_taken(exc: docker.errors.APIError) -> bool:
    text = str(exc).lower()
    return "address already in use" in text or "port is already allocated" in text


def _published_port(container: DockerContainer, port: int) -> int:
    wrapped = container.get_wrapped_container()
    deadline = time.monotonic() + 10
    while True:
        wrapped.reload()
        bindings = (wrapped.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(
            f"{port}/tcp"
        ) or []
        for b in bindings:
            if b.get("HostIp") in (HOST, "") and b.get("HostPort"):
                return int(b["HostPort"])
        if time.monotonic() > deadline:
            raise RuntimeError(f"container port {port} is not published: {bindings!r}")
        time.sleep(0.1)


def _pid_alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kafka_api_versions_ok(host: str, port: int) -> bool:
    """One ApiVersions v0 round trip over the published port: proves the broker (not just
    Docker's port proxy) answers."""
    client_id = b"tsuen-testbed"
    correlation_id = 7
    body = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    with socket.create_connection((host, port), timeout=3) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        header = _recv_exact(s, 4)
        (size,) = struct.unpack(">i", header)
        payload = _recv_exact(s, size)
    got_correlation, error_code = struct.unpack(">ih", payload[:6])
    return got_correlation == correlation_id and error_code == 0


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def _postgres_select_1(host: str, port: int, user: str, password: str, dbname: str) -> bool:
    async def probe() -> bool:
        import asyncpg

        conn = await asyncpg.connect(
            host=host, port=port, user=user, password=password, database=dbname, timeout=5
        )
        try:
            return bool(await conn.fetchval("SELECT 1") == 1)
        finally:
            await conn.close()

    return _run_coroutine(probe)


def _run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even when the calling thread already
    runs an event loop (e.g. inside an async pytest fixture): in a helper thread."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tsuen-testbed") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()
