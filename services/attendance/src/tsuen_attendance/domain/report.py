"""The facility's month report (利用実績の確認): per child, what was booked and what happened at
the door — visits, booked hours, late pickups and their extra minutes, no-shows. Pure: the
service reads the month's visits and hands them here; the CSV's columns are written down in
``CSV_COLUMNS`` (and docs/attendance.md).

What the family pays and what the municipality pays (over-cap charges, 給付費) are billing's
(its statements and claims); this report counts time, not money.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tsuen_attendance.domain.visits import Visit, VisitStatus


@dataclass
class ChildMonth:
    child_id: uuid.UUID
    child_name: str
    bookings: int = 0
    booked_minutes: int = 0
    attended: int = 0
    no_shows: int = 0
    late_pickups: int = 0
    late_minutes: int = 0
    penalty_minutes: int = 0
    days: set[str] = field(default_factory=set)


CSV_COLUMNS = (
    ("child_id", "児童ID"),
    ("child_name", "氏名"),
    ("bookings", "予約件数"),
    ("booked_minutes", "予約時間（分）"),
    ("attended", "登園件数"),
    ("no_shows", "無断欠席"),
    ("late_pickups", "お迎え遅れ（件）"),
    ("late_minutes", "お迎え遅れ（分）"),
    ("penalty_minutes", "遅れによる追加利用（分）"),
    ("days", "利用日"),
)


def month_report(visits: Iterable[tuple[Visit, str]], now: datetime) -> list[ChildMonth]:
    """Per child (by name, then id), from the month's (visit, child name) pairs; cancelled
    bookings are left out (they cost nothing here, whatever the cancellation rule)."""
    by_child: dict[uuid.UUID, ChildMonth] = {}
    for visit, name in visits:
        if visit.cancelled:
            continue
        line = by_child.setdefault(visit.child_id, ChildMonth(visit.child_id, name))
        line.bookings += 1
        line.booked_minutes += int((visit.ends_at - visit.starts_at).total_seconds() // 60)
        line.days.add(visit.use_date.isoformat())
        status = visit.status(now)
        if status is VisitStatus.NO_SHOW:
            line.no_shows += 1
        elif visit.checked_in_at is not None:
            line.attended += 1
        if visit.late_minutes:
            line.late_pickups += 1
            line.late_minutes += visit.late_minutes
        line.penalty_minutes += visit.penalty_minutes or 0
    return sorted(by_child.values(), key=lambda c: (c.child_name, str(c.child_id)))


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run: a leading = + - @ becomes literal (CSV
    injection), as the names are typed by families."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def report_csv(lines: list[ChildMonth]) -> str:
    """UTF-8 with a BOM (Excel in Japan reads it as UTF-8), a header in Japanese, CRLF."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _, label in CSV_COLUMNS])
    for line in lines:
        writer.writerow(
            [
                str(line.child_id),
                _cell(line.child_name),
                line.bookings,
                line.booked_minutes,
                line.attended,
                line.no_shows,
                line.late_pickups,
                line.late_minutes,
                line.penalty_minutes,
                " ".join(sorted(line.days)),
            ]
        )
    return out.getvalue()
