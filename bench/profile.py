"""Where one request's CPU goes: the real app in-process (ASGI, no network), a few hundred
requests one after another under cProfile, CPU time grouped by package and by our functions.

Not a benchmark (no figure goes into the table): the evidence behind the findings in
bench/README.md. Usage:
    uv run python -m bench.profile booking      # POST /v1/bookings (spread)
    uv run python -m bench.profile attendance   # POST /v1/check-ins + /v1/check-outs
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench import attendance_scans, booking_data
from bench.stack import ISSUER, SECRET, VERIFIER, Call, migrate
from tests.integration import testbed
from tsuen_common.auth import Principal, Role

GROUPS = [
    ("sqlalchemy", "sqlalchemy"),
    ("asyncpg", "asyncpg"),
    ("fastapi/starlette/pydantic", ("fastapi", "starlette", "pydantic")),
    ("opentelemetry", "opentelemetry"),
    ("logging/structlog", ("logging", "structlog")),
    ("jwt/crypto", ("jwt", "cryptography", "hmac", "hashlib")),
    ("asyncio/anyio/threads", ("asyncio", "anyio", "threading", "selectors", "concurrent")),
    ("tsuen (ours)", ("tsuen_", "/services/", "/libs/")),
    ("httpx (test client)", ("httpx", "httpcore", "h11")),
]


def group_of(filename: str) -> str:
    for name, keys in GROUPS:
        for key in (keys,) if isinstance(keys, str) else keys:
            if key in filename:
                return name
    return "other"


def summarise(profile: cProfile.Profile, requests: int, wall: float) -> None:
    stats = pstats.Stats(profile)
    by_group: Counter[str] = Counter()
    ours: dict[str, float] = defaultdict(float)
    others: dict[str, float] = defaultdict(float)
    sqla: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, line, func), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        g = group_of(filename)
        by_group[g] += tottime
        if g == "other":
            where = filename.split("site-packages/")[-1].split("python3.11/")[-1]
            others[func if where == "~" else where] += tottime
        if g == "sqlalchemy":
            sqla[filename.split("site-packages/")[-1]] += tottime
        if g == "tsuen (ours)":
            ours[f"{filename.split('/src/')[-1]}:{line} {func}"] += tottime
    print(
        f"{requests} requests in {wall:.2f} s wall; profiled CPU {total * 1000 / requests:.2f} "
        f"ms/request (process CPU; cProfile itself inflates it ~1.5–2×: compare shares)"
    )
    for g, t in by_group.most_common():
        print(f"  {t / total:6.1%}  {t * 1000 / requests:6.2f} ms  {g}")
    print("  'other' by file:")
    for f, t in sorted(others.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {t / total:6.1%}  {f}")
    print("  sqlalchemy by module:")
    for f, t in sorted(sqla.items(), key=lambda kv: -kv[1])[:6]:
        print(f"  {t / total:6.1%}  {f}")
    print("  our own functions (self time):")
    for f, t in sorted(ours.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {t / total:6.1%}  {f}")
    print("  top functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats(25)


async def profile_booking(pg: testbed.PostgresHandle, n: int) -> None:
    from tsuen_booking.config import Settings
    from tsuen_booking.entrypoints.app import build
    from tsuen_common.timeutil import today_jst

    pg.create_database("profile_booking", drop_existing=True)
    url = pg.async_url("profile_booking")
    await asyncio.to_thread(migrate, "booking", url)
    app = build(Settings(database_url=url, log_level="WARNING"), verifier=VERIFIER)
    ctx = app.state.ctx
    month = booking_data.target_month(today_jst())
    fids, kids = await booking_data.setup(ctx, 10, 50, n // 10 + 1, month)
    days = await booking_data.open_days(ctx, fids[0], month)
    rng = random.Random(3)
    calls = []
    for kid in kids:
        for d, h in rng.sample([(d, h) for d in days for h in booking_data.HOURS], 10):
            calls.append(booking_data.booking_call(kid, d, h, kid.headers()))
    calls = calls[:n]
    counter: list[str] = []
    sa.event.listen(
        ctx.engine.sync_engine, "before_cursor_execute", lambda *a: counter.append(a[2])
    )
    await run_calls(app, calls[:20], profile=False)
    counter.clear()
    await run_calls(app, calls[20:], profile=True)
    print(f"SQL statements per booking: {len(counter) / (len(calls) - 20):.1f}")
    await ctx.close()


async def profile_attendance(pg: testbed.PostgresHandle, n: int) -> None:
    from tsuen_attendance.config import Settings
    from tsuen_attendance.entrypoints.app import create

    pg.create_database("profile_attendance", drop_existing=True)
    url = pg.async_url("profile_attendance")
    await asyncio.to_thread(migrate, "attendance", url)
    facilities = [uuid.uuid4() for _ in range(10)]
    rows = await attendance_scans.project(url, facilities, n)
    app = create(Settings(database_url=url, log_level="WARNING", jwt_secret=SECRET))
    codes = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://attendance.test"
    ) as client:
        for f in facilities:
            staff = Principal(
                subject="display",
                role=Role.FACILITY_STAFF,
                municipality="131016",
                facility_id=str(f),
            )
            r = await client.get(f"/v1/facilities/{f}/code", headers=_bearer(staff))
            codes[f] = r.json()["token"]
    calls = []
    for path in ("/v1/check-ins", "/v1/check-outs"):
        for b, g, f in rows:
            guardian = Principal(
                subject=str(g), role=Role.GUARDIAN, municipality="131016", guardian_id=str(g)
            )
            calls.append(
                Call("POST", path, _bearer(guardian), {"token": codes[f], "booking_id": str(b)})
            )
    counter: list[str] = []
    sa.event.listen(
        app.state.engine.sync_engine, "before_cursor_execute", lambda *a: counter.append(a[2])
    )
    await run_calls(app, calls[:20], profile=False)
    counter.clear()
    await run_calls(app, calls[20:], profile=True)
    print(f"SQL statements per scan: {len(counter) / (len(calls) - 20):.1f}")
    await app.state.engine.dispose()


def _bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {ISSUER.mint(principal, ttl=timedelta(hours=1))}"}


async def run_calls(app, calls, *, profile: bool) -> None:  # type: ignore[no-untyped-def]
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc.test"
    ) as client:
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
        t0 = time.perf_counter()
        if profile:
            profiler.enable()
        for call in calls:
            r = await client.request(call.method, call.path, headers=call.headers, json=call.json)
            statuses[r.status_code] += 1
        if profile:
            profiler.disable()
            print(f"statuses: {dict(statuses)}")
            summarise(profiler, len(calls), time.perf_counter() - t0)
            dump = Path(tempfile.gettempdir()) / "bench-profile.pstats"
            profiler.dump_stats(dump)
            print(f"(raw profile: {dump}; e.g. python -m pstats {dump})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("service", choices=["booking", "attendance"])
    parser.add_argument("-n", type=int, default=400)
    args = parser.parse_args()
    pg = testbed.start_postgres()
    try:
        if args.service == "booking":
            asyncio.run(profile_booking(pg, args.n))
        else:
            asyncio.run(profile_attendance(pg, args.n))
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
