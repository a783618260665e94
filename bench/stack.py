"""Running a real service for a benchmark: its CLI as a separate process on 127.0.0.1, tokens,
and a bounded HTTP load generator (asyncio + httpx).

The service runs exactly as deployed: ``tsuen-<service> serve --workers N`` (uvicorn on uvloop
and httptools; N processes sharing the port when N > 1).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from tsuen_common.auth import Principal, TokenIssuer, TokenVerifier

SECRET = secrets.token_hex(32)  # per run; handed to the servers it starts
ISSUER = TokenIssuer(algorithm="HS256", key=SECRET)
VERIFIER = TokenVerifier(algorithm="HS256", key=SECRET, issuer="tsuen", audience="tsuen")
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent


def token(principal: Principal) -> str:
    return ISSUER.mint(principal, ttl=timedelta(hours=4))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TSUEN_DATABASE_URL": database_url,
        "TSUEN_JWT_SECRET": SECRET,
        "TSUEN_LOG_LEVEL": os.environ.get("BENCH_SERVICE_LOG_LEVEL", "INFO"),
        **extra,
    }


def migrate(service: str, database_url: str) -> None:
    subprocess.run(
        [str(BIN / f"tsuen-{service}"), "migrate"],
        env=service_env(database_url),
        check=True,
        stdout=subprocess.DEVNULL,
    )


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def serve(service: str, env: dict[str, str], *, workers: int = 1) -> Server:
    """Start the service's HTTP API on 127.0.0.1 and wait for /healthz."""
    port = free_port()
    # Always the deployed command; `--workers` is uvicorn's multi-process mode behind it.
    cmd = [
        str(BIN / f"tsuen-{service}"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    server = Server(process, f"http://{HOST}:{port}")
    # Two minutes: on a machine others are loading, two workers importing the app can take
    # longer than one (issue 20's runs on a shared box).
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{service} server exited with {process.returncode}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise TimeoutError(f"{service} server did not answer /healthz")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    json: Any = None


@dataclass
class Outcome:
    status: list[int]
    latency_ms: list[float]
    elapsed_s: float
    not_sent: int
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds used during the run: ``server`` (the service's process tree), ``postgres``
    (its container), ``client`` (this load generator), and ``machine_busy`` (0–1, all cores,
    everything on the machine, other people's work included)."""

    def count(self, *codes: int) -> int:
        return sum(1 for s in self.status if s in codes)

    def cpu_ms_per_answer(self, who: str) -> float:
        n = len(self.status)
        return self.cpu[who] * 1000 / n if n and who in self.cpu else float("nan")

    def cpu_text(self) -> str:
        if not self.cpu:
            return ""
        names = {"server": "service", "postgres": "PostgreSQL", "client": "load generator"}
        parts = [
            f"{label} {self.cpu_ms_per_answer(who):.1f} ms"
            for who, label in names.items()
            if who in self.cpu
        ]
        return (
            f"CPU per answer: {', '.join(parts)}; "
            f"machine {self.cpu.get('machine_busy', 0):.0%} busy"
        )


def _tree(pid: int) -> list[int]:
    """pid and its descendants (uvicorn workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants."""
    total = 0.0
    for p in _tree(pid):
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    return total


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = f[3] + f[4]
    return sum(f) - idle, sum(f)


def container_cpu(handle: Any) -> float:
    """CPU seconds used by a test-bed container so far (Docker's cgroup accounting)."""
    try:
        stats = handle.container.get_wrapped_container().stats(stream=False)
        return float(stats["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9
    except Exception:
        return float("nan")


class CpuMeter:
    """CPU used by the service, PostgreSQL, this process and the whole machine over a run."""

    def __init__(self, server_pid: int | None = None, pg: Any = None) -> None:
        self.server_pid, self.pg = server_pid, pg

    def __enter__(self) -> CpuMeter:
        self._server = process_cpu(self.server_pid) if self.server_pid else 0.0
        self._pg = container_cpu(self.pg) if self.pg is not None else 0.0
        self._client = time.process_time()
        self._machine = machine_ticks()
        self.cpu: dict[str, float] = {}
        return self

    def __exit__(self, *exc: object) -> None:
        busy, total = machine_ticks()
        self.cpu["client"] = time.process_time() - self._client
        self.cpu["machine_busy"] = (busy - self._machine[0]) / max(1, total - self._machine[1])
        if self.server_pid:
            self.cpu["server"] = process_cpu(self.server_pid) - self._server
        if self.pg is not None:
            self.cpu["postgres"] = container_cpu(self.pg) - self._pg


def encode(call: Call, host: str) -> bytes:
    """One HTTP/1.1 request, keep-alive, as bytes (built before the clock starts)."""
    body = b"" if call.json is None else json.dumps(call.json).encode()
    head = [f"{call.method} {call.path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    head += [f"{k}: {v}" for k, v in call.headers.items()]
    if call.json is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def drive(
    base_url: str,
    calls: Sequence[Call],
    *,
    concurrency: int,
    time_limit_s: float,
    server: Server | None = None,
    pg: Any = None,
) -> Outcome:
    """Send ``calls`` with ``concurrency`` clients in a closed loop (each sends its next call
    when the previous answered), stopping early after ``time_limit_s``. Latency is per call,
    from writing the request to the end of the response body; status 0 = transport error.

    A lean HTTP/1.1 client on asyncio streams (requests pre-encoded, one keep-alive connection
    per client): httpx costs the load generator ~3–5 ms CPU per request, as much as the server
    under test, on the same two cores."""
    host, port = base_url.removeprefix("http://").split(":")
    requests = [encode(c, f"{host}:{port}") for c in calls]
    status: list[int] = []
    latency: list[float] = []
    it = iter(requests)
    deadline = time.monotonic() + time_limit_s

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for request in it:
                if time.monotonic() > deadline:
                    return
                t0 = time.perf_counter()
                try:
                    code = await _exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    code = 0
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                latency.append((time.perf_counter() - t0) * 1000)
                status.append(code)
        finally:
            writer.close()

    meter = CpuMeter(server.process.pid if server else None, pg)
    with meter:
        t0 = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - t0
    return Outcome(status, latency, elapsed, len(calls) - len(status), meter.cpu)
