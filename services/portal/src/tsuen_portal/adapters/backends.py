"""HTTP clients of the services the portal calls on the user's behalf.

Tokens travel only here, server to server; the browser never sees them. Every identity call
carries the browser's address in ``X-Forwarded-For`` so that identity throttles the person, not
the portal.
"""

from __future__ import annotations

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
        )
        tokens = Tokens(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            access_expires_at=now + timedelta(seconds=int(body.get("expires_in", 300))),
        )
        return SignIn(account, tokens)

    async def login(
        self, email: str, password: str, client_ip: str | None, now: datetime
    ) -> SignIn:
        response = await self._post("/v1/login", {"email": email, "password": password}, client_ip)
        if response.status_code == 429:
            raise Locked(int(response.headers.get("Retry-After", "60") or 60))
        if response.status_code != 200:
            raise InvalidCredentials()
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
        try:
            response = await self._client.request(
                method, path, json=json, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{path}: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise BackendUnavailable(f"{path}: {response.status_code}")
        if response.status_code == 401 and token:
            raise BackendUnauthorized(path)
        return response
