"""Liveness for processes without an HTTP port (relay, consumers).

The worker's loop calls :func:`beat` while it is healthy; Kubernetes runs
``tsuen-heartbeat --max-age 60`` as an exec probe, which fails when the file is older than that.
A stuck loop (a hung database or broker call) stops beating and the pod is restarted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import urllib.request
from pathlib import Path

DEFAULT_PATH = Path(os.environ.get("TSUEN_HEARTBEAT_FILE", "/tmp/tsuen-heartbeat"))  # noqa: S108
_MIN_INTERVAL = 5.0
_last = 0.0


def beat(path: Path = DEFAULT_PATH) -> None:
    """Touch the heartbeat file, at most every few seconds (the relay loops every 50 ms)."""
    global _last
    now = time.monotonic()
    if now - _last < _MIN_INTERVAL:
        return
    _last = now
    # A read-only or missing /tmp must not take the worker down; the probe will say so.
    with contextlib.suppress(OSError):
        path.touch()


def age_seconds(path: Path = DEFAULT_PATH) -> float | None:
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local probe)
            return bool(response.status == 200)
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tsuen-heartbeat", description=__doc__.split("\n")[0])
    parser.add_argument("--max-age", type=float, default=60.0, help="seconds")
    parser.add_argument("--file", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--or-http", metavar="URL", help="also healthy if this URL answers 200 (API processes)"
    )
    args = parser.parse_args(argv)
    if args.or_http and _http_ok(args.or_http):
        return 0
    age = age_seconds(args.file)
    if age is None:
        print(f"no heartbeat at {args.file}")
        return 1
    if age > args.max_age:
        print(f"heartbeat is {age:.0f}s old (max {args.max_age:.0f}s)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
