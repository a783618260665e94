"""Booking committed → e-mail accepted by SMTP, end to end, at a steady rate.

The real path, every hop a real process on this machine:
1. a producer process commits ``BookingConfirmed`` at ``--rate`` per second into booking's own
   outbox table (booking's migrated database; ``Outbox.add`` in one transaction: the row
   booking's ``book_use`` call writes last; the booking use case itself is measured by
   ``bench.booking_rush``), recording each commit instant;
2. ``tsuen-booking relay`` publishes the outbox to Kafka (test-bed broker);
3. ``tsuen-notification consume`` (its consumers + mail sender, default settings) queues the
   notice in its inbox transaction and sends it;
4. an aiosmtpd server on 127.0.0.1 (in this process, own thread) records when it accepted each
   mail (end of DATA). Each booking has its own guardian address, so mail ↔ commit is exact.
Figures: p50/p99 of (SMTP accepted − committed), split at the moment the consumer queued the
mail (commit → queued, queued → SMTP); the delivered rate against the offered rate; CPU per
mail of the notification service, the booking relay, PostgreSQL and this process (the SMTP
sink). Two steady runs by default: 20/s (what the path costs when it keeps up) and 500/s (the
target). Usage: uv run python -m bench.email_pipeline [--rates 20,500 --seconds 10]
Booking's outbox has the relay's wake-up (``tsuen_common.messaging.wakeup``: an idle relay
waits for a commit's NOTIFY instead of polling every 50 ms; booking's migration 0019);
``--no-wakeup`` takes it out to measure the relay polling as before.
The services get this process's environment: ``TSUEN_SENDER_CONCURRENCY=8`` tries a setting;
``BENCH_SERVICE_LOGS=DIR`` keeps their logs (``DIR/<service>.log``) instead of dropping them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import time as dtime
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from bench.common import Result, paced, report, summary
from bench.stack import BIN, CpuMeter, free_port, migrate, process_cpu, service_env
from tests.integration import testbed
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.events.booking import BookingConfirmed, BookingKind
from tsuen_common.messaging import Outbox
from tsuen_common.messaging.provision import ensure_topics
from tsuen_common.timeutil import at_jst, today_jst

CHIYODA = "131016"


class Recorder:
    """aiosmtpd handler: the instant each recipient's mail was accepted."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        for rcpt in envelope.rcpt_tos:
            self.accepted.setdefault(rcpt.lower(), now)
        return "250 OK"


def booking(i: int, run: str) -> BookingConfirmed:
    day = today_jst() + timedelta(days=20)
    return BookingConfirmed(
        booking_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        guardian_id=uuid.uuid4(),
        guardian_email=f"g{i}.{run}@example.jp",
        facility_id=uuid.UUID(int=1),
        facility_name="ベンチ保育園",
        facility_email="en@example.jp",
        kind=BookingKind.FLEXIBLE,
        use_date=day,
        starts_at=at_jst(day, dtime(9)),
        ends_at=at_jst(day, dtime(11)),
        held_minutes=120,
    )


async def produce(url: str, prefix: str, rate: int, seconds: float, run: str, out: Path) -> None:
    """Producer process: RATE commits per second of BookingConfirmed into booking's outbox."""
    engine = make_engine(url, pool_size=20)
    sessions = make_sessions(engine)
    outbox = Outbox(producer="booking", topic_prefix=prefix)
    committed: dict[str, float] = {}

    async def one(i: int) -> None:
        event = booking(i, run)
        async with sessions() as session, session.begin():
            await outbox.add(session, event, municipality=CHIYODA)
        committed[str(event.guardian_email)] = time.time()

    behind = await paced(one, rate, seconds)
    out.write_text(json.dumps({"committed": committed, "behind_s": behind}))
    await engine.dispose()


async def commit_run(url: str, prefix: str, rate: int, seconds: float, run: str) -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.email_pipeline",
        "produce",
        *("--url", url, "--prefix", prefix, "--rate", str(rate)),
        *("--seconds", str(seconds), "--run", run, "--out", str(out)),
    )
    await proc.wait()
    data: dict = json.loads(out.read_text())
    out.unlink()
    return data


