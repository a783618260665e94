"""``Idempotency-Key``: a retried POST gets the first answer, never a second effect (issue 18).

A client whose answer was lost (timeout, dropped connection, a crash on either side) cannot know
whether its booking or cancellation happened. It sends the same request again with the same
``Idempotency-Key`` header, and gets:

- the first answer again (status and body, ``Idempotent-Replayed: true``) when the first attempt
  changed something;
- 422 ``idempotency_key_reused`` when the key was used for a different request (method, path,
  query or body differ);
- 409 ``idempotency_in_flight`` with ``Retry-After`` while the first attempt is still running;
- the request carried out, as if new, when the first attempt changed nothing (a refusal, a
  database outage): nothing is remembered for those, so nothing stands in the way.

Keys are scoped to the caller (the verified token's subject): one caller cannot read another's
answer. A request without a key, or without a token that verifies, is served as before.

How a crash cannot break it: **the key is recorded in the same transaction as the state
change.** :class:`IdempotencyGuard` (an ASGI middleware) puts a :class:`Claim` in a context
variable; a ``before_commit`` listener on every SQLAlchemy session inserts the key row in the
committing transaction, if that transaction wrote anything (``txid_current_if_assigned()``).
So the row exists exactly when the effect does:

- a duplicate arriving at the same time cannot commit a second effect: its own key insert finds
  the first one's row (PostgreSQL makes it wait for the first to commit), raises
  :class:`DuplicateRequest`, and its transaction rolls back whole; the guard then answers it
  from the first one's row;
- a duplicate refused by the domain (409 "overlapping booking": the first one's booking is in
  its way) is answered from the first one's row too: on any refusal the guard looks for a row
  under its key before letting the refusal out;
- the answer itself is stored in a second, small statement right after the handler returns. A
  crash between the commit and that statement leaves a row without an answer. Once
  ``pending_seconds`` have passed (the first attempt is surely gone), a retry asks the service's
  ``recover`` function for an equivalent answer (booking: the booking it made, 201); a service
  without one answers 409 ``idempotency_already_done`` ("この操作はすでに完了しています").

Rows are kept for a day (:data:`KEEP`) and deleted by ``tsuen-<service> purge-idempotency-keys``
(a CronJob per service). A service switches this on with a table in its own database (its
Alembic migration calls :func:`create_idempotency_table`) and :func:`enable_idempotency`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from sqlalchemy import event
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from tsuen_common.auth.tokens import InvalidToken, Principal, TokenVerifier
from tsuen_common.db import database_unavailable
from tsuen_common.edge import ASGIApp, Message, Receive, Scope, Send
from tsuen_common.logging import get_logger
from tsuen_common.settings import ServiceSettings

log = get_logger(__name__)

HEADER = b"idempotency-key"
KEEP = timedelta(days=1)
PENDING_SECONDS = 10.0
"""How long a key row without an answer counts as still in flight. The answer is stored
milliseconds after the commit; a row without one after this long lost its answer to a crash."""
_KEY = re.compile(r"[\x21-\x7e]{1,200}")
TABLE_NAME = "idempotency_keys"

_TABLE = sa.table(
    TABLE_NAME,
    sa.column("caller"),
    sa.column("key"),
    sa.column("fingerprint"),
    sa.column("created_at"),
    sa.column("status"),
    sa.column("content_type"),
    sa.column("body", sa.LargeBinary),
)

# One round trip at commit: record the key only if the transaction wrote something.
_RECORD = sa.text(
    """
    WITH wrote AS (SELECT txid_current_if_assigned() IS NOT NULL AS wrote),
    recorded AS (
        INSERT INTO idempotency_keys (caller, key, fingerprint)
        SELECT :caller, :key, :fingerprint FROM wrote WHERE wrote.wrote
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT wrote FROM wrote) AS wrote, (SELECT count(*) FROM recorded) AS recorded
    """
)
# The lookup and the stored answer run on a raw asyncpg connection, outside a transaction: one
# round trip each, where a SQLAlchemy session would add BEGIN and COMMIT/ROLLBACK.
_LOOKUP = (
    "SELECT fingerprint, status, content_type, body, "
    "extract(epoch FROM now() - created_at)::float8 AS age_seconds "
    "FROM idempotency_keys WHERE caller = $1 AND key = $2"
)
_STORE = (
    "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 "
    "WHERE caller = $1 AND key = $2 AND status IS NULL"
)
_PURGE = sa.text(
    "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => :s)"
)


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("caller", sa.Text(), primary_key=True),
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
            index=True,
        ),
        sa.Column("status", sa.SmallInteger(), nullable=True),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
    ]


def add_idempotency_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(TABLE_NAME, metadata, *_columns())


def create_idempotency_table() -> None:
    """For a service's Alembic migration."""
    from alembic import op

    op.create_table(TABLE_NAME, *_columns())


