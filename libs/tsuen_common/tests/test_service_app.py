"""The HTTP app shell every service shares (tsuen_common.service.create_app)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError, IntegrityError

from tsuen_common.service import create_app
from tsuen_common.settings import ServiceSettings


class ConnectionClosed(Exception):
    """Stands for the driver's error when the server went away."""


def _app() -> TestClient:
    router = APIRouter()

    @router.get("/lost")
    async def lost() -> None:
        raise DBAPIError("SELECT 1", None, ConnectionClosed(), connection_invalidated=True)

    @router.get("/broken")
    async def broken() -> None:
        raise IntegrityError("INSERT", None, ConnectionClosed())

    app = create_app(ServiceSettings(service_name="test"), title="t", routers=[router])
    return TestClient(app, raise_server_exceptions=False)


def test_a_lost_database_connection_is_a_503_to_retry_not_a_500() -> None:
    response = _app().get("/lost")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {"detail": "the database connection was lost; please try again"}


def test_other_database_errors_stay_server_errors() -> None:
    assert _app().get("/broken").status_code == 500
