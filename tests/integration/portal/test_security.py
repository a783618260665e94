"""The portal's HTTP guarantees, checked on the running process with a plain HTTP client:
CSRF on every form, the session cookie's flags, the headers of every page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.integration.conftest import run_command
from tests.integration.e2e.conftest import ServiceProcess
from tests.integration.portal.harness import csrf_field

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
FORMS = {
    "/login": {"email": "a@example.jp", "password": "x" * 12},
    "/password/set": {"token": "t", "password": "x" * 12, "password_confirm": "x" * 12},
    "/password/reset": {"email": "a@example.jp"},
    "/logout": {},
}


def client(portal: ServiceProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=portal.url, timeout=10.0, follow_redirects=False)


@pytest.mark.parametrize("path", sorted(FORMS))
async def test_a_post_without_a_csrf_token_is_refused(lone_portal, path):
    async with client(lone_portal) as http:
        await http.get("/login")  # a session exists; only the token is missing
        response = await http.post(path, data=FORMS[path])
    assert response.status_code == 403
    assert "送信できませんでした" in response.text


@pytest.mark.parametrize("path", sorted(FORMS))
async def test_a_token_of_another_session_is_refused(lone_portal, path):
    async with client(lone_portal) as mine, client(lone_portal) as theirs:
        await mine.get("/login")
        their_token = csrf_field((await theirs.get("/login")).text)
        response = await mine.post(path, data={**FORMS[path], "csrf_token": their_token})
    assert response.status_code == 403


async def test_the_sessions_own_token_is_accepted(lone_portal):
    async with client(lone_portal) as http:
        token = csrf_field((await http.get("/password/reset")).text)
        response = await http.post(
            "/password/reset", data={"email": "not an address", "csrf_token": token}
        )
    assert response.status_code == 400  # past the CSRF check, to the form's own check
    assert "name@example.jp" in response.text


async def test_the_session_cookie_is_httponly_samesite_lax_and_holds_only_an_id(lone_portal):
    async with client(lone_portal) as http:
        response = await http.get("/login")
    cookie = response.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    value = rest.split(";")[0]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert name == "tsuen_portal_session"
    assert len(value) >= 43  # 32 random bytes
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/" in flags
    # Plain http in the test environment; TSUEN_PORTAL_SECURE_COOKIES defaults to true
    # elsewhere (services/portal/tests/unit/test_settings.py).
    assert "secure" not in flags


async def test_a_page_alone_does_not_start_a_session(lone_portal):
    async with client(lone_portal) as http:
        response = await http.get("/no-such-page")
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "path", ["/login", "/password/set?token=abc", "/password/reset", "/nope", "/"]
)
async def test_every_page_has_the_security_headers(lone_portal, path):
    async with client(lone_portal) as http:
        response = await http.get(path)
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"


async def test_home_without_a_session_goes_to_the_login_page_and_back(lone_portal):
    async with client(lone_portal) as http:
        response = await http.get("/certificates/7a1c0e52-1f0b-4a53-9d6c-000000000101")
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/login?next=%2Fcertificates%2F7a1c0e52-1f0b-4a53-9d6c-000000000101"
    )


async def test_login_never_redirects_to_another_site(lone_portal):
    async with client(lone_portal) as http:
        page = (await http.get("/login?next=https://evil.example/")).text
    assert 'name="next" value="/"' in page


async def test_purge_sessions_deletes_expired_ones_and_their_forms_stop_working(lone):
    async with client(lone.service) as http:
        token = csrf_field((await http.get("/password/reset")).text)
        later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
        purged = await run_command("tsuen-portal", "purge-sessions", "--at", later, env=lone.env)
        assert purged.returncode == 0, purged.stderr
        count = int(purged.stdout.split()[0])
        assert count >= 1  # this anonymous session (2 h) and any other of this module
        response = await http.post(
            "/password/reset", data={"email": "a@example.jp", "csrf_token": token}
        )
    assert response.status_code == 403


async def test_purge_sessions_keeps_live_ones(lone):
    async with client(lone.service) as http:
        token = csrf_field((await http.get("/password/reset")).text)
        purged = await run_command("tsuen-portal", "purge-sessions", env=lone.env)
        assert purged.returncode == 0, purged.stderr
        response = await http.post("/password/reset", data={"email": "x", "csrf_token": token})
    assert response.status_code == 400  # the form's own check: the session is still there
