from __future__ import annotations

import os
import time
from pathlib import Path

from tsuen_common import heartbeat
from tsuen_common.events.topics import Topic
from tsuen_common.messaging.provision import planned_topics


def test_probe_fails_without_a_heartbeat_and_when_it_is_stale(tmp_path: Path) -> None:
    beat_file = tmp_path / "beat"
    assert heartbeat.main(["--file", str(beat_file)]) == 1
    heartbeat._last = 0.0
    heartbeat.beat(beat_file)
    assert heartbeat.main(["--file", str(beat_file), "--max-age", "60"]) == 0
    old = time.time() - 120
    os.utime(beat_file, (old, old))
    assert heartbeat.main(["--file", str(beat_file), "--max-age", "60"]) == 1


def test_every_registry_topic_is_planned_with_its_dead_letter_topic() -> None:
    plan = planned_topics("t.")
    for topic in Topic:
        assert f"t.{topic}" in plan
        assert plan[f"t.{topic}.dlq"] == 1
    assert plan["t.tsuen.booking.events"] >= plan["t.tsuen.notification.events"]


def test_operator_commands_get_their_own_options_verbatim() -> None:
    from pathlib import Path as _Path

    from tsuen_common.service import run_cli
    from tsuen_common.settings import ServiceSettings

    seen: list[list[str]] = []

    def rotate(settings: ServiceSettings, args: list[str]) -> int:
        seen.append(args)
        return 3

    code = run_cli(
        service="demo",
        migrations_dir=_Path("."),
        settings_factory=ServiceSettings,
        app_path="x:y",
        extra_commands={"rotate-key": ("rotate", rotate)},
        argv=["rotate-key", "--facility", "F1", "--dry-run"],
    )
    assert code == 3
    assert seen == [["--facility", "F1", "--dry-run"]]


def test_consume_builds_the_worker_inside_the_running_event_loop() -> None:
    # aiokafka refuses to create its producer outside a running loop: the worker must be
    # built inside asyncio.run, not before it.
    import asyncio
    from pathlib import Path as _Path

    from tsuen_common.service import run_cli
    from tsuen_common.settings import ServiceSettings

    built_in_loop: list[bool] = []

    class Worker:
        async def run(self) -> None:
            return None

    def factory(settings: ServiceSettings) -> Worker:
        try:
            asyncio.get_running_loop()
            built_in_loop.append(True)
        except RuntimeError:
            built_in_loop.append(False)
        return Worker()

    run_cli(
        service="demo",
        migrations_dir=_Path("."),
        settings_factory=ServiceSettings,
        app_path="x:y",
        worker_factory=factory,  # type: ignore[arg-type]
        argv=["consume"],
    )
    assert built_in_loop == [True]
