"""The chaos scenarios use the integration test bed (PostgreSQL and Kafka in containers)."""

from tests.integration.conftest import new_database, postgres  # noqa: F401
