"""Booking under overload (issue 18): offered twice the rate the service can carry, does it
refuse quickly (503 + Retry-After) and keep the answers it gives fast, or queue everyone into
timeouts?

Set-up as ``booking_rush``'s spread phase (children over facilities, each asking for 11 hours of
a month; the service's own use cases, not timed). Then against ``tsuen-booking serve``:

1. **saturation**: a closed loop of ``--concurrency`` clients for ``--seconds``: the rate the
   service carries (answers/s);
2. **2× saturation, bounded** (the default ``TSUEN_MAX_REQUESTS_IN_FLIGHT``): an open loop
   (arrivals on a fixed schedule, whatever the answers) at twice that rate for ``--seconds``;
3. **2× saturation, unbounded** (the bound set out of reach): the baseline, how it was.

Each booking carries an ``Idempotency-Key``. Reported: p99 of every answer and of the answers
that were not refusals, the share of 503s, and the checks in SQL (nothing overbooked).

Usage: uv run python -m bench.overload [--children 320 --seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import date

from bench.booking_data import (
    HOURS,
    PER_CHILD,
    Kid,
    booking_call,
    check,
    open_days,
    setup,
    target_month,
)
from bench.common import Result, report, summary
from bench.stack import Call, Outcome, drive, encode, migrate, serve, service_env
from tests.integration import testbed
from tsuen_booking.config import Settings
from tsuen_booking.entrypoints.app import build_context
from tsuen_common.timeutil import today_jst

UNBOUNDED = "1000000"
MAX_CONNECTIONS = 2000


async def open_loop(base_url: str, calls: list[Call], rate: float, seconds: float) -> Outcome:
    """Send ``calls`` at ``rate`` per second on a fixed schedule for ``seconds``, each on an
    idle keep-alive connection or a new one; latency from sending to the end of the answer;
    status 0 = transport error. Arrivals do not wait for answers (an open loop)."""
    host, port = base_url.removeprefix("http://").split(":")
    requests = [encode(c, f"{host}:{port}") for c in calls]
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    opened = 0
    status: list[int] = []
    latency: list[float] = []
    not_sent = 0

    async def one(request: bytes) -> None:
        nonlocal opened
        if idle:
            reader, writer = idle.pop()
        else:
            opened += 1
            reader, writer = await asyncio.open_connection(host, int(port))
        t0 = time.perf_counter()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            code = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            idle.append((reader, writer))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            code = 0
            writer.close()
        latency.append((time.perf_counter() - t0) * 1000)
        status.append(code)

    tasks = []
    start = time.monotonic()
    for i, request in enumerate(requests[: int(rate * seconds)]):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if opened - len(idle) >= MAX_CONNECTIONS:
            not_sent += 1
            continue
        tasks.append(asyncio.create_task(one(request)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    for _, writer in idle:
        writer.close()
    return Outcome(status, latency, elapsed, not_sent)


def work_for(kids: list[Kid], days: list[date]) -> list[tuple[Kid, date, int]]:
    rng = random.Random("overload")
    work: list[tuple[Kid, date, int]] = []
    for kid in kids:
        work += [
            (kid, d, h) for d, h in rng.sample([(d, h) for d in days for h in HOURS], PER_CHILD)
        ]
    rng.shuffle(work)
    return work


async def run(pg: testbed.PostgresHandle, args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    rate = 0.0
    bounded = str(args.max_in_flight) if args.max_in_flight else None
    for label, bound in (("saturation", None), ("bounded", bounded), ("unbounded", UNBOUNDED)):
        db = f"booking_overload_{label}"
        pg.create_database(db, drop_existing=True)
        url = pg.async_url(db)
        await asyncio.to_thread(migrate, "booking", url)
        ctx = build_context(Settings(database_url=url), pool_size=8)
        fids, kids = await setup(
            ctx, args.facilities, args.places, args.children, target_month(today_jst())
        )
        days = await open_days(ctx, fids[0], target_month(today_jst()))
        headers = {kid.child_id: kid.headers() for kid in kids}
        calls = [booking_call(k, d, h, headers[k.child_id]) for k, d, h in work_for(kids, days)]
        extra = {"TSUEN_MAX_REQUESTS_IN_FLIGHT": bound} if bound else {}
        server = serve("booking", service_env(url, **extra), workers=1)
        try:
            if label == "saturation":
                out = await drive(
                    server.base_url, calls, concurrency=args.concurrency, time_limit_s=args.seconds
                )
                rate = len(out.status) / out.elapsed_s
                print(f"[saturation] {rate:.0f} answers/s with {args.concurrency} clients")
                await ctx.close()
                continue
            out = await open_loop(server.base_url, calls, 2 * rate, args.seconds)
        finally:
            server.stop()
        problems = await check(ctx, pg.dsn(db), out.count(201))
        await ctx.close()
        everything = summary(out.latency_ms)
        kept = summary(
            [ms for ms, s in zip(out.latency_ms, out.status, strict=True) if s not in (0, 503)]
        )
        refused = out.count(503)
        print(
            f"[{label}] offered {2 * rate:.0f}/s: {len(out.status)} answers in "
            f"{out.elapsed_s:.1f} s, 503 {refused}, errors {out.count(0)}, not sent "
            f"{out.not_sent}; p99 {everything['p99_ms']:.0f} ms (not refused: "
            f"{kept['p99_ms']:.0f} ms); checks {sum(problems.values())} violations"
        )
        results.append(
            Result(
                name=f"booking at 2× saturation, {label}",
                metric="p99 latency of every answer (the rest in notes)",
                value=everything["p99_ms"],
                unit="ms",
                target="bounded (a few × the saturated p99), 0 errors, 0 violations",
                notes=(
                    f"offered {2 * rate:.0f}/s for {args.seconds:.0f} s (saturation "
                    f"{rate:.0f}/s, {args.concurrency} clients); {out.count(201)} × 201, "
                    f"{out.count(409)} × 409, {refused} × 503 ({refused / max(1, len(out.status)):.0%}),"
                    f" {out.count(0)} transport errors, {out.not_sent} not sent; p99 of the "
                    f"answers that were not 503: {kept['p99_ms']:.0f} ms, p50 "
                    f"{everything['p50_ms']:.0f} ms; checks: {sum(problems.values())} violations"
                ),
                extra=everything,
            )
        )
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--facilities", type=int, default=50)
    p.add_argument("--places", type=int, default=10)
    p.add_argument("--children", type=int, default=320, help=f"× {PER_CHILD} requests")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--seconds", type=float, default=15, help="seconds per phase")
    p.add_argument(
        "--max-in-flight",
        type=int,
        default=None,
        help="TSUEN_MAX_REQUESTS_IN_FLIGHT of the bounded phase (default: the service's)",
    )
    return p


def main() -> None:
    args = parser().parse_args()
    pg = testbed.start_postgres()
    try:
        results = asyncio.run(run(pg, args))
    finally:
        pg.stop()
    print(report(results))


if __name__ == "__main__":
    main()
