"""A second, independent load generator: wrk (Debian's package) with ``requests.lua``.

Our own client (``bench.stack.drive``) gives the headline figures; issue 20 asks for them to be
confirmed by a load generator we did not write, in the same run against the same server. wrk
sends the same kind of pre-generated requests (each with its own JWT and Idempotency-Key, each
sent once: ``requests.lua`` says how), over the same number of keep-alive connections, and
reports statuses and its own latency histogram; this module writes the request file, runs wrk,
ends it as soon as every request is answered, and measures the CPU it and the server used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import shutil
import signal
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Result
from bench.stack import Call, CpuMeter, Server

SCRIPT = Path(__file__).resolve().with_name("requests.lua")
SKIPPED = "wrk not installed: skipped (Debian package wrk; scripts/bootstrap.sh installs it)"
# Latencies above wrk's --timeout fall outside its histogram (and count as timeouts).
TIMEOUT_S = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark that runs wrk takes."""
    parser.add_argument(
        "--no-wrk",
        action="store_true",
        help="skip the second load generator (wrk) after our client's run",
    )
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk -t (its -c is --concurrency)"
    )
    parser.add_argument(
        "--wrk-first",
        action="store_true",
        help="run wrk before our client (tells the order's effect from the client's)",
    )


def available() -> bool:
    return shutil.which("wrk") is not None


@dataclass
class WrkOutcome:
    statuses: dict[int, int]
    answered: int
    not_sent: int
    elapsed_s: float
    """From the first request sent to the last answer (wrk's own duration is the whole run)."""
    latency_ms: dict[str, float]
    """p50, p90, p99, max and mean from wrk's histogram."""
    errors: dict[str, int]
    threads: int
    connections: int
    cpu: dict[str, float] = field(default_factory=dict)
    """As ``Outcome.cpu``; ``client`` is wrk's own CPU (user + system, all its threads)."""
    runs: int = 1
    """wrk runs combined (``combine``): each latency figure is then the largest of theirs."""

    def count(self, *codes: int) -> int:
        return sum(n for code, n in self.statuses.items() if code in codes)

    def rate(self) -> float:
        return self.answered / self.elapsed_s if self.elapsed_s > 0 else float("nan")

    def cpu_ms_per_answer(self, who: str) -> float:
        n = self.answered
        return self.cpu[who] * 1000 / n if n and who in self.cpu else float("nan")

    def describe(self, label: str) -> str:
        codes = ", ".join(f"{c} × {n}" for c, n in sorted(self.statuses.items()))
        lat = self.latency_ms
        socket_errors = {k: v for k, v in self.errors.items() if v and k != "status"}
        return (
            f"{label}: {self.answered} answers in {self.elapsed_s:.1f} s = {self.rate():,.0f}/s "
            f"({codes}), not sent {self.not_sent}; p50 {lat['p50']:.1f} ms p90 {lat['p90']:.1f} "
            f"ms p99 {lat['p99']:.1f} ms max {lat['max']:.1f} ms"
            + (f"; socket errors {socket_errors}" if socket_errors else "")
            + f"\n    CPU per answer: service {self.cpu_ms_per_answer('server'):.1f} ms, "
            f"PostgreSQL {self.cpu_ms_per_answer('postgres'):.1f} ms, wrk "
            f"{self.cpu_ms_per_answer('client'):.2f} ms; "
            f"machine {self.cpu.get('machine_busy', 0):.0%} busy"
        )


def combine(a: WrkOutcome, b: WrkOutcome) -> WrkOutcome:
    """Two runs back to back as one (attendance: check-ins, then check-outs). wrk's histograms
    do not merge, so each latency percentile is the larger of the two: an upper bound of the
    combined one (a mixture's percentile lies between its parts')."""
    cpu = {k: a.cpu.get(k, 0) + b.cpu.get(k, 0) for k in a.cpu.keys() | b.cpu.keys()}
    cpu["machine_busy"] = (a.cpu.get("machine_busy", 0) + b.cpu.get("machine_busy", 0)) / 2
    n = a.answered + b.answered
    latency = {k: max(a.latency_ms[k], b.latency_ms[k]) for k in a.latency_ms}
    latency["mean"] = (
        (a.latency_ms["mean"] * a.answered + b.latency_ms["mean"] * b.answered) / n if n else 0
    )
    return WrkOutcome(
        statuses={c: a.statuses.get(c, 0) + b.statuses.get(c, 0) for c in a.statuses | b.statuses},
        answered=n,
        not_sent=a.not_sent + b.not_sent,
        elapsed_s=a.elapsed_s + b.elapsed_s,
        latency_ms=latency,
        errors={k: a.errors.get(k, 0) + b.errors.get(k, 0) for k in a.errors | b.errors},
        threads=a.threads,
        connections=a.connections,
        cpu=cpu,
        runs=a.runs + b.runs,
    )