def drop_idempotency_table() -> None:
    from alembic import op

    op.drop_table(TABLE_NAME)


# -- recording the key in the state change's own transaction ------------------------------------


@dataclass
class Claim:
    caller: str
    key: str
    fingerprint: str
    recorded: bool = False


_claim: ContextVar[Claim | None] = ContextVar("tsuen_idempotency_claim", default=None)


class DuplicateRequest(Exception):
    """Another request with the same caller and key committed first; this one rolls back."""


@event.listens_for(Session, "before_commit")
def _record_key(session: Session) -> None:
    claim = _claim.get()
    if claim is None or claim.recorded:
        return
    params = {"caller": claim.caller, "key": claim.key, "fingerprint": claim.fingerprint}
    wrote, recorded = session.connection().execute(_RECORD, params).one()
    if not wrote:
        return  # a read-only transaction: nothing to guard
    if not recorded:
        raise DuplicateRequest(f"idempotency key {claim.key!r} was used by a committed request")
    claim.recorded = True


async def fetchrow(conn: asyncpg.Connection, query: str, *args: Any) -> asyncpg.Record | None:
    """``conn.fetchrow`` for a hot path that runs one statement as its own transaction on a
    raw asyncpg connection (booking's ``book_use`` call): with a key pending, the key row is
    inserted by the same statement when it returns a row, so both commit or neither does. A
    second request under the same key fails the whole statement on the key's primary key
    (nothing it did is kept) and raises :class:`DuplicateRequest`."""
    claim = _claim.get()
    if claim is None or claim.recorded:
        return await conn.fetchrow(query, *args)
    n = len(args)
    recording = (
        f"WITH done AS ({query}), recorded AS ("  # noqa: S608 - the caller's own constant
        f"INSERT INTO {TABLE_NAME} (caller, key, fingerprint) "
        f"SELECT ${n + 1}::text, ${n + 2}::text, ${n + 3}::text "
        "WHERE EXISTS (SELECT 1 FROM done)) SELECT * FROM done"
    )
    try:
        row = await conn.fetchrow(recording, *args, claim.caller, claim.key, claim.fingerprint)
    except asyncpg.UniqueViolationError as error:
        if error.table_name != TABLE_NAME:
            raise
        duplicate = f"idempotency key {claim.key!r} was used by a committed request"
        raise DuplicateRequest(duplicate) from None
    if row is not None:
        claim.recorded = True
    return row


# -- decisions (pure) ----------------------------------------------------------------------------


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def valid_key(key: str) -> bool:
    """1 to 200 printable ASCII characters (a UUID is what clients send)."""
    return _KEY.fullmatch(key) is not None


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    status: int | None
    content_type: str | None
    body: bytes | None
    age_seconds: float


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[bytes, bytes], ...] = ()


def problem(
    status: int, code: str, detail: str, message_ja: str, *, retry_after: int | None = None
) -> Answer:
    body = json.dumps(
        {"detail": detail, "code": code, "message_ja": message_ja}, ensure_ascii=False
    ).encode()
    headers = ((b"retry-after", str(retry_after).encode()),) if retry_after is not None else ()
    return Answer(status, body, headers=headers)


KEY_INVALID = problem(
    422,
    "idempotency_key_invalid",
    "the Idempotency-Key header must be 1 to 200 printable ASCII characters (e.g. a UUID)",
    "送信の識別子（Idempotency-Key）の形式が正しくありません。",
)
KEY_REUSED = problem(
    422,
    "idempotency_key_reused",
    "this Idempotency-Key was already used for a different request; use a new key",
    "この送信の識別子は別の内容の送信ですでに使われています。画面を開き直して、もう一度お試しください。",
)
IN_FLIGHT = problem(
    409,
    "idempotency_in_flight",
    "a request with this Idempotency-Key is still being carried out; try again shortly",
    "同じ送信を処理しています。少し待ってから結果をご確認ください。",
    retry_after=1,
)
ALREADY_DONE = problem(
    409,
    "idempotency_already_done",
    "a request with this Idempotency-Key was carried out before, but its answer was lost",
    "この操作はすでに完了しています。一覧で結果をご確認ください。",
)


