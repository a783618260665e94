"""What a request with an ``Idempotency-Key`` is answered from its key row: pure decisions."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

PENDING_SECONDS = 10.0
"""How long a key row without an answer counts as still in flight. The answer is stored
milliseconds after the commit; a row without one after this long lost its answer to a crash."""
_KEY = re.compile(r"[\x21-\x7e]{1,200}")


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


UNAVAILABLE = problem(
    503,
    "database_unavailable",
    "the database is unavailable for a moment; please try again",
    "ただいま混み合っているか、一時的に利用できません。しばらくしてから、もう一度お試しください。",
    retry_after=1,
)
