"""The chaos scenarios use the integration test bed (PostgreSQL and Kafka in containers).

The smoke (test_booking_kill_smoke.py, about a minute) runs in every test run. The full suite
(test_chaos_suite.py, about 10 minutes) runs only when asked for: when tests/chaos (or a file
in it) is named on the command line — ``scripts/test.sh tests/chaos`` — or with
``TSUEN_CHAOS=1``; CI's default run (no path) skips it.
"""

import os
from pathlib import Path

import pytest

from tests.integration.conftest import new_database, postgres  # noqa: F401

HERE = Path(__file__).resolve().parent
FULL_SUITE = "test_chaos_suite.py"


def _asked_for(config: pytest.Config) -> bool:
    if os.environ.get("TSUEN_CHAOS") == "1":
        return True
    for arg in config.invocation_params.args:
        if str(arg).startswith("-"):
            continue
        path = (config.invocation_params.dir / str(arg).split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _asked_for(config):
        return
    skip = pytest.mark.skip(
        reason="the full chaos suite runs when asked for: scripts/test.sh tests/chaos"
    )
    for item in items:
        if item.path.name == FULL_SUITE and item.path.parent == HERE:
            item.add_marker(skip)
