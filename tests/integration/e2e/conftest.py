"""The whole platform as operators run it: four service processes on the real test bed.

``platform`` (one per test module) starts ``tsuen-<service> all --migrate`` for eligibility,
booking, attendance and notification, each a separate process tree (API + outbox relay +
consumers) with its own fresh database, all on the session's Kafka with a fresh topic prefix,
one shared JWT secret, and a shared **test clock** file (``TSUEN_ENVIRONMENT=test``): a test
moves the whole platform in time with ``platform.set_clock(instant)``. Notification delivers to
a real SMTP server (aiosmtpd) started here on 127.0.0.1. Logs go to files; their tails are
printed when a service does not come up or when a test fails. Every process is stopped
(SIGTERM to the process group, then SIGKILL) when the module ends.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.integration import testbed
from tests.integration.conftest import eventually, migrated_copy
from tests.integration.testbed import free_port
from tsuen_common.auth import Principal, Role, TokenIssuer
from tsuen_common.messaging.provision import ensure_topics
from tsuen_common.timeutil import set_test_clock
from tsuen_notification.adapters.mailcatcher import CaughtMail, MailCatcher

SERVICES = ("eligibility", "booking", "attendance", "notification")
BIN = Path(sys.executable).parent  # the workspace venv, where the tsuen-* scripts live
ALL = ("all", "--migrate", "--host", testbed.HOST)  # how operators run a service (compose, dev)


@dataclass
class ServiceProcess:
    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]
    terminated: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{testbed.HOST}:{self.port}"

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def terminate(self) -> None:
        """SIGTERM the supervisor's process group (it forwards to its children), once: a
        second SIGTERM would make uvicorn force its exit instead of shutting down."""
        if not self.terminated and self.process.poll() is None:
            self.terminated = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM (unless :meth:`terminate` sent it), up to 20 s to finish, then SIGKILL."""
        if self.process.poll() is None:
            self.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        # Children that outlived their supervisor (or a supervisor that would not stop).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def stop_services(services: Iterable[ServiceProcess]) -> None:
    """Stop them together: every one is told first and then waited for, so the platform's
    shutdown takes as long as its slowest service, not the sum of all."""
    services = list(services)
    for svc in services:
        svc.terminate()
    for svc in services:
        svc.stop()


@dataclass
class Mailbox:
    """What the platform's SMTP server received, by recipient and decoded subject."""

    catcher: MailCatcher

    def to(self, address: str) -> list[CaughtMail]:
        return [m for m in self.catcher.mails if address in m.rcpt_tos]

    def subjects(self, address: str) -> list[str]:
        return [str(m.message["Subject"]) for m in self.to(address)]

    def with_subject(self, address: str, subject: str) -> list[CaughtMail]:
        return [m for m in self.to(address) if str(m.message["Subject"]) == subject]

    async def wait_for(
        self, address: str, subject: str, *, count: int = 1, within: float = 60.0
    ) -> list[CaughtMail]:
        async def arrived() -> bool:
            return len(self.with_subject(address, subject)) >= count

        await eventually(arrived, within=within, what=f"{count}× 「{subject}」 to {address}")
        return self.with_subject(address, subject)


