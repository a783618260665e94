"""The facility's month report: counts per child, cancelled bookings left out, the CSV."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import replace
from datetime import datetime

from tsuen_attendance.domain.report import CSV_COLUMNS, month_report, report_csv
from tsuen_attendance.domain.visits import Visit
from tsuen_common.timeutil import JST


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=JST)


CHILD = uuid.uuid4()
OTHER = uuid.uuid4()


def visit(day: int, child: uuid.UUID = CHILD) -> Visit:
    return Visit(
        booking_id=uuid.uuid4(),
        municipality="222135",
        facility_id=uuid.uuid4(),
        child_id=child,
        guardian_id=uuid.uuid4(),
        use_date=at(day, 9).date(),
        starts_at=at(day, 9),
        ends_at=at(day, 12),
    )


NOW = at(30, 18)


def test_a_month_per_child() -> None:
    came = replace(visit(4), checked_in_at=at(4, 9), checked_out_at=at(4, 12))
    late = replace(
        visit(5),
        checked_in_at=at(5, 9),
        checked_out_at=at(5, 12, 25),
        late_minutes=25,
        penalty_minutes=60,
    )
    missed = visit(6)  # nobody came, the day is over
    cancelled = replace(visit(7), cancelled=True)
    other = replace(visit(4, OTHER), checked_in_at=at(4, 9))
    lines = month_report(
        [(came, "通園 ハナ"), (late, "通園 ハナ"), (missed, "通園 ハナ"), (cancelled, "通園 ハナ"),
         (other, "掛川 ソラ")],
        NOW,
    )  # fmt: skip
    hana = next(line for line in lines if line.child_id == CHILD)
    assert (hana.bookings, hana.booked_minutes, hana.attended, hana.no_shows) == (3, 540, 2, 1)
    assert (hana.late_pickups, hana.late_minutes, hana.penalty_minutes) == (1, 25, 60)
    assert sorted(hana.days) == ["2026-11-04", "2026-11-05", "2026-11-06"]
    assert [line.child_name for line in lines] == sorted(["通園 ハナ", "掛川 ソラ"])


def test_a_visit_still_ahead_is_neither_attended_nor_a_no_show() -> None:
    (line,) = month_report([(visit(30), "通園 ハナ")], at(30, 8))
    assert (line.bookings, line.attended, line.no_shows) == (1, 0, 0)


def test_the_csv_has_a_bom_the_documented_header_and_one_row_per_child() -> None:
    lines = month_report([(visit(6), "通園, ハナ")], NOW)
    text = report_csv(lines)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [label for _, label in CSV_COLUMNS]
    assert rows[1][1] == "通園, ハナ"  # quoted, not split
    assert rows[1][5] == "1"  # the no-show
    assert text.endswith("\r\n")


def test_a_name_a_spreadsheet_would_run_is_written_as_text() -> None:
    text = report_csv(month_report([(visit(6), "=HYPERLINK(1)")], NOW))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][1] == "'=HYPERLINK(1)"
