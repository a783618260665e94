"""What every service process does the same way: the HTTP app shell and the command line.

``tsuen-<service> serve|migrate|relay|consume`` is the same in every service; only the service's own
routers, consumers and migrations differ.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_common.db import DATABASE_UNAVAILABLE, database_unavailable
from tsuen_common.edge import EdgeGuard
from tsuen_common.errors import DATABASE_UNAVAILABLE_JA, error_body, install_error_handler
from tsuen_common.idempotency import IdempotencyGuard
from tsuen_common.logging import configure_logging, get_logger
from tsuen_common.messaging.worker import ConsumerWorker
from tsuen_common.migrations import upgrade
from tsuen_common.overload import InFlightLimit, pool_exhausted
from tsuen_common.settings import ServiceSettings
from tsuen_common.telemetry import configure_tracing, http_telemetry

log = get_logger(__name__)


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    body_limits: Sequence[tuple[str, int]] = (),
) -> FastAPI:
    """The service's FastAPI app with what every service shares.

    ``body_limits``: (path regex, bytes) for routes that take more than
    ``settings.max_body_bytes`` (files); see :class:`tsuen_common.edge.EdgeGuard`.
    """
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)
    configure_tracing(settings.service_name, settings.otel_exporter, settings.otel_endpoint)
    docs = settings.api_docs if settings.api_docs is not None else settings.environment != "prod"
    # /docs serves Swagger UI's assets from the service itself (fastapi-offline): the default
    # CDN is blank on these machines and on closed municipal networks (issue 13).
    # One server span per request, from FastAPI's own OpenTelemetry support.
    telemetry = http_telemetry()
    app = (
        FastAPIOffline(
            title=title, version="1", docs_url="/docs", redoc_url=None, telemetry=telemetry
        )
        if docs
        else FastAPI(
            title=title,
            version="1",
            docs_url=None,
            redoc_url=None,
            openapi_url=None,
            telemetry=telemetry,
        )
    )
    # Outermost first: refuse at once when the worker is full, then the edge's checks, then
    # Idempotency-Key (idle until the service calls tsuen_common.idempotency.enable_idempotency).
    app.add_middleware(IdempotencyGuard)
    app.add_middleware(
        EdgeGuard, max_body_bytes=settings.max_body_bytes, path_limits=tuple(body_limits)
    )
    app.add_middleware(InFlightLimit, limit=settings.max_requests_in_flight)

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    for router in routers:
        app.include_router(router)
    unavailable: tuple[type[Exception], ...] = (DBAPIError, *DATABASE_UNAVAILABLE)
    for error in unavailable:
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(PoolTimeout, pool_exhausted)
    install_error_handler(app)
    return app


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    """PostgreSQL restarted or failed over under a request, or refuses connections while it
    comes back: 503 with Retry-After, not a 500. The pool starts afresh on its own."""
    if not database_unavailable(exc):
        raise exc  # any other database error stays a 500, with its traceback in the log
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    log.warning(
        "database unavailable during a request",
        path=request.url.path,
        error=type(cause).__name__,
        action="check PostgreSQL (restart, failover, network); clients are told to retry",
    )
    return JSONResponse(
        error_body(
            "the database is unavailable for a moment; please try again",
            "database_unavailable",
            DATABASE_UNAVAILABLE_JA,
        ),
        status_code=503,
        headers={"Retry-After": "1"},
    )


def dispose_on_shutdown(app: FastAPI, engine: AsyncEngine) -> None:
    """Close the app's database pool when the server stops (after the app's own lifespan)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        try:
            async with inner(a):
                yield
        finally:
            await engine.dispose()

    app.router.lifespan_context = lifespan


