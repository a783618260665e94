"""Issue 18, item 2: in `all` mode a crashed process is restarted alone; the others keep going."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tsuen_common.service import restart_delay


def test_restart_backoff_grows_and_is_capped() -> None:
    assert [restart_delay(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_crashing_child_is_restarted_while_the_other_keeps_running(tmp_path: Path) -> None:
    crashes, steady = tmp_path / "crashes", tmp_path / "steady"
    # The supervisor runs python with two roles: one dies at once (like a relay that lost its
    # broker), one keeps running (like the API), each leaving a line per start.
    # Dies on its first two starts, then stays up (a relay that comes back once Kafka does).
    crash = (
        f"import time; f = open({str(crashes)!r}, 'a+'); f.write('start' + chr(10)); "
        "f.flush(); f.seek(0); n = len(f.read().splitlines())\n"
        "if n <= 2: raise SystemExit(3)\n"
        "time.sleep(120)"
    )
    keep = f"import time; open({str(steady)!r}, 'a').write('start' + chr(10)); time.sleep(120)"
    script = tmp_path / "supervisor.py"
    script.write_text(
        "import sys\n"
        "from tsuen_common.service import supervise\n"
        f"sys.exit(supervise(sys.executable, [['-c', {crash!r}], ['-c', {keep!r}]]))\n"
    )
    process = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 120  # importing the service package is slow under load
        while time.monotonic() < deadline:
            if crashes.exists() and len(crashes.read_text().splitlines()) >= 3:
                break
            time.sleep(0.2)
        assert len(crashes.read_text().splitlines()) == 3  # restarted twice, then it stayed up
        assert process.poll() is None  # the supervisor did not give up
        assert steady.read_text().splitlines() == ["start"]  # never restarted, never stopped
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0  # stopped on request: a clean exit
