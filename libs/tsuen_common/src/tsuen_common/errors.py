"""One hierarchy of refusals and one mapping to HTTP for every service (issue 14).

A use case raises the kind of problem it met; :func:`install_error_handler` (called by
:func:`tsuen_common.service.create_app`) answers it with its status and the shared body of
:class:`tsuen_common.problems.ErrorBody`::

    {"detail": "<English, for a developer>", "code": "<stable reason>", "message_ja": "<日本語>"}

Every class carries a polite Japanese default (what happened, what to do); a raise site that
knows more passes its own ``message_ja``. A service keeps its own names by subclassing these
(``class NotFound(BookingError, errors.NotFound)``), so ``except BookingError`` still works.
The message (English and Japanese) never carries personal data: it is shown and logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # the domain modules that subclass these stay free of the web framework
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse


class ServiceError(Exception):
    """Base of every refusal a tsuen API answers with a 4xx (or a 503)."""

    status: ClassVar[int] = 400
    code: str = "refused"
    message_ja: str = (
        "この操作は受け付けられませんでした。内容をご確認のうえ、もう一度お試しください。"
    )

    def __init__(
        self, message: str, *, message_ja: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        if message_ja is not None:
            self.message_ja = message_ja
        if code is not None:
            self.code = code


class NotFound(ServiceError):
    """Nothing of that id within the caller's tenant (another tenant's record looks absent)."""

    status = 404
    code = "not_found"
    message_ja = (
        "お探しの情報が見つかりませんでした。削除されたか、表示する権限がない可能性があります。"
        "画面を更新して、もう一度お試しください。"
    )


class Conflict(ServiceError):
    """Clashes with the current state: already done, no place left, changed meanwhile."""

    status = 409
    code = "conflict"
    message_ja = "現在の状態では、この操作はできません。画面を更新して最新の状態をご確認ください。"


class Gone(ServiceError):
    """No longer valid: an expired or used link or code."""

    status = 410
    code = "gone"
    message_ja = (
        "このリンクの有効期限が切れたか、すでに使用されています。もう一度お手続きください。"
    )


class Invalid(ServiceError):
    """Can never succeed as sent (beyond schema validation): a closed day, a wrong step."""

    status = 422
    code = "invalid"
    message_ja = "入力内容に誤りがあります。内容をご確認のうえ、もう一度お試しください。"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"
    message_ja = "送信されたデータが大きすぎます。サイズを小さくして、もう一度お試しください。"


class UnsupportedType(ServiceError):
    status = 415
    code = "unsupported_type"
    message_ja = "この形式のファイルは受け付けられません。PDF または画像でお送りください。"


class Forbidden(ServiceError):
    """The caller's role or tenant may not do this."""

    status = 403
    code = "forbidden"
    message_ja = "この操作を行う権限がありません。ログインしているアカウントをご確認ください。"


class Unavailable(ServiceError):
    """A dependency is down for a moment; the client may retry (Retry-After)."""

    status = 503
    code = "unavailable"
    message_ja = (
        "ただいま混み合っているか、一時的に利用できません。"
        "しばらくしてから、もう一度お試しください。"
    )


# What a person reads for the refusals FastAPI and the auth layer raise themselves.
UNAUTHORIZED_JA = (
    "ログインの有効期限が切れたか、ログインしていません。もう一度ログインしてください。"
)
FORBIDDEN_JA = Forbidden.message_ja
DATABASE_UNAVAILABLE_JA = Unavailable.message_ja


def error_body(detail: object, code: str | None, message_ja: str | None) -> dict[str, object]:
    """The shared body (:class:`tsuen_common.problems.ErrorBody`) as a JSON object."""
    return {"detail": detail, "code": code, "message_ja": message_ja}


async def _refusal(_request: Request, exc: Exception) -> JSONResponse:
    from fastapi.responses import JSONResponse

    assert isinstance(exc, ServiceError)
    headers = {"Retry-After": "1"} if exc.status == 503 else None
    return JSONResponse(
        status_code=exc.status,
        content=error_body(str(exc), exc.code, exc.message_ja),
        headers=headers,
    )


async def _malformed(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 (``detail``: its list of field errors, as before) with a code and a
    Japanese message, like every other refusal."""
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        status_code=422,
        content=error_body(jsonable_encoder(exc.errors()), "invalid_request", Invalid.message_ja),
    )


def install_error_handler(app: FastAPI) -> None:
    """Answer every :class:`ServiceError` with its status and the shared body, and a malformed
    request (FastAPI's 422) with the same body."""
    from fastapi.exceptions import RequestValidationError

    app.add_exception_handler(ServiceError, _refusal)
    app.add_exception_handler(RequestValidationError, _malformed)


def all_error_classes(base: type[ServiceError] = ServiceError) -> list[type[ServiceError]]:
    """``base`` and every subclass of it that is imported (for the test that every refusal
    has a Japanese message)."""
    found: list[type[ServiceError]] = []
    todo = [base]
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.append(cls)
            todo.extend(cls.__subclasses__())
    return found