def run_cli(
    *,
    service: str,
    migrations_dir: Path,
    settings_factory: Callable[[], ServiceSettings],
    app_path: str,
    worker_factory: Callable[[ServiceSettings], ConsumerWorker] | None = None,
    extra_commands: Mapping[str, tuple[str, Callable[[ServiceSettings, list[str]], int]]]
    | None = None,
    argv: list[str] | None = None,
) -> int:
    """``tsuen-<service> serve|migrate|relay|consume|<extra>``.

    ``extra_commands`` maps a sub-command name to (help text, function(settings, rest-args)
    returning an exit code) for a service's own operator commands.
    """
    parser = argparse.ArgumentParser(prog=f"tsuen-{service}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="uvicorn worker processes (default: TSUEN_WEB_WORKERS, 1)",
    )
    sub.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    sub.add_parser("relay", help="publish this service's outbox to Kafka")
    if worker_factory is not None:
        sub.add_parser("consume", help="run this service's Kafka consumers")
    run_all = sub.add_parser(
        "all", help="serve + relay (+ consume) as child processes: for compose and dev"
    )
    run_all.add_argument("--host", default="127.0.0.1")
    run_all.add_argument("--port", type=int, default=8000)
    run_all.add_argument(
        "--migrate", action="store_true", help="apply migrations first (dev stack, compose)"
    )
    for name, (help_text, _) in (extra_commands or {}).items():
        # Listed for --help only: an operator command parses its own arguments (below).
        sub.add_parser(name, help=help_text, add_help=False)
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw and extra_commands and raw[0] in extra_commands:
        settings = settings_factory()
        configure_logging(settings.service_name, settings.log_level, json=settings.log_json)
        return extra_commands[raw[0]][1](settings, raw[1:])
    args = parser.parse_args(raw)
    settings = settings_factory()
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)
    if args.command == "serve":
        uvicorn.run(
            app_path,
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers or settings.web_workers,
            log_config=None,
        )
    elif args.command == "migrate":
        upgrade(migrations_dir, settings.database_url)
    elif args.command == "relay":
        from tsuen_common.messaging.relay import run_relay

        run_event_loop(run_relay(settings))
    elif args.command == "consume" and worker_factory is not None:
        run_event_loop(_consume(worker_factory, settings))
    elif args.command == "all":
        if args.migrate:
            upgrade(migrations_dir, settings.database_url)
        roles = [["serve", "--host", args.host, "--port", str(args.port)], ["relay"]]
        if worker_factory is not None:
            roles.append(["consume"])
        return supervise(f"tsuen-{service}", roles)
    return 0


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` on uvloop, the loop uvicorn uses for the API too: the relay and the
    consumers spend much of their CPU in the loop itself (sockets to Kafka and PostgreSQL)."""
    uvloop.run(main)


async def _consume(
    worker_factory: Callable[[ServiceSettings], ConsumerWorker], settings: ServiceSettings
) -> None:
    # The HTTP app configures tracing in create_app; a consumer process has no app, so here:
    # without it every consumer span would be a no-op and no consumer would show in a trace.
    configure_tracing(settings.service_name, settings.otel_exporter, settings.otel_endpoint)
    # Built inside the running loop: aiokafka refuses to create a producer without one.
    await worker_factory(settings).run()


RESTART_BASE_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0
# A child that ran this long before dying starts its backoff afresh.
RESTART_RESET_SECONDS = 60.0


def restart_delay(failures_in_a_row: int) -> float:
    """1, 2, 4 … 30 s: a child that keeps dying does not spin, one that died once is back fast."""
    return min(RESTART_MAX_SECONDS, RESTART_BASE_SECONDS * 2 ** max(0, failures_in_a_row - 1))


def supervise(program: str, roles: Sequence[Sequence[str]]) -> int:
    """Run each role as a child process; forward SIGTERM/SIGINT to all of them.

    A child that dies on its own is restarted alone, with backoff (restart_delay), and the
    others keep running: a crashed relay must not take the API down with it (issue 18). On
    SIGTERM/SIGINT every child is stopped and the exit code is the first non-zero one."""
    commands = [[program, *role] for role in roles]
    children = [subprocess.Popen(command) for command in commands]
    started = [time.monotonic()] * len(children)
    failures = [0] * len(children)
    due: list[float | None] = [None] * len(children)
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while not stopping:
        now = time.monotonic()
        for n, child in enumerate(children):
            if due[n] is not None:
                if now >= due[n]:  # type: ignore[operator]
                    children[n] = subprocess.Popen(commands[n])
                    started[n], due[n] = time.monotonic(), None
                continue
            code = child.poll()
            if code is None:
                continue
            ran = now - started[n]
            failures[n] = 1 if ran >= RESTART_RESET_SECONDS else failures[n] + 1
            delay = restart_delay(failures[n])
            due[n] = now + delay
            log.error(
                "a process of the service died; restarting it alone",
                role=" ".join(commands[n][1:2]),
                exit_code=code,
                restart_in_seconds=delay,
                action="read the process's last log lines; the other processes keep running",
            )
        time.sleep(0.2)
    # A child waiting out its backoff had already died (and been reported): not this stop's code.
    codes = [child.wait() for n, child in enumerate(children) if due[n] is None]
    return next((c for c in codes if c not in (0, -signal.SIGTERM, -signal.SIGINT)), 0)
