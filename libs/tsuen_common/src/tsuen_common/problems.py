"""The error body every service answers with, and the OpenAPI ``responses`` that declare it.

Every 4xx/5xx of a tsuen API is a JSON object with ``detail`` (for a developer: a sentence, or
FastAPI's list of field errors on a 422) and, where a person sees the answer, a stable
``code`` and a Japanese ``message_ja``. :func:`error_responses` declares the statuses a route
can answer with, so its OpenAPI document is complete (schemathesis's
``status_code_conformance`` and ``response_schema_conformance`` check it):

    @router.post("/check-ins", responses=error_responses(400, 401, 403, 404, 409, 410, 413, 422))
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """A refusal: what went wrong, for a developer and (``message_ja``) for a person."""

    detail: str | list[dict[str, Any]] = Field(
        description="what went wrong; FastAPI's list of field errors for a malformed request"
    )
    code: str | None = Field(default=None, description="stable machine-readable reason")
    message_ja: str | None = Field(default=None, description="利用者に示す日本語のメッセージ")


DESCRIPTIONS: dict[int, str] = {
    400: "the request cannot be carried out as sent (e.g. an unreadable 2D code)",
    401: "no bearer token, or a token that does not verify",
    403: "the caller's role or tenant may not do this",
    404: "nothing of that id within the caller's tenant",
    409: "conflicts with the current state (e.g. already done, a full slot)",
    410: "no longer valid (an expired code or link)",
    413: "the request body is larger than this route takes",
    422: "a malformed request: a field error, or a control character in the text",
    429: "too many requests (see Retry-After)",
    503: "the database is unavailable for a moment (see Retry-After)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a FastAPI route: each status with :class:`ErrorBody`."""
    return {
        status: {"model": ErrorBody, "description": DESCRIPTIONS.get(status, "refused")}
        for status in statuses
    }
