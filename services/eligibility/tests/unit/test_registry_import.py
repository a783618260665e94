"""Registry imports read whole, line-numbered, and compared with the records (issue 16)."""

from __future__ import annotations

from datetime import date

from tsuen_eligibility.domain.registry_import import (
    columns,
    compare_with_record,
    enrollment_ends_certification,
    fingerprint,
    moving_out_ends_certification,
    read_csv,
    resident_values,
)
from tsuen_eligibility.service_layer.commands import EnrollmentIn, ResidentRecordIn

HEADER = "child_kana,child_birth_date,moved_in_on,moved_out_on\n"
ENROLL = "child_kana,child_birth_date,facility_type,enrolled_from\n"


def test_every_bad_line_is_named_by_its_spreadsheet_row_and_column():
    text = (
        HEADER
        + "ヤマダ ハナ,2025-01-01,2025-01-01,\n"
        + "\n"  # a blank spreadsheet row still counts
        + "yamada,2025-01-01,,\n"
        + "ヤマダ タロウ,2025/13/01,,\n"
    )
    read = read_csv(text, ResidentRecordIn)
    assert [line for line, _ in read.rows] == [2]
    assert [(e.line, e.column) for e in read.errors] == [
        (4, "child_kana"),
        (5, "child_birth_date"),
    ]
    assert read.errors[0].message_ja.startswith("ふりがな")
    assert "2026-04-01" in read.errors[1].message_ja
    assert read.error_count == 2


def test_a_wrong_header_is_line_one_naming_the_missing_and_unknown_columns():
    read = read_csv("kana,child_birth_date\nヤマダ,2025-01-01\n", ResidentRecordIn)
    assert read.rows == []
    [error] = read.errors
    assert error.line == 1
    assert "child_kana" in error.message_ja  # missing
    assert "不明な列: kana" in error.message_ja


def test_an_unknown_facility_type_lists_the_choices_in_japanese():
    text = ENROLL + "ヤマダ,2025-01-01,zoo,2026-04-01\n"
    [error] = read_csv(text, EnrollmentIn).errors
    assert error.column == "facility_type"
    assert "licensed_nursery" in error.message_ja


def test_a_missing_required_value_is_its_column():
    text = (
        "child_kana,child_birth_date,facility_type,enrolled_from\nヤマダ,2025-01-01,unlicensed,\n"
    )
    [error] = read_csv(text, EnrollmentIn).errors
    assert (error.line, error.column, error.message_ja) == (
        2,
        "enrolled_from",
        "入力してください。",
    )


def test_the_template_header_is_the_model_fields():
    assert columns(ResidentRecordIn) == HEADER.strip().split(",")


def test_rows_are_new_changed_or_unchanged_against_the_record_in_file_order():
    rows = read_csv(
        HEADER
        + "ヤマダ ハナ,2025-01-01,2025-01-01,\n"  # on record, same
        + "ヤマダ ジロウ,2024-05-05,2024-05-05,2026-07-01\n"  # on record, moves out
        + "ヤマダ サブロウ,2024-06-06,2024-06-06,\n"  # new
        + "ヤマダ サブロウ,2024-06-06,2024-06-06,2026-08-01\n",  # changes the row before
        ResidentRecordIn,
    ).rows
    on_record = {
        ("ヤマダ ハナ", date(2025, 1, 1)): resident_values(date(2025, 1, 1), None),
        ("ヤマダ ジロウ", date(2024, 5, 5)): resident_values(date(2024, 5, 5), None),
    }
    changes = compare_with_record(
        rows,
        on_record,
        key=lambda r: (r.child_kana, r.child_birth_date),
        values=lambda r: resident_values(r.moved_in_on, r.moved_out_on),
    )
    assert [(c.line, c.outcome) for c in changes] == [
        (2, "unchanged"),
        (3, "changed"),
        (4, "new"),
        (5, "changed"),
    ]
    assert changes[1].before == {"moved_in_on": "2024-05-05", "moved_out_on": None}


def test_moving_out_ends_the_certification_on_the_day_of_moving_out():
    assert moving_out_ends_certification(date(2026, 7, 1)) == date(2026, 7, 1)
    assert moving_out_ends_certification(None) is None


def test_only_an_excluded_facility_type_ends_the_certification_from_enrollment():
    assert enrollment_ends_certification(True, date(2026, 4, 1)) == date(2026, 4, 1)
    assert enrollment_ends_certification(False, date(2026, 4, 1)) is None


def test_the_fingerprint_changes_with_what_was_seen():
    a = fingerprint("enrollments", {"rows": [1], "ending": []})
    assert a == fingerprint("enrollments", {"rows": [1], "ending": []})
    assert a != fingerprint("enrollments", {"rows": [1], "ending": ["x"]})
    assert a != fingerprint("resident-records", {"rows": [1], "ending": []})