@dataclass
class Platform:
    services: dict[str, ServiceProcess]
    clock_file: Path
    issuer: TokenIssuer
    mailbox: Mailbox
    env: dict[str, str]
    envs: dict[str, dict[str, str]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.services[service].url

    def client(self, service: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url(service), timeout=30.0)

    def set_clock(self, instant: datetime) -> None:
        """Every service process lives at ``instant`` from now on (and the clock runs on)."""
        set_test_clock(self.clock_file, instant)

    def auth(self, role: Role, municipality: str | None = None, **claims: str) -> dict[str, str]:
        subject = claims.get("guardian_id") or claims.get("facility_id") or f"{role}-{municipality}"
        principal = Principal(subject=subject, role=role, municipality=municipality, **claims)
        return {"Authorization": f"Bearer {self.issuer.mint(principal)}"}

    def officer(self, municipality: str) -> dict[str, str]:
        return self.auth(Role.MUNICIPALITY_OFFICER, municipality)

    def staff(self, municipality: str, facility_id: str) -> dict[str, str]:
        return self.auth(Role.FACILITY_STAFF, municipality, facility_id=facility_id)

    def guardian(self, municipality: str, guardian_id: str) -> dict[str, str]:
        return self.auth(Role.GUARDIAN, municipality, guardian_id=guardian_id)

    def run_command(self, service: str, *args: str) -> subprocess.CompletedProcess[str]:
        """An operator command (e.g. a cron job) with the service's environment."""
        return subprocess.run(
            [str(BIN / f"tsuen-{service}"), *args],
            env=self.envs[service],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def logs(self) -> str:
        return "\n".join(
            f"===== {name} (exit {svc.process.poll()}) =====\n{svc.tail()}"
            for name, svc in self.services.items()
        )


async def _create_database(postgres: testbed.PostgresHandle, service: str) -> tuple[str, str]:
    """A database for ``tsuen-<service> all --migrate``: a copy of the session's migrated
    template, so the process's own migrate finds it at head (the Alembic run per database was
    CPU on the start's critical path). Returns its name and URL."""
    name = await migrated_copy(postgres, service, f"e2e_{service}")
    return name, postgres.async_url(name)


async def _drop_databases(postgres: testbed.PostgresHandle, names: list[str]) -> None:
    conn = await asyncpg.connect(postgres.admin_dsn())
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _base_env() -> dict[str, str]:
    """The caller's environment without any TSUEN_ setting, with the venv first on PATH (the
    ``all`` supervisor starts its children by name)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUEN_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def start_service(
    name: str, args: Iterable[str], env: dict[str, str], port: int, workdir: Path
) -> ServiceProcess:
    """``tsuen-<name> <args>`` in its own process group (stopped as a whole), its output in
    ``workdir/<name>.log``. Returns at once: wait with :func:`wait_healthy`."""
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / f"tsuen-{name}"), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ServiceProcess(name, port, log, process)


async def wait_healthy(services: Iterable[ServiceProcess], *, within: float = 240) -> None:
    """Until every service answers ``/healthz``; polled together (they start in parallel, so
    the wait is the slowest one's, not the sum), every 0.1 s. A process that exits fails the
    test with its log."""
    waiting = list(services)
    async with httpx.AsyncClient(timeout=2.0) as client:

        async def all_up() -> bool:
            for svc in list(waiting):
                if svc.process.poll() is not None:
                    pytest.fail(f"{svc.name} exited:\n{svc.tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{svc.url}/healthz")).status_code == 200:
                        waiting.remove(svc)
            return not waiting

        await eventually(
            all_up, within=within, what=f"/healthz of {', '.join(s.name for s in waiting)}"
        )


@pytest.fixture(scope="module")
async def platform(
    kafka: testbed.KafkaHandle,
    postgres: testbed.PostgresHandle,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Platform]:
    workdir = tmp_path_factory.mktemp("e2e")
    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    await ensure_topics(kafka.bootstrap_servers, prefix)
    secret = secrets.token_urlsafe(48)  # ≥ 32 bytes for HS256
    clock_file = workdir / "clock.txt"

    catcher = MailCatcher(limit=10_000)
    smtp_port = free_port()
    smtp = Controller(catcher, hostname=testbed.HOST, port=smtp_port, ready_timeout=10)
    smtp.start()

    ports = {name: free_port() for name in SERVICES}
    shared = {
        **_base_env(),
        "TSUEN_ENVIRONMENT": "test",
        "TSUEN_TEST_CLOCK_FILE": str(clock_file),
        "TSUEN_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TSUEN_KAFKA_TOPIC_PREFIX": prefix,
        "TSUEN_JWT_ALGORITHM": "HS256",
        "TSUEN_JWT_SECRET": secret,
        "TSUEN_RELAY_POLL_INTERVAL_MS": "20",
        "TSUEN_CONSUMER_RETRY_BACKOFF_MS": "50",
    }
    specific = {
        "eligibility": {
            "TSUEN_APPLICATION_URL_BASE": f"http://{testbed.HOST}:{ports['eligibility']}/apply"
        },
        "booking": {},
        "attendance": {"TSUEN_PUBLIC_BASE_URL": f"http://{testbed.HOST}:{ports['attendance']}"},
        "notification": {
            "TSUEN_SMTP_HOST": testbed.HOST,
            "TSUEN_SMTP_PORT": str(smtp_port),
            "TSUEN_SMTP_TIMEOUT_SECONDS": "5",
            "TSUEN_SENDER_POLL_INTERVAL_MS": "50",
            "TSUEN_MAIL_RETRY_BASE_SECONDS": "0.5",
            "TSUEN_MAIL_RETRY_MAX_SECONDS": "2",
            "TSUEN_PORTAL_URL": "https://tsuen.example.jp/",
        },
    }
    databases: list[str] = []
    services: dict[str, ServiceProcess] = {}
    envs: dict[str, dict[str, str]] = {}
    try:
        for name in SERVICES:
            db_name, url = await _create_database(postgres, name)
            databases.append(db_name)
            envs[name] = {**shared, **specific[name], "TSUEN_DATABASE_URL": url}
        for name in SERVICES:
            services[name] = start_service(
                name, (*ALL, "--port", str(ports[name])), envs[name], ports[name], workdir
            )
        platform = Platform(
            services=services,
            clock_file=clock_file,
            issuer=TokenIssuer(algorithm="HS256", key=secret),
            mailbox=Mailbox(catcher),
            env=shared,
            envs=envs,
        )
        await wait_healthy(services.values(), within=90)
        yield platform
    finally:
        stop_services(services.values())
        smtp.stop()
        await _drop_databases(postgres, databases)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failing e2e test, attach the tails of the service logs to the report."""
    report = yield
    if report.failed and call.when == "call":
        platform = getattr(item, "funcargs", {}).get("platform")
        if isinstance(platform, Platform):
            report.sections.append(("tsuen service logs", platform.logs()))
    return report
