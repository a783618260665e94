"""The officer's registry CSV as the portal reads, carries and offers it (issue 16)."""

from __future__ import annotations

from tsuen_portal.service_layer.officer_imports import (
    COLUMNS,
    carried,
    decode,
    template_csv,
    uncarried,
)

CSV = "child_kana,child_birth_date\r\nヤマダ ハナ,2025-01-01\r\n"


def test_a_shift_jis_file_is_read_as_well_as_utf8():
    assert decode(CSV.encode("cp932")) == CSV
    assert decode(("\ufeff" + CSV).encode()) == CSV
    assert decode(b"\xff\xfe\x00garbage\x81") is None


def test_the_carried_csv_comes_back_byte_for_byte_and_a_broken_one_is_refused():
    assert uncarried(carried(CSV)) == CSV
    assert uncarried("not base64!") is None


def test_the_template_is_the_header_row_only_with_a_bom():
    text = template_csv("enrollments").decode()
    assert text.startswith("\ufeff")
    assert text.strip("\ufeff\r\n").split(",") == list(COLUMNS["enrollments"])
