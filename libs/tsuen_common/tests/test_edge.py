"""The edge every service shares: body limits while reading, NUL refused, common headers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, Request, Response
from fastapi.testclient import TestClient

from tsuen_common.edge import json_body_has_nul, query_has_control_characters
from tsuen_common.service import create_app
from tsuen_common.settings import ServiceSettings


def _client(**settings: object) -> TestClient:
    router = APIRouter()

    @router.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @router.post("/files")
    async def files(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @router.get("/search")
    async def search(q: str = "") -> dict[str, str]:
        return {"q": q}

    @router.get("/cached")
    async def cached() -> Response:
        return Response("x", headers={"Cache-Control": "public, max-age=60"})

    app = create_app(
        ServiceSettings(service_name="test", max_body_bytes=1000, **settings),
        title="t",
        routers=[router],
        body_limits=[("/files", 5000)],
    )
    return TestClient(app, raise_server_exceptions=False)


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    response = _client().post("/echo", content=b"x" * 1001)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "大きすぎます" in response.json()["message_ja"]
    assert _client().post("/echo", content=b"x" * 1000).json() == {"bytes": 1000}


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 100):
        yield b"y" * 100


@pytest.mark.parametrize("content_type", ["application/json", "application/octet-stream"])
def test_a_streamed_body_is_counted_as_it_arrives(content_type: str) -> None:
    # No Content-Length (chunked): the limit holds all the same, JSON or not.
    response = _client().post(
        "/echo", content=_chunks(3000), headers={"Content-Type": content_type}
    )
    assert response.status_code == 413


def test_a_route_may_take_more_than_the_default() -> None:
    assert _client().post("/files", content=b"z" * 4000).json() == {"bytes": 4000}
    assert _client().post("/files", content=b"z" * 5001).status_code == 413


@pytest.mark.parametrize("q", ["a\x00b", "a\rb", "a\nb", "\x1b"])
def test_control_characters_in_a_query_are_a_422(q: str) -> None:
    response = _client().get("/search", params={"q": q})
    assert response.status_code == 422
    assert "制御文字" in response.json()["message_ja"]
    assert _client().get("/search", params={"q": "やまだ 太郎"}).json() == {"q": "やまだ 太郎"}


def test_a_nul_in_a_json_body_is_a_422() -> None:
    response = _client().post(
        "/echo", content=b'{"name": "a\\u0000b"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "control_character"


def test_every_answer_is_nosniff_and_not_stored_unless_the_route_says_otherwise() -> None:
    plain = _client().get("/search")
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in plain.headers
    assert _client().get("/cached").headers["cache-control"] == "public, max-age=60"
    refused = _client().post("/echo", content=b"x" * 2000)
    assert refused.headers["cache-control"] == "no-store"


def test_hsts_when_served_over_tls() -> None:
    client = _client()
    client.base_url = client.base_url.copy_with(scheme="https")
    assert "max-age=" in client.get("/search").headers["strict-transport-security"]


def test_api_docs_are_off_in_production_unless_turned_on() -> None:
    assert _client(environment="dev").get("/openapi.json").status_code == 200
    assert _client(environment="prod").get("/openapi.json").status_code == 404
    assert _client(environment="prod").get("/docs").status_code == 404
    assert _client(environment="prod", api_docs=True).get("/openapi.json").status_code == 200


def test_the_pure_checks() -> None:
    assert query_has_control_characters(b"q=%00")
    assert query_has_control_characters(b"q=a%0Ab")
    assert not query_has_control_characters(b"q=%E3%81%82&x=1")
    assert json_body_has_nul(b'{"a": "\\u0000"}')
    assert json_body_has_nul(b'{"a": "\\\\\\u0000"}')  # an escaped backslash, then NUL
    assert not json_body_has_nul(b'{"a": "\\\\u0000 is how you write it"}')
    assert not json_body_has_nul('{"a": "ヤマダ"}'.encode())


def _json_route_client() -> TestClient:
    router = APIRouter()

    @router.post("/things")
    async def things(body: dict[str, object]) -> dict[str, object]:
        return body

    app = create_app(ServiceSettings(service_name="test"), title="t", routers=[router])
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("raw", "code", "message_ja"),
    [
        # Python reads these, but neither PostgreSQL nor a JSON answer can hold them: they
        # were 500s (schemathesis, issue 12).
        (b'{"name": "\\ud800"}', "invalid_character", "サロゲート"),
        (b'{"name": "x\\udfff"}', "invalid_character", "サロゲート"),
        (b'{"lat": NaN}', "invalid_number", "数値"),
        (b'{"lat": -Infinity}', "invalid_number", "数値"),
        (b'{"lat": 1e999}', "invalid_number", "数値"),
        (b"[" * 100_000 + b"]" * 100_000, "too_deep", "入れ子"),
    ],
)
@pytest.mark.parametrize(
    "content_type", ["application/json", "Application/JSON; charset=utf-8", "application/x+json"]
)
def test_json_that_cannot_be_stored_or_answered_is_a_422(
    raw: bytes, code: str, message_ja: str, content_type: str
) -> None:
    response = _json_route_client().post(
        "/things", content=raw, headers={"content-type": content_type}
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert message_ja in response.json()["message_ja"]


def test_a_nul_in_json_of_any_json_media_type_is_a_422() -> None:
    response = _json_route_client().post(
        "/things",
        content=b'{"name": "a\\u0000"}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "control_character"


def test_paired_surrogates_and_big_integers_are_ordinary_json() -> None:
    # An emoji escaped as a surrogate pair is a character; range checks on integers are the
    # route's (its model's bounds).
    body = b'{"name": "\\ud83d\\ude00", "n": 100000000000000000000, "x": 1.5e300}'
    response = _json_route_client().post(
        "/things", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "😀", "n": 10**20, "x": 1.5e300}


def test_docs_load_without_any_cdn() -> None:
    # Issue 13, item 10: Swagger UI came from a CDN, blank on closed networks.
    client = _client(environment="dev")
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    scripts = [part.split('"')[0] for part in page.text.split('src="')[1:]]
    styles = [part.split('"')[0] for part in page.text.split('href="')[1:]]
    assets = [u for u in scripts + styles if u.endswith((".js", ".css"))]
    assert assets
    for url in assets:
        assert url.startswith("/"), url  # served by the service itself
        assert client.get(url).status_code == 200, url
