"""The chaos suite's platform: booking, attendance and notification as separate processes (API,
outbox relay, consumers: each killable alone) on their own Kafka and PostgreSQL containers, and
an SMTP server that can be taken down and brought back on the same port.

The containers are the test bed's (``tests/integration/testbed.py``) but not the session's
shared ones, because this suite stops and restarts them. PostgreSQL is published on a fixed host
port (the test bed lets Docker choose one, and Docker chooses another on a restart, which a real
server's clients never see); Kafka already is (port P inside and out).

The test plays the supervisor (``tsuen-<service> all``): a killed process is started again at
once, so what is measured is the service's own restart, not a supervisor's backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import struct
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from aiosmtpd.controller import Controller
from testcontainers.core.container import DockerContainer

from bench.stack import BIN, HOST, free_port
from tests.integration import testbed
from tsuen_common.auth import Principal, Role, TokenIssuer
from tsuen_notification.adapters.mailcatcher import MailCatcher

# Every killable process: (service, sub-command). Notification's `consume` runs its consumers
# and its mail sender in one process (a kill there is a kill mid-send under load).
ROLES: dict[str, tuple[str, str]] = {
    "booking-api": ("booking", "serve"),
    "booking-relay": ("booking", "relay"),
    "booking-consumer": ("booking", "consume"),
    "attendance-api": ("attendance", "serve"),
    "attendance-relay": ("attendance", "relay"),
    "attendance-consumer": ("attendance", "consume"),
    "notification": ("notification", "consume"),
    "eligibility-relay": ("eligibility", "relay"),  # publishes the seed's ChildCertified
}
DATABASES = ("eligibility", "booking", "attendance", "notification")


async def start_postgres_on(port: int) -> testbed.PostgresHandle:
    """The test bed's PostgreSQL image, published on ``127.0.0.1:port`` so a restart keeps it,
    labelled like the test bed's containers (its stale-container sweep knows it is ours)."""
    image = testbed.postgres_image()
    labels = {
        testbed.LABEL: "1",
        f"{testbed.LABEL}.role": "postgres",
        f"{testbed.LABEL}.pid": str(os.getpid()),
        f"{testbed.LABEL}.hostname": socket.gethostname(),
    }
    name = f"tsuen-testbed-chaos-postgres-{os.getpid()}-{secrets.token_hex(3)}"
    container = DockerContainer(image, name=name, labels=labels, shm_size="256m")
    container.ports["5432/tcp"] = (HOST, port)  # type: ignore[assignment]
    container.with_envs(
        POSTGRES_USER="tsuen", POSTGRES_PASSWORD="tsuen", POSTGRES_DB="tsuen", POSTGRES_FAST="1"
    )
    await asyncio.to_thread(container.start)
    handle = testbed.PostgresHandle(container, image, port, "tsuen", "tsuen", "tsuen")
    try:
        await _until_postgres_answers(handle)
    except BaseException:
        handle.stop()
        raise
    return handle


async def _until_postgres_answers(pg: testbed.PostgresHandle, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            conn = await asyncpg.connect(pg.dsn(), timeout=2)
            await conn.close()
            return
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            if time.monotonic() > deadline:
                raise TimeoutError("PostgreSQL did not answer") from None
        await asyncio.sleep(0.1)


async def _until_kafka_answers(port: int, within: float = 120.0) -> None:
    """Until the broker itself (not only Docker's port proxy) answers an ApiVersions v0."""
    deadline = time.monotonic() + within
    request = struct.pack(">hhih", 18, 0, 7, 5) + b"chaos"
    while True:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 3)
            try:
                writer.write(struct.pack(">i", len(request)) + request)
                size = struct.unpack(">i", await asyncio.wait_for(reader.readexactly(4), 3))[0]
                answer = await asyncio.wait_for(reader.readexactly(size), 3)
            finally:
                writer.close()
            if struct.unpack(">ih", answer[:6]) == (7, 0):  # our correlation id, no error
                return
        except (OSError, TimeoutError, asyncio.IncompleteReadError, struct.error):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("Kafka did not answer")
        await asyncio.sleep(0.2)


