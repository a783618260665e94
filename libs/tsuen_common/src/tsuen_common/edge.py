"""What every HTTP answer and request goes through at the edge, in every service.

- **Body size, enforced while reading.** A ``Content-Length`` over the limit is refused before
  a byte is read, and a chunked body is counted as it arrives, so no client can make a service
  buffer more than the limit (issue 12: a 20 MiB JSON body was read whole before).
- **No NUL in text.** PostgreSQL cannot store U+0000 and answered with a 500; a query string or
  JSON body carrying one is refused with 422 before any handler runs. Other control
  characters are refused field by field (``tsuen_common.text``).
- **Only JSON that can be stored and answered.** Python reads more than JSON allows: an
  unpaired surrogate escape (``"\\ud800"``, not a character: PostgreSQL and every JSON answer
  fail to encode it), ``NaN``/``Infinity`` or a number too large for a float (``1e999``), and
  arrays nested deeper than the parser's recursion limit. Each gave a 500 (issue 12, found by
  schemathesis); each is refused with 422 and a message. Every JSON media type FastAPI
  parses is checked (``application/json``, ``application/*+json``, in any letter case).
- **Headers on every answer.** ``X-Content-Type-Options: nosniff``; ``Cache-Control: no-store``
  unless the route chose its own (API answers carry children's and families' data, and a
  shared proxy or a phone's back button must not keep them); HSTS when served over TLS.

It is a plain ASGI middleware (no Starlette ``BaseHTTPMiddleware``): it costs the hot paths a
dictionary lookup, not a task per request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
HSTS = b"max-age=31536000; includeSubDomains"
# A JSON escape of NUL: \u0000 after an even number of backslashes ("\\u0000" is text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\[uU]0000")


class BodyTooLarge(Exception):
    pass


def query_has_control_characters(raw_query: bytes) -> bool:
    """A NUL or other C0 control character anywhere in the decoded query string."""
    decoded = unquote_to_bytes(raw_query)
    return any(b < 0x20 or b == 0x7F for b in decoded)


def json_body_has_nul(body: bytes) -> bool:
    return b"\x00" in body or _JSON_NUL.search(body) is not None


# (code, detail, message_ja) of a JSON body that parses but cannot be stored or answered.
_UNPAIRED_SURROGATE = (
    "invalid_character",
    "the request contains an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF), "
    "which is not a character; send the text as UTF-8",
    "入力に文字として扱えないデータ（対になっていないサロゲート）が含まれています。"
    "入力し直してください。",
)
_NOT_FINITE = (
    "invalid_number",
    "a number in the request is not finite (NaN, Infinity, or too large for a float)",
    "数値が大きすぎるか、数値として扱えない値です。正しい数値を入力してください。",
)
_TOO_DEEP = (
    "too_deep",
    "the JSON in the request is nested too deeply",
    "送信されたデータの形式が正しくありません（入れ子が深すぎます）。",
)


def json_body_problem(body: bytes) -> tuple[str, str, str] | None:
    """Why a JSON body that Python parses cannot be taken: (code, detail, message_ja).

    None for a body that is fine, and for one that is not JSON at all (the route's own
    validation answers that with its 422).
    """
    try:
        value = json.loads(body)
    except RecursionError:
        return _TOO_DEEP
    except ValueError:  # not JSON, or not UTF-8: the route refuses it
        return None
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        return _UNPAIRED_SURROGATE
    except ValueError:
        return _NOT_FINITE
    except RecursionError:
        return _TOO_DEEP
    return None


def is_json_content_type(content_type: bytes) -> bool:
    """What FastAPI parses as JSON: application/json and application/*+json, any case."""
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _problem(status: int, code: str, detail: str, message_ja: str) -> tuple[int, bytes]:
    body = {"detail": detail, "code": code, "message_ja": message_ja}
    return status, json.dumps(body, ensure_ascii=False).encode()


async def _answer(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class EdgeGuard:
    """Body limit, NUL refusal and the common response headers (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        path_limits: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # (path regex, limit), first match wins: the few routes that take files (attachments,
        # CSV imports) get more than the default.
        self.path_limits = [(re.compile(pattern), limit) for pattern, limit in path_limits]

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.path_limits:
            if pattern.fullmatch(path):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _common_headers(scope)
        if query_has_control_characters(scope.get("query_string", b"")):
            status, body = _problem(
                422,
                "control_character",
                "the query string contains a control character (NUL, CR, LF…); remove it",
                "検索条件に制御文字（NUL・改行など）が含まれています。取り除いてください。",
            )
            await _answer(send, status, body, headers)
            return
        limit = self.limit_for(scope["path"])
        request_headers = dict(scope.get("headers") or ())
        length = request_headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _answer(send, *_too_large(limit), headers)
            return
        content_type = request_headers.get(b"content-type", b"")
        is_json = is_json_content_type(content_type)
        try:
            receive = await _guarded_receive(receive, limit=limit, buffer=is_json)
        except BodyTooLarge:
            await _answer(send, *_too_large(limit), headers)
            return
        except _NulInBody:
            status, body = _problem(
                422,
                "control_character",
                "the request contains a NUL character (U+0000); remove it",
                "入力に制御文字（NUL）が含まれています。取り除いてください。",
            )
            await _answer(send, status, body, headers)
            return
        except _UnusableJson as exc:
            status, body = _problem(422, *exc.problem)
            await _answer(send, status, body, headers)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((n, v) for n, v in headers if n not in present),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except BodyTooLarge:
            # A streamed (multipart, chunked) body went over the limit while the route read it.
            if started:
                raise
            await _answer(send, *_too_large(limit), headers)


class _NulInBody(Exception):
    pass


class _UnusableJson(Exception):
    def __init__(self, problem: tuple[str, str, str]) -> None:
        super().__init__(problem[0])
        self.problem = problem


def _too_large(limit: int) -> tuple[int, bytes]:
    size = f"{limit // 1024} KiB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MiB"
    return _problem(
        413,
        "too_large",
        f"the request body is larger than {size}",
        f"送信されたデータが大きすぎます（上限 {size}）。",
    )


def _common_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store")]
    if scope.get("scheme") == "https":
        headers.append((b"strict-transport-security", HSTS))
    return headers


async def _guarded_receive(receive: Receive, *, limit: int, buffer: bool) -> Receive:
    """A JSON body is read here (it is small and must be checked whole); others are counted."""
    if buffer:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: hand the disconnect on as it came.
                return _replay([message])
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if json_body_has_nul(body):
            raise _NulInBody()
        problem = json_body_problem(body) if body else None
        if problem is not None:
            raise _UnusableJson(problem)
        return _replay([{"type": "http.request", "body": body, "more_body": False}], receive)

    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return counted


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        if then is None:
            return {"type": "http.disconnect"}
        return await then()

    return replay
