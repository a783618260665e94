"""Shared parts of the benchmarks: the test bed, percentiles, and the report files.

Every benchmark runs against the real stack on this machine (containers on 127.0.0.1), is
bounded in count and time, prints its figures and a ratio against a baseline measured in the
same run, and appends a row to bench/results/latest.{json,md}.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class Result:
    name: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""
    notes: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def report(results: list[Result]) -> str:
    RESULTS.mkdir(exist_ok=True)
    rows = [
        "| benchmark | metric | value | baseline | ratio | target | notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        base = f"{r.baseline:,.1f} {r.unit}" if r.baseline is not None else "-"
        ratio = f"{r.ratio:.0%}" if r.ratio is not None else "-"
        rows.append(
            f"| {r.name} | {r.metric} | {r.value:,.1f} {r.unit} | {base} | {ratio} | "
            f"{r.target} | {r.notes} |"
        )
    table = "\n".join(rows)
    (RESULTS / "latest.md").write_text(f"Machine: {machine()}\n\n{table}\n")
    (RESULTS / "latest.json").write_text(
        json.dumps(
            {"machine": machine(), "results": [asdict(r) | {"ratio": r.ratio} for r in results]},
            indent=2,
            ensure_ascii=False,
        )
    )
    return table


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(samples_ms, 50),
        "p99_ms": percentile(samples_ms, 99),
        "mean_ms": statistics.fmean(samples_ms) if samples_ms else float("nan"),
        "n": float(len(samples_ms)),
    }


async def paced(
    one: Callable[[int], Awaitable[None]], rate: int, seconds: float, *, in_flight: int = 25
) -> float:
    """Call ``one(i)`` ``rate`` times a second for ``seconds``; return how many seconds the
    last call finished after the schedule's end (how far the producer fell behind).

    At most ``in_flight`` calls at once (about a connection pool's worth): when the database
    is slower than the rate, the producer falls behind (reported) instead of timing out.
    """
    gate = asyncio.Semaphore(in_flight)

    async def gated(i: int) -> None:
        async with gate:
            await one(i)

    start = time.monotonic()
    tasks = []
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(gated(i)))
    await asyncio.gather(*tasks)
    return time.monotonic() - start - seconds