class Sink:
    """The platform's SMTP server (aiosmtpd + the dev mail catcher), stoppable and restartable
    on the same port; what it received survives a restart."""

    def __init__(self) -> None:
        self.catcher = MailCatcher(limit=100_000)
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.catcher, hostname=HOST, port=self.port, ready_timeout=10)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass
class Proc:
    role: str
    log: Path
    process: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Stack:
    kafka: testbed.KafkaHandle
    pg: testbed.PostgresHandle
    sink: Sink
    workdir: Path
    prefix: str
    issuer: TokenIssuer
    envs: dict[str, dict[str, str]]
    ports: dict[str, int]
    procs: dict[str, Proc] = field(default_factory=dict)

    # -- addresses and tokens -----------------------------------------------------------------

    def url(self, service: str) -> str:
        return f"http://{HOST}:{self.ports[service]}"

    def dsn(self, service: str) -> str:
        return self.pg.dsn(self.envs[service]["TSUEN_DATABASE_URL"].rsplit("/", 1)[1])

    def auth(self, role: Role, municipality: str, **claims: str) -> dict[str, str]:
        subject = claims.get("guardian_id") or claims.get("facility_id") or f"{role}-{municipality}"
        principal = Principal(subject=subject, role=role, municipality=municipality, **claims)
        return {"Authorization": f"Bearer {self.issuer.mint(principal)}"}

    # -- processes ----------------------------------------------------------------------------

    def start(self, role: str) -> Proc:
        service, command = ROLES[role]
        args = [str(BIN / f"tsuen-{service}"), command]
        if command == "serve":
            args += ["--host", HOST, "--port", str(self.ports[service])]
        log = self.workdir / f"{role}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                args,
                env=self.envs[service],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a kill -9 takes its children too
            )
        self.procs[role] = Proc(role, log, process)
        return self.procs[role]

    async def kill(self, role: str) -> None:
        """kill -9 of the role's process group (only processes this suite started)."""
        proc = self.procs[role]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.process.pid, signal.SIGKILL)
        await asyncio.to_thread(proc.process.wait)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.process.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.process.pid, signal.SIGKILL)
                proc.process.wait(5)

    def dead(self) -> list[str]:
        return [role for role, proc in self.procs.items() if not proc.alive()]

    def logs(self, lines: int = 40) -> str:
        out = []
        for role, proc in self.procs.items():
            text = proc.log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"===== {role} (exit {proc.process.poll()}) =====\n" + "\n".join(text))
        return "\n".join(out)

    async def healthy(self, service: str, within: float = 120.0) -> float:
        """Seconds until the service's /healthz answers 200."""
        t0 = time.monotonic()
        async with httpx.AsyncClient(base_url=self.url(service), timeout=1) as client:
            while time.monotonic() - t0 < within:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        return time.monotonic() - t0
                await asyncio.sleep(0.05)
        raise TimeoutError(f"{service} did not answer /healthz within {within:.0f} s")

    # -- infrastructure -----------------------------------------------------------------------

    async def kafka_down(self) -> None:
        wrapped = self.kafka.container.get_wrapped_container()
        await asyncio.to_thread(wrapped.stop, timeout=5)

    async def kafka_up(self) -> None:
        """Start the broker again and wait until it answers on its (unchanged) port."""
        wrapped = self.kafka.container.get_wrapped_container()
        await asyncio.to_thread(wrapped.start)
        await _until_kafka_answers(self.kafka.port)

    async def postgres_restart(self) -> None:
        """``docker restart`` (its stop signal, 5 s, then a kill; then a start) and wait for
        PostgreSQL to answer again."""
        wrapped = self.pg.container.get_wrapped_container()
        await asyncio.to_thread(wrapped.restart, timeout=5)
        await _until_postgres_answers(self.pg)


def environments(
    kafka: testbed.KafkaHandle, pg: testbed.PostgresHandle, sink: Sink, workdir: Path
) -> tuple[dict[str, dict[str, str]], dict[str, int], str, TokenIssuer]:
    """Each service's environment: production timings except where noted."""
    prefix = f"chaos{secrets.token_hex(4)}."
    secret = secrets.token_urlsafe(48)
    ports = {"booking": free_port(), "attendance": free_port()}
    base = {k: v for k, v in os.environ.items() if not k.startswith("TSUEN_")}
    shared = {
        **base,
        # A test clock: check-ins need "today" to be a booked, open day (Asia/Tokyo).
        "TSUEN_ENVIRONMENT": "test",
        "TSUEN_TEST_CLOCK_FILE": str(workdir / "clock.txt"),
        "TSUEN_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TSUEN_KAFKA_TOPIC_PREFIX": prefix,
        "TSUEN_JWT_ALGORITHM": "HS256",
        "TSUEN_JWT_SECRET": secret,
        "TSUEN_LOG_LEVEL": "INFO",
    }
    specific = {
        "eligibility": {},
        "booking": {},
        "attendance": {"TSUEN_PUBLIC_BASE_URL": f"http://{HOST}:{ports['attendance']}"},
        "notification": {
            "TSUEN_SMTP_HOST": HOST,
            "TSUEN_SMTP_PORT": str(sink.port),
            "TSUEN_SMTP_TIMEOUT_SECONDS": "5",
            # Shortened from 30 s … 1 h so that mails held back by the SMTP outage go out
            # within the suite's bound once the server is back (docs/runbook.md says so).
            "TSUEN_MAIL_RETRY_BASE_SECONDS": "1",
            "TSUEN_MAIL_RETRY_MAX_SECONDS": "5",
            "TSUEN_MAIL_MAX_ATTEMPTS": "100",
        },
    }
    envs = {
        name: {**shared, **specific[name], "TSUEN_DATABASE_URL": pg.async_url(f"chaos_{name}")}
        for name in DATABASES
    }
    issuer = TokenIssuer(algorithm="HS256", key=secret)
    return envs, ports, prefix, issuer


@contextlib.asynccontextmanager
async def containers() -> AsyncIterator[tuple[testbed.KafkaHandle, testbed.PostgresHandle]]:
    """This suite's own Kafka and PostgreSQL (it stops and restarts them), removed at the end."""
    kafka = await asyncio.to_thread(testbed.start_kafka)
    try:
        pg = await start_postgres_on(free_port())
        try:
            yield kafka, pg
        finally:
            pg.stop()
    finally:
        kafka.stop()