def replay(stored: Stored) -> Answer:
    assert stored.status is not None
    return Answer(
        stored.status,
        stored.body or b"",
        stored.content_type or "application/json",
        headers=((b"idempotent-replayed", b"true"),),
    )


def decide(stored: Stored, request_fingerprint: str, pending_seconds: float) -> Answer | None:
    """The answer a request gets from a key row; None: the first answer is lost (recover)."""
    if stored.fingerprint != request_fingerprint:
        return KEY_REUSED
    if stored.status is not None:
        return replay(stored)
    if stored.age_seconds < pending_seconds:
        return IN_FLIGHT
    return None


# -- the middleware ------------------------------------------------------------------------------


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
    in_flight: set[tuple[str, str]] = field(default_factory=set)


def enable_idempotency(
    app: FastAPI,
    sessions: async_sessionmaker[AsyncSession],
    *,
    recover: Recover | None = None,
    pending_seconds: float = PENDING_SECONDS,
) -> None:
    """Switch ``Idempotency-Key`` on for every POST of ``app`` (the guard is in every app built
    by :func:`tsuen_common.service.create_app`, idle until this is called)."""
    engine = sessions.kw["bind"]
    if not isinstance(engine, AsyncEngine):
        raise TypeError("enable_idempotency: the sessions must be bound to an AsyncEngine")
    app.state.idempotency = IdempotencyConfig(engine, recover, pending_seconds)


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
        token = _claim.set(claim)
        captured = _Captured()
        try:
            await self.app(scope, _replay_body(body, receive), captured.send)
        except DuplicateRequest:
            captured.status = 0
        finally:
            _claim.reset(token)
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
    async with _connection(config.engine) as conn:
        row = await conn.fetchrow(_LOOKUP, claim.caller, claim.key)
    if row is None:
        return None
    stored = Stored(row[0], row[1], row[2], row[3], float(row[4]))
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
        async with _connection(config.engine) as conn:
            await conn.execute(
                _STORE,
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


@asynccontextmanager
async def _connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection from the service's pool, outside any transaction."""
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert isinstance(raw, asyncpg.Connection)
        try:
            yield raw
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
            await conn.invalidate()  # a connection that died under the call is not reused
            raise


def _unavailable(error: BaseException) -> bool:
    return database_unavailable(error) or isinstance(error, PoolTimeout)


UNAVAILABLE = problem(
    503,
    "database_unavailable",
    "the database is unavailable for a moment; please try again",
    "ただいま混み合っているか、一時的に利用できません。しばらくしてから、もう一度お試しください。",
    retry_after=1,
)


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


# -- purge ---------------------------------------------------------------------------------------


async def purge(sessions: async_sessionmaker[AsyncSession], keep: timedelta = KEEP) -> int:
    """Delete key rows older than ``keep``; the number deleted."""
    async with sessions() as session, session.begin():
        result = await session.execute(_PURGE, {"s": keep.total_seconds()})
    return int(getattr(result, "rowcount", 0) or 0)


def purge_command(settings: ServiceSettings, args: list[str]) -> int:
    """``tsuen-<service> purge-idempotency-keys``: for a CronJob (idempotent)."""
    parser = argparse.ArgumentParser(
        prog=f"tsuen-{settings.service_name} purge-idempotency-keys",
        description="Delete Idempotency-Key rows older than a day.",
    )
    parser.add_argument("--keep-hours", type=float, default=KEEP.total_seconds() / 3600)
    opts = parser.parse_args(args)
    from tsuen_common.db import make_engine, make_sessions

    async def run() -> int:
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
        try:
            return await purge(make_sessions(engine), timedelta(hours=opts.keep_hours))
        finally:
            await engine.dispose()

    deleted = asyncio.run(run())
    print(f"idempotency keys: {deleted} deleted")
    return 0


PURGE_COMMAND: tuple[str, Callable[[ServiceSettings, list[str]], int]] = (
    "delete Idempotency-Key answers older than a day",
    purge_command,
)
