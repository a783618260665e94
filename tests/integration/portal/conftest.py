from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration import testbed
from tests.integration.e2e.conftest import ServiceProcess, _drop_databases
from tests.integration.portal.harness import PortalProcess, start_portal
from tests.integration.portal.platform import GuardianPlatform, guardian_platform
from tests.integration.testbed import free_port


@pytest.fixture(scope="module")
async def lone(
    postgres: testbed.PostgresHandle, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PortalProcess]:
    """The portal alone, every service it calls unreachable: the pages that need no backend,
    and what a guardian sees when a backend is down."""
    portal = await start_portal(postgres, tmp_path_factory.mktemp("portal"), free_port())
    try:
        yield portal
    finally:
        portal.service.stop()
        await _drop_databases(postgres, [portal.database])


@pytest.fixture(scope="module")
def lone_portal(lone: PortalProcess) -> ServiceProcess:
    return lone.service


@pytest.fixture(scope="module")
async def guardians(
    kafka: testbed.KafkaHandle,
    postgres: testbed.PostgresHandle,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[GuardianPlatform]:
    """identity, eligibility, booking, notification and the portal, as processes."""
    async with guardian_platform(kafka, postgres, tmp_path_factory.mktemp("guardians")) as gp:
        yield gp
