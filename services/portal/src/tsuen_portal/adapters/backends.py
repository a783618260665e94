"""HTTP clients of the services the portal calls on the user's behalf.

Tokens travel only here, server to server; the browser never sees them. Every identity call
carries the browser's address in ``X-Forwarded-For`` so that identity throttles the person, not
the portal.
"""

from __future__ import annotations

import asyncio
import hashlib
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from tsuen_portal.domain.sessions import Account, Tokens


class BackendUnavailable(Exception):
    """A service did not answer or answered 5xx: the page says "try again later"."""


class BackendNotFound(Exception):
    """404 from a service: outside the caller's tenant or not there (the same to us)."""


class BackendUnauthorized(Exception):
    """401 from a service: the access token is no longer good; the guardian logs in again."""


class BackendRefused(Exception):
    """Any other 4xx: the portal asked for something a service does not accept (a bug here,
    or input the page should have checked first). Shown as the "problem" page and logged."""


class InvalidCredentials(Exception):
    pass


@dataclass(frozen=True)
class Locked(Exception):
    retry_after_seconds: int


@dataclass(frozen=True)
class LinkExpired(Exception):
    message_ja: str


@dataclass(frozen=True)
class WeakPassword(Exception):
    message_ja: str


class WrongCode(Exception):
    """The second factor's code was not right."""


class ChallengeOver(Exception):
    """The login waiting for a code expired, was used or ran out of tries: log in again."""


@dataclass(frozen=True)
class SecondFactorAsked:
    """The password was right; identity wants the authenticator app's code. ``secret`` and
    ``otpauth_uri`` are set until the app is enrolled (first login)."""

    challenge: str
    secret: str = ""
    otpauth_uri: str = ""


@dataclass(frozen=True)
class SignIn:
    account: Account
    tokens: Tokens


def _message_ja(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    message = body.get("message_ja")
    if message is None and isinstance(body.get("detail"), dict):
        message = body["detail"].get("message_ja")
    return str(message or "")


def _raise_for_service(response: httpx.Response) -> None:
    if response.status_code >= 500:
        raise BackendUnavailable(f"{response.request.url.path}: {response.status_code}")
    if response.status_code == 401:
        raise BackendUnauthorized(response.request.url.path)
    if response.status_code in (403, 404):
        raise BackendNotFound(response.request.url.path)
    if response.status_code == 429:
        raise BackendUnavailable(f"{response.request.url.path}: 429")
    if response.status_code >= 400:
        raise BackendRefused(f"{response.request.url.path}: {response.status_code}")


class Identity:
    """The identity service's login, token and password endpoints."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def _post(self, path: str, body: dict[str, Any], client_ip: str | None) -> httpx.Response:
        headers = {"X-Forwarded-For": client_ip} if client_ip else {}
        try:
            response = await self._client.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"identity {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise BackendUnavailable(f"identity {path}: {response.status_code}")
        return response

    @staticmethod
    def _sign_in(response: httpx.Response, now: datetime) -> SignIn:
        body = response.json()
        account = Account(
            role=str(body["role"]),
            municipality=body.get("municipality"),
            guardian_id=body.get("guardian_id"),
            facility_id=body.get("facility_id"),
            account_id=body.get("account_id"),
        )
        tokens = Tokens(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            access_expires_at=now + timedelta(seconds=int(body.get("expires_in", 300))),
        )
        return SignIn(account, tokens)

    async def login(
        self, email: str, password: str, client_ip: str | None, now: datetime
    ) -> SignIn | SecondFactorAsked:
        response = await self._post("/v1/login", {"email": email, "password": password}, client_ip)
        if response.status_code == 429:
            raise Locked(int(response.headers.get("Retry-After", "60") or 60))
        if response.status_code == 202:
            body = response.json()
            enrolment = body.get("enrolment") or {}
            return SecondFactorAsked(
                challenge=str(body["challenge"]),
                secret=str(enrolment.get("secret") or ""),
                otpauth_uri=str(enrolment.get("otpauth_uri") or ""),
            )
        if response.status_code != 200:
            raise InvalidCredentials()
        return self._sign_in(response, now)

    async def second_factor(
        self, challenge: str, code: str, client_ip: str | None, now: datetime
    ) -> SignIn:
        """The code for a login's challenge: WrongCode (401), ChallengeOver (410), Locked."""
        response = await self._post(
            "/v1/login/second-factor", {"challenge": challenge, "code": code}, client_ip
        )
        if response.status_code == 429:
            raise Locked(int(response.headers.get("Retry-After", "60") or 60))
        if response.status_code in (404, 410):
            raise ChallengeOver()
        if response.status_code != 200:
            raise WrongCode()
        return self._sign_in(response, now)

    async def refresh(self, refresh_token: str, client_ip: str | None, now: datetime) -> SignIn:
        response = await self._post(
            "/v1/token/refresh", {"refresh_token": refresh_token}, client_ip
        )
        if response.status_code != 200:
            raise BackendUnauthorized("refresh refused")
        return self._sign_in(response, now)

    async def logout(self, refresh_token: str, client_ip: str | None) -> None:
        await self._post("/v1/logout", {"refresh_token": refresh_token}, client_ip)

    async def check_link(self, token: str, client_ip: str | None) -> str:
        """The link's purpose ("set" or "reset") while it still works; LinkExpired if not."""
        response = await self._post("/v1/password/check-link", {"token": token}, client_ip)
        if response.status_code != 200:
            raise LinkExpired(_message_ja(response))
        return str(response.json().get("purpose", "set"))

    async def set_password(self, token: str, password: str, client_ip: str | None) -> None:
        response = await self._post(
            "/v1/password/set", {"token": token, "password": password}, client_ip
        )
        if response.status_code in (200, 204):
            return
        if response.status_code == 422:
            raise WeakPassword(_message_ja(response))
        raise LinkExpired(_message_ja(response))  # 410, or a token identity does not know

    async def request_reset(self, email: str, client_ip: str | None) -> None:
        response = await self._post("/v1/password/reset-request", {"email": email}, client_ip)
        if response.status_code == 429:
            raise Locked(int(response.headers.get("Retry-After", "60") or 60))


# The form being submitted, known by its CSRF token: masked afresh on every page, so it names
# one rendered form. The services' POSTs made for it carry an Idempotency-Key derived from it:
# a double submit, or the portal's own retry after a lost answer, is one booking (issue 18).
_form: ContextVar[str | None] = ContextVar("tsuen_portal_form", default=None)
# A retry of a keyed POST whose answer did not come (the service restarting, a timeout): the
# key makes it safe; the waits are short, a person is looking at the page.
RETRY_WAITS_SECONDS = (0.5, 1.0)
# A second submit while the first is still being carried out waits for the first one's answer.
IN_FLIGHT_WAITS = 5


def submitting(form_token: str) -> None:
    """The request is submitting the form with this CSRF token (set when the form is read)."""
    _form.set(form_token)


def idempotency_key(form_token: str, method: str, path: str) -> str:
    """One key per form and call: a page that makes several calls gives each its own."""
    digest = hashlib.sha256(f"{form_token}\0{method}\0{path}".encode()).hexdigest()
    return f"portal-{digest[:40]}"


def _in_flight(response: httpx.Response) -> bool:
    if response.status_code != 409:
        return False
    try:
        return bool(response.json().get("code") == "idempotency_in_flight")
    except ValueError:
        return False


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "1")
    return min(5.0, float(value)) if value.isdigit() else 1.0


