from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from tsuen_common.auth import TokenVerifier, configure_auth
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.errors import error_body
from tsuen_common.idempotency import enable_idempotency
from tsuen_common.messaging import Outbox
from tsuen_common.policy import load_policies
from tsuen_common.ratelimit import RateLimited
from tsuen_common.service import create_app, dispose_on_shutdown
from tsuen_common.timeutil import now_jst
from tsuen_eligibility.config import Settings
from tsuen_eligibility.domain.lottery import LotteryError
from tsuen_eligibility.entrypoints import (
    changes,
    family_support,
    imports,
    lottery_entries,
    profiles,
    stats,
)
from tsuen_eligibility.entrypoints.api import ROUTERS
from tsuen_eligibility.service_layer.context import Eligibility

# Use-case errors are the shared kinds (tsuen_common.errors): create_app answers them.
LOTTERY_INPUT_JA = (
    "抽選の条件に誤りがあります（定員が負の数、または同じ申請が二重に含まれています）。"
    "公開された内容をそのまま入力してください。"
)


async def _rate_limited(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    return JSONResponse(
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        content=error_body(str(exc), "rate_limited", exc.message_ja),
        headers={"Retry-After": str(exc.retry_after_seconds)},
    )


async def _lottery_error(_request: Request, exc: Exception) -> JSONResponse:
    """A replayed draw's inputs that no draw accepts (a negative number of places, an
    application twice on the list)."""
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content=error_body(str(exc), "lottery_input_invalid", LOTTERY_INPUT_JA),
    )


def body_limits(settings: Settings) -> list[tuple[str, int]]:
    """Routes that take more than the default body (tsuen_common.edge): files and lists.

    The form's limit fits the attachment rules (base64 grows by 4/3), so the per-file check
    in the use case gives the precise message; registry imports are whole extracts; a replay
    carries a round's published applicant list.
    """
    per_file = settings.attachment_max_bytes * 4 // 3 + 4096
    form = max(1, settings.attachment_max_count) * per_file + 1024 * 1024
    return [
        (r"/v1/municipalities/[^/]+/applications(/multipart)?", form),
        (r"/v1/municipalities/[^/]+/(resident-records|enrollments)(/csv)?", 20 * 1024 * 1024),
        (r"/v1/municipalities/[^/]+/imports/[^/]+(/preview)?", 20 * 1024 * 1024),
        (r"/v1/lottery/replay", 16 * 1024 * 1024),
    ]


def build_app(settings: Settings, *, clock: Callable[[], datetime] = now_jst) -> FastAPI:
    app = create_app(
        settings,
        title="tsuen eligibility",
        routers=(
            *ROUTERS,
            *profiles.ROUTERS,
            *lottery_entries.ROUTERS,
            *changes.ROUTERS,
            *stats.ROUTERS,
            *imports.ROUTERS,
            *family_support.ROUTERS,
        ),
        body_limits=body_limits(settings),
    )
    configure_auth(app, TokenVerifier.from_settings(settings))
    engine = make_engine(settings.database_url)
    app.state.engine = engine
    app.state.eligibility = Eligibility(
        sessions=make_sessions(engine),
        outbox=Outbox(producer="eligibility", topic_prefix=settings.kafka_topic_prefix),
        policies=load_policies(settings.policy_dir),
        settings=settings,
        clock=clock,
    )
    enable_idempotency(app, app.state.eligibility.sessions)
    app.add_exception_handler(LotteryError, _lottery_error)
    app.add_exception_handler(RateLimited, _rate_limited)
    dispose_on_shutdown(app, engine)
    return app


def create() -> FastAPI:
    return build_app(Settings())
