"""The ASGI middleware that answers a request with an ``Idempotency-Key`` once (the design:
:mod:`tsuen_common.idempotency`), and :func:`enable_idempotency`, which switches it on."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tsuen_common.auth.errors import InvalidToken
from tsuen_common.auth.principal import Principal
from tsuen_common.auth.verifier import TokenVerifier
from tsuen_common.db import database_unavailable
from tsuen_common.edge import ASGIApp, Message, Receive, Scope, Send
from tsuen_common.idempotency.answers import (
    ALREADY_DONE,
    IN_FLIGHT,
    KEY_INVALID,
    PENDING_SECONDS,
    UNAVAILABLE,
    Answer,
    decide,
    fingerprint,
    valid_key,
)
from tsuen_common.idempotency.keys import Claim, DuplicateRequest, claimed, lookup, store
from tsuen_common.logging import get_logger

log = get_logger(__name__)

HEADER = b"idempotency-key"


@dataclass(frozen=True)
class Attempt:
    """What a service's ``recover`` function gets: the request whose first answer was lost."""

    principal: Principal
    method: str
    path: str
    body: bytes


Recover = Callable[[Attempt], Awaitable[tuple[int, Any] | None]]


@dataclass
class IdempotencyConfig:
    engine: AsyncEngine
    recover: Recover | None = None
    pending_seconds: float = PENDING_SECONDS
    ask_first: bool = True
    in_flight: set[tuple[str, str]] = field(default_factory=set)


def enable_idempotency(
    app: FastAPI,
    sessions: async_sessionmaker[AsyncSession],
    *,
    recover: Recover | None = None,
    pending_seconds: float = PENDING_SECONDS,
    ask_first: bool = True,
) -> None:
    """Switch ``Idempotency-Key`` on for every POST of ``app`` (the guard is in every app built
    by :func:`tsuen_common.service.create_app`, idle until this is called).

    ``ask_first=False`` skips the lookup before a request runs (one round trip of two or three
    per keyed request on a hot path): a retry then runs again and meets its first attempt's key
    row when it commits (:class:`DuplicateRequest`) or its effect as a refusal (the booking in
    its way), and either way is answered from that row, as a concurrent duplicate always was.
    Only for services whose POSTs change nothing outside their own database's transactions (no
    mail sent, no other service called before the commit), since a retry runs up to its commit.
    """
    engine = sessions.kw["bind"]
    if not isinstance(engine, AsyncEngine):
        raise TypeError("enable_idempotency: the sessions must be bound to an AsyncEngine")
    app.state.idempotency = IdempotencyConfig(engine, recover, pending_seconds, ask_first)


class IdempotencyGuard:
    """See the module docstring. Plain ASGI; a request without the header costs a dict lookup."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        raw_key = headers.get(HEADER)
        config = getattr(scope["app"].state, "idempotency", None) if "app" in scope else None
        if raw_key is None or not isinstance(config, IdempotencyConfig):
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not valid_key(key):
            await _send(send, KEY_INVALID)
            return
        principal = _principal(scope, headers.get(b"authorization"))
        if principal is None:  # the route answers 401 as it always does
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        request_fingerprint = fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        claim = Claim(principal.subject, key, request_fingerprint)
        flight = (claim.caller, key)
        if flight in config.in_flight:  # a double submit on this worker: no need to ask
            await _send(send, IN_FLIGHT)
            return
        config.in_flight.add(flight)  # before the first await: a twin on this worker sees it
        try:
            await self._once(config, claim, scope, body, principal, receive, send)
        finally:
            config.in_flight.discard(flight)

    async def _once(
        self,
        config: IdempotencyConfig,
        claim: Claim,
        scope: Scope,
        body: bytes,
        principal: Principal,
        receive: Receive,
        send: Send,
    ) -> None:
        attempt = Attempt(principal, scope["method"], scope["path"], body)
        if config.ask_first:
            try:
                earlier = await _answer_from_row(config, claim, attempt)
            except Exception as exc:
                if not _unavailable(exc):
                    raise
                await _send(send, UNAVAILABLE)
                return
            if earlier is not None:
                await _send(send, earlier)
                return
        captured = _Captured()
        try:
            with claimed(claim):
                await self.app(scope, _replay_body(body, receive), captured.send)
        except DuplicateRequest:
            captured.status = 0
        if claim.recorded:
            if captured.status < 500:
                await _store(config, claim, captured)
            await captured.forward(send)
            return
        if captured.status == 0 or captured.status >= 400:
            # Refused, perhaps because a duplicate committed first (its booking is in the way).
            try:
                sibling = await _answer_from_row(config, claim, attempt)
            except Exception as exc:
                if not _unavailable(exc):
                    raise
                sibling = None
            if sibling is not None:
                await _send(send, sibling)
                return
            if captured.status == 0:
                await _send(send, IN_FLIGHT)
                return
        await captured.forward(send)


def _principal(scope: Scope, authorization: bytes | None) -> Principal | None:
    verifier = getattr(scope["app"].state, "token_verifier", None)
    if authorization is None or not isinstance(verifier, TokenVerifier):
        return None
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return verifier.verify(token.strip())
    except InvalidToken:
        return None


async def _answer_from_row(
    config: IdempotencyConfig, claim: Claim, attempt: Attempt
) -> Answer | None:
    stored = await lookup(config.engine, claim.caller, claim.key)
    if stored is None:
        return None
    answer = decide(stored, claim.fingerprint, config.pending_seconds)
    if answer is not None:
        return answer
    recovered = await config.recover(attempt) if config.recover is not None else None
    if recovered is None:
        log.warning("idempotent retry of a request whose answer was lost", path=attempt.path)
        return ALREADY_DONE
    status, content = recovered
    body = json.dumps(jsonable_encoder(content), ensure_ascii=False).encode()
    captured = _Captured(status=status, content_type=b"application/json", chunks=[body])
    await _store(config, claim, captured)
    log.info("answer of an idempotent request recovered after a lost answer", path=attempt.path)
    return Answer(status, body, headers=((b"idempotent-replayed", b"true"),))


async def _store(config: IdempotencyConfig, claim: Claim, captured: _Captured) -> None:
    """Keep the answer with its key. If that fails (the database went away after the commit),
    the answer still goes out; a retry then recovers it like one lost to a crash."""
    try:
        await store(
            config.engine,
            claim.caller,
            claim.key,
            captured.status,
            captured.content_type.decode("latin-1"),
            b"".join(captured.chunks),
        )
    except Exception as exc:
        if not _unavailable(exc):
            raise
        log.warning("could not keep an idempotent answer", error=type(exc).__name__)


def _unavailable(error: BaseException) -> bool:
    return database_unavailable(error) or isinstance(error, PoolTimeout)


@dataclass
class _Captured:
    """The app's answer, held until the key row has it (API answers are small JSON)."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    content_type: bytes = b"application/json"
    chunks: list[bytes] = field(default_factory=list)
    started: bool = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
            for name, value in self.headers:
                if name.lower() == b"content-type":
                    self.content_type = value
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    async def forward(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"".join(self.chunks)})


async def _send(send: Send, answer: Answer) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": answer.status,
            "headers": [
                (b"content-type", answer.content_type.encode("latin-1")),
                (b"content-length", str(len(answer.body)).encode()),
                *answer.headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer.body})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay_body(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