class ServiceApi:
    """One of the platform's JSON APIs, called with the guardian's access token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def get(self, path: str, token: str, params: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._client.get(
                path, params=params, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{path}: {type(exc).__name__}") from exc
        _raise_for_service(response)
        return response.json()

    async def open_stream(
        self, path: str, token: str, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A GET whose body is passed on as it arrives (a CSV download): the open response,
        which the caller closes; refusals raise as ``get`` does, before anything is sent."""
        request = self._client.build_request(
            "GET", path, params=params, headers={"Authorization": f"Bearer {token}"}
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{path}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            await response.aclose()
            _raise_for_service(response)
        return response

    async def send(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """A call whose refusals (4xx but 401) the page explains itself: the response as it
        came; BackendUnavailable for 5xx, 429 or no answer, BackendUnauthorized for 401.
        ``token=None`` for public endpoints (利用申請)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        form = _form.get()
        if form is None or method != "POST" or not token:
            try:
                response = await self._client.request(
                    method, path, json=json, params=params, headers=headers
                )
            except httpx.HTTPError as exc:
                raise BackendUnavailable(f"{path}: {type(exc).__name__}") from exc
        else:
            headers["Idempotency-Key"] = idempotency_key(form, method, path)
            response = await self._keyed(path, json, params, headers)
        if response.status_code >= 500 or response.status_code == 429:
            raise BackendUnavailable(f"{path}: {response.status_code}")
        if response.status_code == 401 and token:
            raise BackendUnauthorized(path)
        return response

    async def _keyed(
        self, path: str, json: Any, params: dict[str, Any] | None, headers: dict[str, str]
    ) -> httpx.Response:
        """A POST with an Idempotency-Key: asked again while its answer is lost or another
        submit of the same form is still being carried out (the service answers the first)."""
        waits = list(RETRY_WAITS_SECONDS)
        in_flight = IN_FLIGHT_WAITS
        while True:
            try:
                response = await self._client.post(path, json=json, params=params, headers=headers)
            except httpx.TransportError as exc:
                if not waits:
                    raise BackendUnavailable(f"{path}: {type(exc).__name__}") from exc
                await asyncio.sleep(waits.pop(0))
                continue
            except httpx.HTTPError as exc:
                raise BackendUnavailable(f"{path}: {type(exc).__name__}") from exc
            if response.status_code == 503 and waits:
                await asyncio.sleep(waits.pop(0))
                continue
            if _in_flight(response) and in_flight > 0:
                in_flight -= 1
                await asyncio.sleep(_retry_after(response))
                continue
            return response
