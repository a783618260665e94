from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from tsuen_booking.adapters.group_commit import GROUP_COMMIT, GroupCommit
from tsuen_booking.config import Settings
from tsuen_booking.entrypoints.api import ROUTERS
from tsuen_booking.entrypoints.deps import add_error_handlers
from tsuen_booking.entrypoints.idempotency import recover_with
from tsuen_booking.service_layer.context import Context
from tsuen_common.auth import TokenVerifier, configure_auth
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.idempotency import enable_idempotency
from tsuen_common.messaging import Outbox
from tsuen_common.policy import PolicyRegistry, load_policies
from tsuen_common.service import create_app, dispose_on_shutdown
from tsuen_common.timeutil import now_jst


def build_context(
    settings: Settings,
    *,
    policies: PolicyRegistry | None = None,
    clock: Callable[[], datetime] = now_jst,
    pool_size: int = 10,
    max_overflow: int = 10,
) -> Context:
    engine = make_engine(settings.database_url, pool_size=pool_size, max_overflow=max_overflow)
    ctx = Context(
        sessions=make_sessions(engine),
        outbox=Outbox(producer="booking", topic_prefix=settings.kafka_topic_prefix),
        policies=policies or load_policies(settings.policy_dir),
        clock=clock,
        engine=engine,
    )
    if settings.group_commit_ms is not None:
        ctx.remembered[GROUP_COMMIT] = GroupCommit(engine, settings.group_commit_ms)
    return ctx


def build(
    settings: Settings,
    *,
    verifier: TokenVerifier | None = None,
    policies: PolicyRegistry | None = None,
    clock: Callable[[], datetime] = now_jst,
) -> FastAPI:
    """The app with its dependencies handed in (tests pass their own verifier, policies, clock).

    The server's lifespan closes the database engine; tests without a lifespan close
    ``app.state.ctx`` themselves.
    """
    app = create_app(
        settings,
        title="tsuen booking",
        routers=ROUTERS,
    )
    configure_auth(app, verifier or TokenVerifier.from_settings(settings))
    add_error_handlers(app)
    # The same ceiling of 20 connections per worker as the default pool, all kept open: with 10
    # kept and 10 overflow, a busy server closed and reopened connections all the time (170 new
    # PostgreSQL backends per 3,500 bookings in bench.booking_rush), and each new backend starts,
    # compiles book_use and plans its statements anew (issue 20).
    app.state.ctx = build_context(
        settings, policies=policies, clock=clock, pool_size=20, max_overflow=0
    )
    # Its POSTs change only its own database: a retry need not be looked up before it runs.
    enable_idempotency(
        app, app.state.ctx.sessions, recover=recover_with(app.state.ctx), ask_first=False
    )
    dispose_on_shutdown(app, app.state.ctx.engine)
    return app


def create() -> FastAPI:
    return build(Settings())
