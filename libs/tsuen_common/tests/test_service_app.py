"""The HTTP app shell every service shares (tsuen_common.service.create_app)."""

from __future__ import annotations

import socket

import asyncpg
import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError, IntegrityError

from tsuen_common import errors
from tsuen_common.db import make_engine
from tsuen_common.service import create_app
from tsuen_common.settings import ServiceSettings


class ConnectionClosed(Exception):
    """Stands for the driver's error when the server went away."""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nobody listens


def _app() -> TestClient:
    router = APIRouter()

    @router.get("/lost")
    async def lost() -> None:
        raise DBAPIError("SELECT 1", None, ConnectionClosed(), connection_invalidated=True)

    @router.get("/starting")
    async def starting() -> None:
        raise asyncpg.CannotConnectNowError("the database system is starting up")

    @router.get("/refused")
    async def refused() -> None:
        # A real engine, pointed at a port where no PostgreSQL listens (a restart's window).
        engine = make_engine(f"postgresql+asyncpg://tsuen:tsuen@127.0.0.1:{_closed_port()}/x")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        finally:
            await engine.dispose()

    @router.get("/broken")
    async def broken() -> None:
        raise IntegrityError("INSERT", None, ConnectionClosed())

    app = create_app(ServiceSettings(service_name="test"), title="t", routers=[router])
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("path", ["/lost", "/starting", "/refused"])
def test_a_database_that_is_away_is_a_503_to_retry_not_a_500(path: str) -> None:
    response = _app().get(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = response.json()
    assert body["detail"] == "the database is unavailable for a moment; please try again"
    assert body["code"] == "database_unavailable"
    assert "しばらくしてから" in body["message_ja"]


def test_other_database_errors_stay_server_errors() -> None:
    assert _app().get("/broken").status_code == 500


def test_a_refusal_answers_its_status_code_and_japanese_message() -> None:
    router = APIRouter()

    @router.get("/gone")
    async def gone() -> None:
        raise errors.Gone("the link has expired")

    @router.get("/own")
    async def own() -> None:
        raise errors.Conflict("no place left", message_ja="空きがありません。", code="full")

    client = TestClient(
        create_app(ServiceSettings(service_name="test"), title="t", routers=[router])
    )
    response = client.get("/gone")
    assert response.status_code == 410
    assert response.json() == {
        "detail": "the link has expired",
        "code": "gone",
        "message_ja": errors.Gone.message_ja,
    }
    response = client.get("/own")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "no place left",
        "code": "full",
        "message_ja": "空きがありません。",
    }


def test_a_malformed_request_keeps_fastapis_field_errors_and_says_it_in_japanese() -> None:
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    client = TestClient(
        create_app(ServiceSettings(service_name="test"), title="t", routers=[router])
    )
    body = client.get("/items/abc").json()
    assert body["detail"][0]["loc"] == ["path", "item_id"]
    assert body["code"] == "invalid_request"
    assert body["message_ja"] == errors.Invalid.message_ja
