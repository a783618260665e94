"""Attendance scans: 利用開始 / 利用終了 by scanned code against the real attendance service
(``tsuen-attendance serve``: uvicorn, FastAPI, SQLAlchemy/asyncpg) on 127.0.0.1 with a real
PostgreSQL (test-bed container).

Set-up (not timed), through the service's own code: today's bookings are projected with the
handler its Kafka consumer runs for ``BookingConfirmed`` (``repository.project_confirmed``);
each facility's code comes from ``GET /v1/facilities/{id}/code`` (staff JWT), as the display
tablet gets it. The server runs with ``TSUEN_CODE_STEP_SECONDS=600`` so codes fetched before the
run stay valid through it (verification work is the same; the default step is 30 s).

Load: ``--visits`` guardians each ``POST /v1/check-ins`` (all, shuffled), then each
``POST /v1/check-outs``, in a closed loop of ``--concurrency`` clients. Every answer must be 200.
Baseline: ``GET /healthz`` on the same server process, same count and concurrency.
Second load generator (unless ``--no-wrk``): then wrk (``bench/wrk``), on the same server
process, scans as many other visits, projected the same way: all their check-ins, then their
check-outs, with the same concurrency; every answer must be 200 there too.
Usage: uv run python -m bench.attendance_scans [--visits 3000 --facilities 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import datetime, timedelta

import asyncpg
import httpx

from bench import wrk
from bench.common import Result, report, summary
from bench.stack import Call, Outcome, drive, migrate, serve, service_env, token
from tests.integration import testbed
from tsuen_attendance.adapters import repository as repo
from tsuen_common.auth import Principal, Role
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.events.booking import BookingConfirmed, BookingKind
from tsuen_common.timeutil import JST, now_jst

CHIYODA = "131016"


def today_span() -> tuple[datetime, datetime]:
    """A booking that has begun and ends later today (Japan time), whatever the hour."""
    now = now_jst()
    start = now - timedelta(minutes=30)
    end_of_day = now.replace(hour=23, minute=59, second=0, microsecond=0)
    end = min(now + timedelta(hours=3), end_of_day)
    if start.date() != now.date():
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if end <= now + timedelta(minutes=5):
        raise SystemExit("too close to midnight in Japan: run again after 00:05 JST")
    return start, end


async def project(
    url: str, facilities: list[uuid.UUID], visits: int
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
    engine = make_engine(url, pool_size=8)
    sessions = make_sessions(engine)
    start, end = today_span()
    gate = asyncio.Semaphore(8)

    async def one(i: int) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
        booking = BookingConfirmed(
            booking_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_id=uuid.uuid4(),
            guardian_email="hogosha@example.jp",
            facility_id=facilities[i % len(facilities)],
            facility_name="ベンチ保育園",
            kind=BookingKind.FLEXIBLE,
            use_date=start.astimezone(JST).date(),
            starts_at=start,
            ends_at=end,
            held_minutes=int((end - start).total_seconds() // 60),
        )
        async with gate, sessions() as session, session.begin():
            await repo.project_confirmed(session, booking, CHIYODA)
        return booking.booking_id, booking.guardian_id, booking.facility_id

    rows = list(await asyncio.gather(*(one(i) for i in range(visits))))
    await engine.dispose()
    return rows


def guardian_headers(guardian_id: uuid.UUID) -> dict[str, str]:
    principal = Principal(
        subject=str(guardian_id),
        role=Role.GUARDIAN,
        municipality=CHIYODA,
        guardian_id=str(guardian_id),
    )
    return {"Authorization": f"Bearer {token(principal)}"}


def describe(label: str, out: Outcome) -> str:
    s = summary(out.latency_ms)
    n = len(out.status)
    return (
        f"{label}: {n} answers in {out.elapsed_s:.1f} s = {n / out.elapsed_s:,.0f}/s, "
        f"200s {out.count(200)}, not sent {out.not_sent}; "
        f"p50 {s['p50_ms']:.1f} ms p99 {s['p99_ms']:.1f} ms\n    {out.cpu_text()}"
    )


def merge(a: Outcome, b: Outcome) -> Outcome:
    cpu = {k: a.cpu.get(k, 0) + b.cpu.get(k, 0) for k in a.cpu.keys() | b.cpu.keys()}
    cpu["machine_busy"] = (a.cpu.get("machine_busy", 0) + b.cpu.get("machine_busy", 0)) / 2
    return Outcome(
        a.status + b.status,
        a.latency_ms + b.latency_ms,
        a.elapsed_s + b.elapsed_s,
        a.not_sent + b.not_sent,
        cpu,
    )


async def run(pg: testbed.PostgresHandle, args: argparse.Namespace) -> list[Result]:
    pg.create_database("attendance_bench", drop_existing=True)
    url = pg.async_url("attendance_bench")
    await asyncio.to_thread(migrate, "attendance", url)
    facilities = [uuid.uuid4() for _ in range(args.facilities)]
    t0 = time.monotonic()
    use_wrk = not args.no_wrk and wrk.available()
    if not args.no_wrk and not use_wrk:
        print(f"[attendance] {wrk.SKIPPED}")
    # Warm-up visits (checked in before the clock starts, so each worker's pool is open and the
    # scan's statements prepared: else the first run, ours or wrk's, pays for it).
    warm = 2 * args.concurrency
    everyone = await project(url, facilities, args.visits * (2 if use_wrk else 1) + warm)
    warm_rows, everyone = everyone[:warm], everyone[warm:]
    rows, wrk_rows = everyone[: args.visits], everyone[args.visits :]
    env = service_env(url, TSUEN_CODE_STEP_SECONDS="600")
    server = serve("attendance", env, workers=args.workers)
    try:
        codes = {}
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            for f in facilities:
                staff = Principal(
                    subject="display",
                    role=Role.FACILITY_STAFF,
                    municipality=CHIYODA,
                    facility_id=str(f),
                )
                r = await client.get(
                    f"/v1/facilities/{f}/code",
                    headers={"Authorization": f"Bearer {token(staff)}"},
                )
                r.raise_for_status()
                codes[f] = r.json()["token"]
        rng = random.Random(2)
        order = list(rows)
        rng.shuffle(order)
        heads = {g: guardian_headers(g) for _, g, _ in everyone + warm_rows}

        def calls(path: str, visits: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> list[Call]:
            return [
                Call("POST", path, heads[g], {"token": codes[f], "booking_id": str(b)})
                for b, g, f in visits
            ]

        wrk_order = list(wrk_rows)
        rng.shuffle(wrk_order)

        print(
            f"[attendance] set-up {time.monotonic() - t0:.1f} s: {args.visits} visits today at "
            f"{args.facilities} facilities"
        )
        health = [Call("GET", "/healthz", {})] * (2 * args.visits)
        # Warm-up, then the baseline, then the scans (check-ins, then check-outs).
        await drive(server.base_url, health[:200], concurrency=8, time_limit_s=10)
        warmed = await drive(
            server.base_url,
            calls("/v1/check-ins", warm_rows),
            concurrency=args.concurrency,
            time_limit_s=20,
        )
        base = await drive(
            server.base_url,
            health,
            concurrency=args.concurrency,
            time_limit_s=args.time_limit,
            server=server,
            pg=pg,
        )

        async def by_wrk() -> wrk.WrkOutcome:
            # Two runs, as our client: a check-out sent while its check-in is still in flight
            # would be refused (one run with both met that in a smoke run).
            ins = await wrk.drive_wrk(
                server.base_url,
                calls("/v1/check-ins", wrk_order),
                concurrency=args.concurrency,
                threads=args.wrk_threads,
                time_limit_s=args.time_limit / 2,
                server=server,
                pg=pg,
            )
            # After a time limit, the visits whose check-in was answered (exact for one thread).
            visits = wrk_order if ins.not_sent == 0 else wrk_order[: ins.answered]
            outs = await wrk.drive_wrk(
                server.base_url,
                calls("/v1/check-outs", visits),
                concurrency=args.concurrency,
                threads=args.wrk_threads,
                time_limit_s=args.time_limit / 2,
                server=server,
                pg=pg,
            )
            print(ins.describe("[attendance] check-ins, wrk"))
            print(outs.describe("[attendance] check-outs, wrk"))
            return wrk.combine(ins, outs)

        wout = await by_wrk() if use_wrk and args.wrk_first else None
        ins = await drive(
            server.base_url,
            calls("/v1/check-ins", order),
            concurrency=args.concurrency,
            time_limit_s=args.time_limit / 2,
            server=server,
            pg=pg,
        )
        outs = await drive(
            server.base_url,
            calls("/v1/check-outs", order)[: len(ins.status)],
            concurrency=args.concurrency,
            time_limit_s=args.time_limit / 2,
            server=server,
            pg=pg,
        )
        if use_wrk and not args.wrk_first:
            wout = await by_wrk()
    finally:
        server.stop()
    print(describe("[attendance] /healthz", base))
    print(describe("[attendance] check-ins", ins))
    print(describe("[attendance] check-outs", outs))
    if wout is not None:
        print(wout.describe("[attendance] check-ins + check-outs, wrk"))
    scans = merge(ins, outs)
    conn = await asyncpg.connect(pg.dsn("attendance_bench"))
    try:
        # the warm-up's check-ins are not the run's
        events = await conn.fetchval("SELECT count(*) FROM outbox") - warmed.count(200)
    finally:
        await conn.close()
    n, bn = len(scans.status), len(base.status)
    s, bs = summary(scans.latency_ms), summary(base.latency_ms)
    bad = n - scans.count(200)
    note = (
        f"CPU/scan: service {scans.cpu_ms_per_answer('server'):.1f} ms, PostgreSQL "
        f"{scans.cpu_ms_per_answer('postgres'):.1f} ms, client "
        f"{scans.cpu_ms_per_answer('client'):.1f} ms (/healthz: service "
        f"{base.cpu_ms_per_answer('server'):.1f} ms); machine "
        f"{scans.cpu.get('machine_busy', 0):.0%} busy; "
        f"{scans.count(200)} × 200, {bad} other, {events} events in the outbox "
        f"(= check-ins + check-outs{' of both load generators' if wout else ''}); "
        f"concurrency {args.concurrency}, {args.workers} worker(s)"
    )
    results = [
        Result(
            name="attendance scans",
            metric="check-in + check-out requests/s",
            value=n / scans.elapsed_s,
            unit="scans/s",
            baseline=bn / base.elapsed_s,
            target="≥ 2,000/s",
            notes=note
            + "; baseline: GET /healthz, same server"
            + (f"; {wrk.SKIPPED}" if not args.no_wrk and not use_wrk else ""),
            extra=s | {f"cpu_{k}_s": v for k, v in scans.cpu.items()},
        ),
        Result(
            name="attendance scans",
            metric="p99 latency (p50 in notes)",
            value=s["p99_ms"],
            unit="ms",
            baseline=bs["p99_ms"],
            target="p99 < 50 ms",
            notes=f"p50 {s['p50_ms']:.1f} ms (/healthz {bs['p50_ms']:.1f} ms)",
            extra=s,
        ),
    ]
    if wout is not None:
        wrk_bad = wout.answered - wout.count(200)
        results += wrk.rows(
            "attendance scans",
            metric=results[0].metric,
            unit=results[0].unit,
            value=wout.rate(),
            ours=results[0].value,
            ours_latency=s,
            ours_cpu_ms={
                "service": scans.cpu_ms_per_answer("server"),
                "PostgreSQL": scans.cpu_ms_per_answer("postgres"),
                "client": scans.cpu_ms_per_answer("client"),
            },
            wout=wout,
            latency_target=results[1].target,
            notes=f"{wout.count(200)} × 200, {wrk_bad} other, {wout.not_sent} not sent in time; "
            f"{len(wrk_order)} other visits: their check-ins, then their check-outs (two wrk runs)"
            f"; run {'before' if args.wrk_first else 'after'} our client's",
        )
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--visits", type=int, default=3000)
    p.add_argument("--facilities", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument("--time-limit", type=float, default=40, help="seconds per run")
    wrk.add_arguments(p)
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
