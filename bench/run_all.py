"""Run every benchmark on one test bed (one Kafka, one PostgreSQL), print each figure with its
ratio against the baseline measured in the same run, and write bench/results/latest.{json,md}.

Usage: uv run python -m bench.run_all [--quick] [--workers N] [--no-wrk]
Budget: about 5–7 minutes on the 2-core machine (each benchmark is bounded by count and time);
``--quick`` shrinks every load for a smoke run. The booking and scan figures are confirmed by a
second load generator (wrk, after our own client, same server) unless ``--no-wrk``.
"""

from __future__ import annotations

import argparse
import os
import time
import traceback

import uvloop

from bench import attendance_scans, booking_rush, email_pipeline, lottery, pipeline
from bench.common import Result, machine, report
from tests.integration import testbed


async def run_all(quick: bool, workers: int, no_wrk: bool = False) -> list[Result]:
    results: list[Result] = []
    started = time.monotonic()

    def stamp(name: str) -> None:
        print(f"--- {name} (at {time.monotonic() - started:.0f} s)", flush=True)

    stamp("lottery")
    results += lottery.run(20_000 if quick else 100_000, 1_000 if quick else 5_000, 3)
    kafka = testbed.start_kafka()
    pg = testbed.start_postgres()
    try:
        served_by = ["--workers", str(workers)] + (["--no-wrk"] if no_wrk else [])
        rush = booking_rush.parser().parse_args(
            (["--children", "64", "--hot-children", "300", "--hot-places", "100"] if quick else [])
            + served_by
        )
        scans = attendance_scans.parser().parse_args(
            (["--visits", "600"] if quick else []) + served_by
        )
        steps = [
            ("booking rush", lambda: booking_rush.run(pg, rush)),
            ("attendance scans", lambda: attendance_scans.run(pg, scans)),
            (
                "event pipeline (outbox → relay → Kafka → consumer)",
                lambda: pipeline.run_on(
                    kafka,
                    pg,
                    rate=100 if quick else 500,
                    seconds=5 if quick else 10,
                    count=5_000 if quick else 20_000,
                ),
            ),
            (
                "e-mail pipeline (booking commit → SMTP)",
                lambda: email_pipeline.run(
                    kafka, pg, rates=[10, 100] if quick else [20, 500], seconds=5 if quick else 10
                ),
            ),
        ]
        for name, step in steps:
            stamp(name)
            try:
                results += await step()
            except Exception as exc:  # one broken benchmark must not lose the others' figures
                traceback.print_exc()
                results.append(
                    Result(name=name, metric="FAILED", value=float("nan"), unit="", notes=repr(exc))
                )
    finally:
        kafka.stop()
        pg.stop()
    stamp("done")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small loads: a smoke run")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn workers for the HTTP benchmarks (default: one per core, as a single box "
        "would run them with TSUEN_WEB_WORKERS)",
    )
    parser.add_argument(
        "--no-wrk",
        action="store_true",
        help="skip the second load generator (wrk) in the booking and scan benchmarks",
    )
    args = parser.parse_args()
    # uvloop, as the services run (tsuen_common.service): the in-process consumers and the load
    # generators cost less CPU on it, leaving more of the two cores to what is measured.
    results = uvloop.run(run_all(args.quick, args.workers, args.no_wrk))
    print(f"\nMachine: {machine()}\n")
    print(report(results))
    print("\nwritten: bench/results/latest.json, bench/results/latest.md")


if __name__ == "__main__":
    main()
