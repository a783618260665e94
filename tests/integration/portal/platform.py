"""The guardian's whole platform with real accounts: identity signs ES256 tokens and the
other services verify them with its public key; the portal calls identity, eligibility and
booking; notification mails through a real SMTP server started here.

Built from the end-to-end platform's pieces (tests/integration/e2e/conftest.py) so the
journey helpers of tests/integration/e2e/journey.py work unchanged; the test's own officer and
facility calls are signed with identity's key (the officer's side is API-only here)."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from aiosmtpd.controller import Controller

from tests.integration import testbed
from tests.integration.conftest import eventually
from tests.integration.e2e.conftest import (
    ALL,
    Mailbox,
    Platform,
    ServiceProcess,
    _base_env,
    _create_database,
    _drop_databases,
    free_port,
    start_service,
    stop_services,
    wait_healthy,
)
from tests.integration.portal.harness import launch_portal
from tsuen_billing.adapters.price_files import PRESETS
from tsuen_common.auth import TokenIssuer
from tsuen_common.messaging.provision import ensure_topics
from tsuen_common.timeutil import JST, set_test_clock
from tsuen_identity.adapters.keys import generate_key_file
from tsuen_notification.adapters.mailcatcher import MailCatcher

BACKENDS = ("identity", "eligibility", "booking", "notification")


@dataclass
class GuardianPlatform:
    platform: Platform  # eligibility, booking, notification, identity
    portal: ServiceProcess

    @property
    def mailbox(self) -> Mailbox:
        return self.platform.mailbox

    async def link_in_mail(self, email: str, path: str, *, count: int = 1) -> str:
        """The newest portal link (``path``) mailed to ``email``, once ``count`` have come."""
        pattern = re.compile(re.escape(self.portal.url + path) + r"\?[^\s\"<>]+")
        found: list[str] = []

        async def arrived() -> bool:
            found[:] = [
                m.group(0)
                for mail in self.mailbox.to(email)
                for m in pattern.finditer(mail.body("plain") or "")
            ]
            return len(found) >= count

        await eventually(arrived, within=90, what=f"{count} mail(s) with {path} to {email}")
        return found[-1]


def price_tables(workdir: Path, clock: datetime | None) -> Path:
    """Billing's shipped FY2026 table, copied for every fiscal year up to the one after the
    platform's clock: billing refuses a use date without a table, and the tests' months move
    with the real date."""
    shipped = yaml.safe_load((PRESETS / "fy2026-default.yaml").read_text("utf-8"))
    folder = workdir / "prices"
    folder.mkdir(exist_ok=True)
    today = (clock or datetime.now(JST)).date()
    current = today.year if today.month >= 4 else today.year - 1
    for year in range(2026, current + 2):
        (folder / f"fy{year}-default.yaml").write_text(
            yaml.safe_dump({**shipped, "fiscal_year": year}, allow_unicode=True), "utf-8"
        )
    return folder


@contextlib.asynccontextmanager
async def guardian_platform(
    kafka: testbed.KafkaHandle,
    postgres: testbed.PostgresHandle,
    workdir: Path,
    *,
    attendance: bool = False,
    billing: bool = False,
    clock: datetime | None = None,
) -> AsyncIterator[GuardianPlatform]:
    """``attendance``: attendance too (the staff's roster); ``billing``: billing too (the money
    pages; its month is closed with ``platform.run_command("billing", "close", ...)``);
    ``clock``: every process (the portal too) lives at that instant from the start
    (``platform.set_clock`` moves it)."""
    clock_file = workdir / "clock.txt"
    if clock is not None:
        set_test_clock(clock_file, clock)
    names = (*BACKENDS, "attendance") if attendance else BACKENDS
    if billing:
        names = (*names, "billing")
    prefix = f"portal{uuid.uuid4().hex[:8]}."
    await ensure_topics(kafka.bootstrap_servers, prefix)
    key = workdir / "identity-signing.pem"
    # What `tsuen-identity gen-key` runs, without a process that imports the service (seconds).
    generate_key_file(key)
    catcher = MailCatcher(limit=10_000)
    smtp_port = free_port()
    smtp = Controller(catcher, hostname=testbed.HOST, port=smtp_port, ready_timeout=10)
    smtp.start()
    ports = {name: free_port() for name in names}
    portal_port = free_port()
    portal_url = f"http://{testbed.HOST}:{portal_port}"
    shared = {
        **_base_env(),
        "TSUEN_ENVIRONMENT": "test",
        "TSUEN_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TSUEN_KAFKA_TOPIC_PREFIX": prefix,
        "TSUEN_JWT_ALGORITHM": "ES256",
        "TSUEN_JWT_PUBLIC_KEY_FILE": f"{key}.pub",
        "TSUEN_RELAY_POLL_INTERVAL_MS": "20",
        "TSUEN_CONSUMER_RETRY_BACKOFF_MS": "50",
        "TSUEN_TEST_CLOCK_FILE": str(clock_file),  # real time while the file is absent
    }
    specific = {
        "identity": {
            "TSUEN_IDENTITY_SIGNING_KEY_FILE": str(key),
            "TSUEN_PORTAL_BASE_URL": portal_url,
            "TSUEN_TRUST_FORWARDED_FOR": "true",  # the portal forwards the browser's address
            "TSUEN_ARGON2_TIME_COST": "1",
            "TSUEN_ARGON2_MEMORY_KIB": "8192",
            "TSUEN_ARGON2_PARALLELISM": "1",
        },
        "eligibility": {
            "TSUEN_APPLICATION_URL_BASE": f"http://{testbed.HOST}:{ports['eligibility']}/apply"
        },
        "booking": {},
        "billing": (
            {"TSUEN_BILLING_PRICES_DIR": str(price_tables(workdir, clock))} if billing else {}
        ),
        # The 2D code opens the portal's /scan: the guardian's own session carries the scan.
        "attendance": {"TSUEN_PUBLIC_BASE_URL": portal_url},
        "notification": {
            "TSUEN_SMTP_HOST": testbed.HOST,
            "TSUEN_SMTP_PORT": str(smtp_port),
            "TSUEN_SMTP_TIMEOUT_SECONDS": "5",
            "TSUEN_SENDER_POLL_INTERVAL_MS": "50",
            "TSUEN_PORTAL_URL": portal_url + "/",
        },
    }
    databases: list[str] = []
    services: dict[str, ServiceProcess] = {}
    portal: ServiceProcess | None = None
    try:
        envs = {}
        for name in names:
            db_name, url = await _create_database(postgres, name)
            databases.append(db_name)
            envs[name] = {**shared, **specific[name], "TSUEN_DATABASE_URL": url}
            services[name] = start_service(
                name, (*ALL, "--port", str(ports[name])), envs[name], ports[name], workdir
            )
        # The portal needs only the services' addresses, not their answers: it starts with
        # them instead of after them (every process's start is mostly Python importing).
        started = await launch_portal(
            postgres,
            workdir,
            portal_port,
            identity_url=services["identity"].url,
            eligibility_url=services["eligibility"].url,
            booking_url=services["booking"].url,
            extra_env={
                "TSUEN_TEST_CLOCK_FILE": str(clock_file),
                **(
                    {"TSUEN_PORTAL_ATTENDANCE_URL": services["attendance"].url}
                    if attendance
                    else {}
                ),
                **({"TSUEN_PORTAL_BILLING_URL": services["billing"].url} if billing else {}),
            },
        )
        portal = started.service
        databases.append(started.database)
        await wait_healthy([*services.values(), portal], within=240)
        platform = Platform(
            services=services,
            clock_file=clock_file,
            issuer=TokenIssuer(algorithm="ES256", key=key.read_bytes()),
            mailbox=Mailbox(catcher),
            env=shared,
            envs=envs,
        )
        yield GuardianPlatform(platform=platform, portal=portal)
    finally:
        stop_services([*services.values(), *([portal] if portal else [])])
        smtp.stop()
        await _drop_databases(postgres, databases)
