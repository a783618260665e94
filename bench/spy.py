"""Where a running server's CPU goes, under a benchmark's real load: py-spy samples the
server's processes (uvicorn's workers included) and the samples are grouped by the package of
the frame that was running, as ``bench.profile`` groups cProfile's self time.

Not a benchmark: the evidence for bench/README.md's "what is left, and whose it is". Unlike
``bench.profile`` (the app in-process under cProfile, which inflates Python calls 1.5–2× and adds
a test client), this is the server as deployed, sampled from outside. Usage, while a benchmark
runs in another shell:

    uv run python -m bench.spy --match "tsuen-booking serve" --wait 20 --seconds 10

``--wait`` gives the benchmark time to finish its set-up (the phase to sample must be running).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.profile import group_of


def find(match: str, timeout: float) -> int:
    """The oldest process whose command line contains ``match`` (uvicorn's supervisor)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # -A: not this command (nor the `uv run` above it), whose own line holds ``match``.
        found = subprocess.run(
            ["pgrep", "-o", "-A", "-f", match], capture_output=True, text=True, check=False
        ).stdout.split()
        if found:
            return int(found[0])
        time.sleep(0.5)
    raise SystemExit(f"no process matching {match!r} within {timeout:.0f} s")


def record(pid: int, seconds: float, rate: int) -> list[tuple[list[str], int]]:
    """Collapsed stacks (root first) with their sample counts, from every process under ``pid``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stacks.txt"
        done = subprocess.run(
            [
                "py-spy", "record", "--pid", str(pid), "--subprocesses", "--format", "raw",
                "--rate", str(rate), "--duration", str(int(seconds)), "--nonblocking",
                "--output", str(out),
            ],
            check=False,
            capture_output=True,
            text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"py-spy failed: {done.stderr.strip()[-500:]}")
        stacks = []
        for line in out.read_text().splitlines():
            frames, _, count = line.rpartition(" ")
            if frames:
                stacks.append((frames.split(";"), int(count)))
        return stacks


def frame_file(frame: str) -> str:
    """``handle (starlette/routing.py:123)`` → ``starlette/routing.py``."""
    _, _, where = frame.rpartition(" (")
    return where.rstrip(")").rpartition(":")[0]


def summarise(stacks: list[tuple[list[str], int]]) -> str:
    total = sum(count for _, count in stacks)
    if not total:
        return "no samples (was the server busy?)"
    by_group: Counter[str] = Counter()
    by_file: Counter[str] = Counter()
    ours_inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        leaf = frame_file(frames[-1])
        by_group[group_of(leaf)] += count
        by_file[leaf] += count
        # Our functions with everything they called: what each step of a request costs.
        seen = set()
        for frame in frames:
            if "tsuen_" in frame and frame not in seen:
                seen.add(frame)
                ours_inclusive[frame.split(" (")[0] + " " + frame_file(frame)] += count
    lines = [f"{total} samples on CPU; by the package of the running frame (self time):"]
    lines += [f"  {n / total:6.1%}  {g}" for g, n in by_group.most_common()]
    lines.append("running frame's file (top 25):")
    lines += [f"  {n / total:6.1%}  {f}" for f, n in by_file.most_common(25)]
    lines.append("our functions, with what they call (inclusive, top 25):")
    lines += [f"  {n / total:6.1%}  {f}" for f, n in ours_inclusive.most_common(25)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--match", required=True, help="part of the server's command line")
    parser.add_argument("--wait", type=float, default=0.0, help="seconds before sampling")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=200, help="samples per second")
    args = parser.parse_args()
    pid = find(args.match, timeout=300)
    time.sleep(args.wait)
    print(summarise(record(pid, args.seconds, args.rate)))


if __name__ == "__main__":
    main()
