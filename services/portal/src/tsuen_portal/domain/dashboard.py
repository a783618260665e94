"""The municipality's dashboard, pure: a facility's month from attendance's per-child lines,
the totals, the bars of a server-drawn chart, and the CSV the officer downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FacilityMonth:
    facility_id: str
    name: str
    children: int
    bookings: int
    booked_minutes: int
    attended: int
    no_shows: int
    late_pickups: int


def facility_month(
    facility_id: str, name: str, lines: Iterable[Mapping[str, Any]]
) -> FacilityMonth:
    """Attendance's month report of one facility (one line per child), summed."""
    rows = list(lines)
    return FacilityMonth(
        facility_id=facility_id,
        name=name,
        children=len(rows),
        bookings=sum(int(r["bookings"]) for r in rows),
        booked_minutes=sum(int(r["booked_minutes"]) for r in rows),
        attended=sum(int(r["attended"]) for r in rows),
        no_shows=sum(int(r["no_shows"]) for r in rows),
        late_pickups=sum(int(r["late_pickups"]) for r in rows),
    )


def totals(months: Sequence[FacilityMonth]) -> FacilityMonth:
    return FacilityMonth(
        facility_id="",
        name="",
        children=sum(m.children for m in months),
        bookings=sum(m.bookings for m in months),
        booked_minutes=sum(m.booked_minutes for m in months),
        attended=sum(m.attended for m in months),
        no_shows=sum(m.no_shows for m in months),
        late_pickups=sum(m.late_pickups for m in months),
    )


def share_percent(part: int, whole: int) -> int | None:
    """Whole percent, rounded half up; None when there is nothing to share (no hours)."""
    if whole <= 0:
        return None
    return (part * 200 + whole) // (whole * 2)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int  # top of the bar's row
    length: int  # the bar's length in the chart's units


BAR_ROW = 36  # px per bar in the SVG (label above, bar below)


def bars(values: Sequence[tuple[str, int]], width: int = 300) -> list[Bar]:
    """Horizontal bars scaled to the largest value (an empty chart has no bars to scale)."""
    largest = max((v for _, v in values), default=0)
    return [
        Bar(
            label=label,
            value=value,
            y=index * BAR_ROW,
            length=(value * width // largest) if largest else 0,
        )
        for index, (label, value) in enumerate(values)
    ]


CSV_COLUMNS = (
    "month",
    "facility_id",
    "facility_name",
    "children",
    "bookings",
    "booked_minutes",
    "attended",
    "no_shows",
    "late_pickups",
)


def dashboard_csv(month: str, rows: Sequence[FacilityMonth]) -> str:
    """UTF-8 with BOM (Excel opens it as such); one row per facility, then the total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in [*rows, totals(rows)]:
        writer.writerow(
            [
                month,
                r.facility_id or "total",
                r.name,
                r.children,
                r.bookings,
                r.booked_minutes,
                r.attended,
                r.no_shows,
                r.late_pickups,
            ]
        )
    return "\ufeff" + out.getvalue()
