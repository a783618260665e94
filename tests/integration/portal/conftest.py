from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration import testbed
from tests.integration.e2e.conftest import ServiceProcess, _drop_databases, free_port
from tests.integration.portal.harness import start_portal
from tests.integration.portal.platform import GuardianPlatform, guardian_platform


@pytest.fixture(scope="module")
async def lone_portal(
    postgres: testbed.PostgresHandle, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServiceProcess]:
    """The portal alone, every service it calls unreachable: the pages that need no backend,
    and what a guardian sees when a backend is down."""
    portal, db_name = await start_portal(postgres, tmp_path_factory.mktemp("portal"), free_port())
    try:
        yield portal
    finally:
        portal.stop()
        await _drop_databases(postgres, [db_name])


@pytest.fixture(scope="module")
async def guardians(
    kafka: testbed.KafkaHandle,
    postgres: testbed.PostgresHandle,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[GuardianPlatform]:
    """identity, eligibility, booking, notification and the portal, as processes."""
    async with guardian_platform(kafka, postgres, tmp_path_factory.mktemp("guardians")) as gp:
        yield gp
