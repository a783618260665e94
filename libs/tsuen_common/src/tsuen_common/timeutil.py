"""Time in tsuen is Asia/Tokyo; dates are dates. One place for the zone and for 'now'.

End-to-end tests need the platform to live at a chosen moment (the evening before a booking,
ten minutes after a pickup was due). With ``TSUEN_ENVIRONMENT=test`` and
``TSUEN_TEST_CLOCK_FILE`` set, every process reads "now" from that file: an ISO-8601 instant
written there becomes the current time, and the clock runs on from it (so timeouts still
expire). Outside the test environment the variables are ignored.
"""

from __future__ import annotations

import os
import time as _time
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

_CLOCK_FILE = (
    Path(os.environ["TSUEN_TEST_CLOCK_FILE"])
    if os.environ.get("TSUEN_ENVIRONMENT") == "test" and os.environ.get("TSUEN_TEST_CLOCK_FILE")
    else None
)


def now_jst() -> datetime:
    if _CLOCK_FILE is not None:
        shifted = _test_clock(_CLOCK_FILE)
        if shifted is not None:
            return shifted
    return datetime.now(JST)


def today_jst() -> date:
    return now_jst().date()


def at_jst(day: date, clock: time) -> datetime:
    """The instant ``clock`` on ``day`` in Japan (no DST there, so always unambiguous)."""
    return datetime.combine(day, clock, tzinfo=JST)


def set_test_clock(path: Path, instant: datetime) -> None:
    """Make every test-environment process reading ``path`` live at ``instant`` from now on."""
    if instant.tzinfo is None:
        raise ValueError("the test clock needs a timezone-aware instant")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(instant.isoformat())
    tmp.replace(path)  # atomic: a reader never sees half a timestamp


def _test_clock(path: Path) -> datetime | None:
    try:
        stat = path.stat()
        text = path.read_text().strip()
    except OSError:
        return None
    if not text:
        return None
    elapsed = max(0.0, _time.time() - stat.st_mtime)
    return (datetime.fromisoformat(text) + timedelta(seconds=elapsed)).astimezone(JST)