def request_line(call: Call) -> str:
    """One request for requests.lua: method, path, body, headers, tab-separated."""
    headers = dict(call.headers)
    body = ""
    if call.json is not None:
        body = json.dumps(call.json)  # escapes tabs and newlines inside strings
        headers["Content-Type"] = "application/json"
    fields = [call.method, call.path, body, *(f"{k}: {v}" for k, v in headers.items())]
    if any("\t" in f or "\n" in f for f in fields):
        raise ValueError(f"a request field holds a tab or a newline: {call}")
    return "\t".join(fields)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def drive_wrk(
    base_url: str,
    calls: Sequence[Call],
    *,
    concurrency: int,
    threads: int,
    time_limit_s: float,
    server: Server | None = None,
    pg: Any = None,
) -> WrkOutcome:
    """Send every call once with wrk (``threads`` threads, ``concurrency`` connections), none
    after ``time_limit_s`` (the answers in flight are waited for, as ``drive`` does); wrk is
    told to stop (SIGINT) as soon as each thread has all its answers."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError(SKIPPED)
    with tempfile.NamedTemporaryFile("w", suffix=".wrk-requests", delete=False) as f:
        f.write("".join(request_line(c) + "\n" for c in calls))
        path = Path(f.name)
    cmd = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",  # a margin for the answers in flight at the time limit
        f"{math.ceil(time_limit_s) + 2 * TIMEOUT_S}s",
        "--timeout",
        f"{TIMEOUT_S}s",
        "-s",
        str(SCRIPT),
        f"{base_url}/",
        "--",
        str(path),
        str(threads),
        str(time_limit_s),
    ]
    meter = CpuMeter(server.process.pid if server else None, pg)
    # wrk is this process's only child that ends during the run: its CPU is the difference in
    # the reaped children's rusage.
    wrk_cpu = _children_cpu()
    try:
        with meter:
            proc = await asyncio.create_subprocess_exec(
                *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
            assert proc.stdout is not None
            assert proc.stderr is not None
            stderr: list[str] = []

            async def watch(stream: asyncio.StreamReader) -> None:
                finished = 0
                async for raw in stream:
                    text = raw.decode(errors="replace").rstrip("\n")
                    if text == "wrk-thread-done":
                        finished += 1
                        if finished == threads and proc.returncode is None:
                            proc.send_signal(signal.SIGINT)  # ends wrk's sleep(duration)
                    else:
                        stderr.append(text)

            stdout, _ = await asyncio.gather(proc.stdout.read(), watch(proc.stderr))
            code = await proc.wait()
        wrk_cpu = _children_cpu() - wrk_cpu
    finally:
        path.unlink(missing_ok=True)
    out = stdout.decode(errors="replace")
    summary_line = next((x for x in out.splitlines() if x.startswith("WRK-SUMMARY ")), None)
    if code != 0 or summary_line is None:
        raise RuntimeError(f"wrk exited with {code}: {out[-2000:]} {' '.join(stderr)[-2000:]}")
    data = json.loads(summary_line.removeprefix("WRK-SUMMARY "))
    per_thread = [t for t in data["threads"] if t["answered"]]
    statuses: dict[int, int] = {}
    for t in data["threads"]:
        for status, n in t["statuses"].items():
            statuses[int(status)] = statuses.get(int(status), 0) + n
    answered = sum(t["answered"] for t in data["threads"])
    elapsed_us = (
        max(t["last_us"] for t in per_thread) - min(t["first_us"] for t in per_thread)
        if per_thread
        else 0.0
    )
    cpu = dict(meter.cpu)
    cpu["client"] = wrk_cpu
    return WrkOutcome(
        statuses=statuses,
        answered=answered,
        not_sent=len(calls) - answered,  # as Outcome.not_sent: never sent or never answered
        elapsed_s=elapsed_us / 1e6,
        latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
        errors=data["errors"],
        threads=threads,
        connections=concurrency,
        cpu=cpu,
    )


def rows(
    name: str,
    *,
    metric: str,
    unit: str,
    value: float,
    ours: float,
    ours_latency: dict[str, float],
    ours_cpu_ms: dict[str, float],
    wout: WrkOutcome,
    latency_target: str,
    notes: str,
) -> list[Result]:
    """wrk's rows, next to our client's: the baseline is our client's figure in the same run
    (ratio ≈ 100 % when the two load generators agree)."""
    lat = wout.latency_ms
    ours_cpu = ", ".join(f"{who} {ms:.2f} ms" for who, ms in ours_cpu_ms.items())
    cpu = (
        f"CPU/answer: service {wout.cpu_ms_per_answer('server'):.1f} ms, PostgreSQL "
        f"{wout.cpu_ms_per_answer('postgres'):.1f} ms, wrk {wout.cpu_ms_per_answer('client'):.2f}"
        f" ms (our client's run: {ours_cpu}); machine {wout.cpu.get('machine_busy', 0):.0%} busy"
    )
    return [
        Result(
            name=f"{name} (wrk)",
            metric=metric,
            value=value,
            unit=unit,
            baseline=ours,
            target="≈ 100 % of our client (same run, same server)",
            notes=f"{notes}; wrk -t {wout.threads} -c {wout.connections}, bench/wrk/requests.lua;"
            f" baseline: our client's figure; {cpu}",
            extra={f"cpu_{k}_s": v for k, v in wout.cpu.items()},
        ),
        Result(
            name=f"{name} (wrk)",
            metric="p99 latency (p50 in notes)",
            value=lat["p99"],
            unit="ms",
            baseline=ours_latency["p99_ms"],
            target=latency_target,
            notes=f"p50 {lat['p50']:.1f} ms (our client {ours_latency['p50_ms']:.1f} ms); "
            f"p90 {lat['p90']:.1f} ms, max {lat['max']:.1f} ms (wrk's histogram"
            + (
                f"s: each the larger of its {wout.runs} runs', an upper bound)"
                if wout.runs > 1
                else ")"
            ),
            extra={f"{k}_ms": v for k, v in lat.items()},
        ),
    ]
