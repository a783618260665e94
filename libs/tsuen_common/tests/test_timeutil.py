from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, time
from pathlib import Path

import pytest

from tsuen_common.timeutil import JST, at_jst, now_jst, set_test_clock

PROBE = "from tsuen_common.timeutil import now_jst; print(now_jst().isoformat())"


def run_probe(env: dict[str, str]) -> datetime:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env={**os.environ, **env}, capture_output=True, text=True
    )
    return datetime.fromisoformat(out.stdout.strip())


def test_now_is_japan_time():
    assert now_jst().utcoffset().total_seconds() == 9 * 3600
    assert at_jst(datetime(2026, 5, 6).date(), time(17, 0)).isoformat() == (
        "2026-05-06T17:00:00+09:00"
    )


def test_a_test_process_lives_at_the_instant_in_the_clock_file(tmp_path: Path):
    clock = tmp_path / "clock"
    set_test_clock(clock, datetime(2027, 4, 8, 16, 59, tzinfo=JST))
    seen = run_probe({"TSUEN_ENVIRONMENT": "test", "TSUEN_TEST_CLOCK_FILE": str(clock)})
    assert datetime(2027, 4, 8, 16, 59, tzinfo=JST) <= seen
    assert (seen - datetime(2027, 4, 8, 16, 59, tzinfo=JST)).total_seconds() < 60


def test_the_clock_file_is_ignored_outside_the_test_environment(tmp_path: Path):
    clock = tmp_path / "clock"
    set_test_clock(clock, datetime(2000, 1, 1, tzinfo=JST))
    seen = run_probe({"TSUEN_ENVIRONMENT": "prod", "TSUEN_TEST_CLOCK_FILE": str(clock)})
    assert seen.year > 2000


def test_the_test_clock_refuses_a_naive_instant(tmp_path: Path):
    with pytest.raises(ValueError, match="timezone"):
        set_test_clock(tmp_path / "clock", datetime(2027, 4, 8, 9, 0))