async def run(
    kafka: testbed.KafkaHandle,
    pg: testbed.PostgresHandle,
    rates: list[int],
    seconds: float,
    wakeup: bool = True,
    idle_seconds: float = 10.0,
) -> list[Result]:
    prefix = f"m{uuid.uuid4().hex[:6]}."
    await ensure_topics(kafka.bootstrap_servers, prefix)
    pg.create_database("email_booking", drop_existing=True)
    pg.create_database("email_notification", drop_existing=True)
    booking_url = pg.async_url("email_booking")
    notification_url = pg.async_url("email_notification")
    await asyncio.to_thread(migrate, "booking", booking_url)
    await asyncio.to_thread(migrate, "notification", notification_url)
    if not wakeup:
        from tsuen_common.messaging.wakeup import uninstall as uninstall_wakeup

        engine = make_engine(booking_url, pool_size=1)
        async with engine.begin() as conn:
            await uninstall_wakeup(conn)
        await engine.dispose()
    print(f"[email] booking relay: {'woken by NOTIFY when idle' if wakeup else 'polling'}")

    recorder = Recorder()
    smtp_port = free_port()
    smtp = Controller(recorder, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    common = {
        "TSUEN_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TSUEN_KAFKA_TOPIC_PREFIX": prefix,
        "TSUEN_LOG_LEVEL": "WARNING",
    }
    relay = subprocess.Popen(
        [str(BIN / "tsuen-booking"), "relay"],
        env=service_env(booking_url, **common),
        stdout=_service_log("booking-relay"),
    )
    consumer = subprocess.Popen(
        [str(BIN / "tsuen-notification"), "consume"],
        env=service_env(
            notification_url,
            **common,
            TSUEN_SMTP_HOST="127.0.0.1",
            TSUEN_SMTP_PORT=str(smtp_port),
        ),
        stdout=_service_log("notification-consume"),
    )
    try:
        # Warm-up: one mail through the whole path, so group joins and connections are done.
        warm = await commit_run(booking_url, prefix, 5, 1, "warm")
        deadline = time.monotonic() + 90
        while not set(warm["committed"]) <= set(recorder.accepted):
            if time.monotonic() > deadline:
                raise TimeoutError("warm-up mail never arrived at the SMTP server")
            await asyncio.sleep(0.1)
        print("[email] warm-up delivered")
        raw_rate = await raw_smtp(smtp_port, recorder)
        print(f"[email] raw aiosmtplib to the same SMTP server: {raw_rate:,.0f} mails/s")
        idle = await _idle_cpu(consumer.pid, relay.pid, pg, idle_seconds)
        runs = [
            await _timed(booking_url, prefix, r, seconds, recorder, consumer.pid, relay.pid, pg)
            for r in rates
        ]
        queued_at = await _queued_at(notification_url)
    finally:
        for proc in (consumer, relay):
            proc.terminate()
        for proc in (consumer, relay):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        smtp.stop()
    results = []
    if idle:
        results.append(
            Result(
                name="e-mail pipeline (booking commit → SMTP accepted)",
                metric=f"CPU with no bookings for {idle_seconds:.0f} s (idle cost)",
                value=sum(idle.values()),
                unit="ms/s",
                target="costs nothing at low rates",
                notes=", ".join(f"{k} {v:.1f}" for k, v in idle.items())
                + f" ms per second; booking relay {'woken by NOTIFY' if wakeup else 'polling'}",
                extra=idle,
            )
        )
    for rate, (committed, offered_s, t0, cpu) in zip(rates, runs, strict=True):
        got = {e: recorder.accepted[e] for e in committed if e in recorder.accepted}
        lat = [(got[e] - committed[e]) * 1000 for e in got]
        s = summary(lat)
        lost = len(committed) - len(got)
        # Drain rate: mails over the span from the first to the last accepted mail.
        first, last = (min(got.values()), max(got.values())) if got else (t0, t0)
        delivered = len(got) / max(1e-9, last - first)
        offered = len(committed) / max(1e-9, offered_s)
        per_mail = cpu.get("server", 0) * 1000 / max(1, len(got))
        # The other processes on the path share the same two cores: their CPU per mail says
        # what the whole path costs the machine, and so the rate this box could sustain.
        others = {
            "relay": cpu.get("relay", 0),
            "PostgreSQL": cpu.get("postgres", 0),
            "SMTP sink + bench": cpu.get("client", 0),
        }
        others_ms = ", ".join(f"{k} {v * 1000 / max(1, len(got)):.1f}" for k, v in others.items())
        # Where the time goes: commit → the consumer's transaction queued the mail (mail_queue
        # created_at, the transaction's start) and queued → SMTP accepted (the sender).
        split = [e for e in got if e in queued_at]
        to_queue = summary([(queued_at[e] - committed[e]) * 1000 for e in split])
        to_smtp = summary([(got[e] - queued_at[e]) * 1000 for e in split])
        stages = (
            f"commit → queued p50 {to_queue['p50_ms']:.0f} / p99 {to_queue['p99_ms']:.0f} ms, "
            f"queued → SMTP p50 {to_smtp['p50_ms']:.0f} / p99 {to_smtp['p99_ms']:.0f} ms"
        )
        print(
            f"[email] {rate}/s asked: {len(got)}/{len(committed)} mails accepted by SMTP; "
            f"commit → SMTP p50 {s['p50_ms']:.0f} ms p99 {s['p99_ms']:.0f} ms; delivered "
            f"{delivered:,.0f}/s of {offered:,.0f}/s offered; notification CPU {per_mail:.1f} "
            f"ms/mail ({others_ms} ms/mail); machine {cpu.get('machine_busy', 0):.0%} busy; "
            f"{stages}"
        )
        results += [
            Result(
                name="e-mail pipeline (booking commit → SMTP accepted)",
                metric=f"p99 latency, {rate} bookings/s asked for {seconds:.0f} s",
                value=s["p99_ms"],
                unit="ms",
                target="p99 < 500 ms at 500/s",
                notes=(
                    f"p50 {s['p50_ms']:.0f} ms; {len(got)} mails, {lost} not arrived within the "
                    f"wait; {stages}; CPU per mail: notification service {per_mail:.1f} ms "
                    f"({others_ms} ms); machine {cpu.get('machine_busy', 0):.0%} busy; "
                    "default sender settings"
                ),
                extra=s
                | {
                    "commit_to_queued": to_queue,
                    "queued_to_smtp": to_smtp,
                    "cpu_ms_per_mail": {"notification": per_mail}
                    | {k: v * 1000 / max(1, len(got)) for k, v in others.items()},
                },
            ),
            Result(
                name="e-mail pipeline (booking commit → SMTP accepted)",
                metric=f"mails/s accepted by SMTP at {rate}/s asked (baseline: offered)",
                value=delivered,
                unit="mails/s",
                baseline=offered,
                target="keeps up (100 %)",
                notes=(
                    "offered = commits the producer achieved per second; delivered = mails "
                    "between the first and the last accepted one per second; "
                    f"raw aiosmtplib to the same SMTP server: {raw_rate:,.0f} mails/s"
                ),
                extra={"raw_smtp_mails_per_s": raw_rate},
            ),
        ]
    return results


def _service_log(name: str) -> Any:
    """Where a service's log goes: nowhere, or ``$BENCH_SERVICE_LOGS/<name>.log`` if set."""
    directory = os.environ.get("BENCH_SERVICE_LOGS")
    if not directory:
        return subprocess.DEVNULL
    return (Path(directory) / f"{name}.log").open("w")


async def raw_smtp(port: int, recorder: Recorder, count: int = 400, lanes: int = 4) -> float:
    """What the SMTP server itself takes: ``count`` small UTF-8 mails over ``lanes`` connections
    with aiosmtplib (the notification service's client library), no database, no templates."""
    import aiosmtplib

    async def lane(n: int) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await client.connect()
        for i in range(n):
            message = EmailMessage()
            message["From"] = "bench@example.jp"
            message["To"] = f"raw{n}-{i}@example.jp"
            message["Subject"] = "予約完了のお知らせ"
            message.set_content("ご予約ありがとうございます。" * 20)
            await client.send_message(message)
        await client.quit()

    t0 = time.perf_counter()
    await asyncio.gather(*(lane(count // lanes) for _ in range(lanes)))
    return count / (time.perf_counter() - t0)


async def _timed(
    url: str,
    prefix: str,
    rate: int,
    seconds: float,
    recorder: Recorder,
    consumer_pid: int,
    relay_pid: int,
    pg: testbed.PostgresHandle,
) -> tuple[dict[str, float], float, float, dict[str, float]]:
    """One steady run: commit at ``rate`` for ``seconds``, wait (bounded) for the mails."""
    relay_cpu = process_cpu(relay_pid)
    with CpuMeter(consumer_pid, pg) as meter:
        t0 = time.time()
        data = await commit_run(url, prefix, rate, seconds, f"r{rate}")
        committed: dict[str, float] = data["committed"]
        deadline = time.monotonic() + max(30.0, seconds * 3)
        while len(committed.keys() & recorder.accepted.keys()) < len(committed):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    meter.cpu["relay"] = process_cpu(relay_pid) - relay_cpu
    return committed, seconds + max(0.0, data["behind_s"]), t0, meter.cpu


async def _idle_cpu(
    consumer_pid: int, relay_pid: int, pg: testbed.PostgresHandle, seconds: float
) -> dict[str, float]:
    """What the path costs with nothing to do: CPU ms per second of the notification service,
    the relay and PostgreSQL over ``seconds`` of no bookings (after the warm-up settled)."""
    if seconds <= 0:
        return {}
    await asyncio.sleep(2.0)
    relay_cpu = process_cpu(relay_pid)
    with CpuMeter(consumer_pid, pg) as meter:
        await asyncio.sleep(seconds)
    idle = {
        "notification": meter.cpu.get("server", 0),
        "relay": process_cpu(relay_pid) - relay_cpu,
        "PostgreSQL": meter.cpu.get("postgres", 0),
    }
    idle = {k: v * 1000 / seconds for k, v in idle.items()}
    print(
        f"[email] idle {seconds:.0f} s, CPU ms per second: "
        + ", ".join(f"{k} {v:.1f}" for k, v in idle.items())
    )
    return idle


async def _queued_at(url: str) -> dict[str, float]:
    """When each confirmation was queued (the consumer transaction's start), by recipient."""
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT recipient, extract(epoch FROM created_at) AS at FROM mail_queue "
                    "WHERE template = 'booking_confirmed'"
                )
            )
            return {r.recipient.lower(): float(r.at) for r in rows}
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "produce"])
    parser.add_argument("--rate", type=int, default=500, help="producer mode")
    parser.add_argument(
        "--rates", default="20,500", help="steady runs, one after another (bookings/s)"
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--url")
    parser.add_argument("--prefix")
    parser.add_argument("--run", default="run")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--idle-seconds", type=float, default=10, help="idle CPU measured first (0: skip)"
    )
    parser.add_argument(
        "--no-wakeup", action="store_true", help="booking's relay polls (no NOTIFY wake-up)"
    )
    args = parser.parse_args()
    if args.mode == "produce":
        asyncio.run(produce(args.url, args.prefix, args.rate, args.seconds, args.run, args.out))
        return
    kafka = testbed.start_kafka()
    pg = testbed.start_postgres()
    try:
        rates = [int(r) for r in args.rates.split(",")]
        results = asyncio.run(
            run(
                kafka,
                pg,
                rates,
                args.seconds,
                wakeup=not args.no_wakeup,
                idle_seconds=args.idle_seconds,
            )
        )
    finally:
        kafka.stop()
        pg.stop()
    print(report(results))


if __name__ == "__main__":
    main()
