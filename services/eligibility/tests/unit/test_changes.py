from tsuen_eligibility.domain.changes import (
    applied,
    in_form_order,
    needs_review,
    requested_changes,
)

ON_RECORD = {
    "name": "掛川 陽子",
    "kana": "カケガワ ヨウコ",
    "address": "掛川市1-1",
    "phone": "0537-00-0000",
}


def test_only_the_fields_that_differ_are_asked_for():
    asked = {"address": "掛川市2-2", "phone": "0537-00-0000", "guardian_name": None}
    assert requested_changes(ON_RECORD, asked) == {"address": "掛川市2-2"}


def test_nothing_new_asks_for_nothing():
    assert requested_changes(ON_RECORD, {"guardian_kana": "カケガワ ヨウコ"}) == {}


def test_an_approved_change_is_written_under_the_forms_keys():
    after = applied(ON_RECORD, {"guardian_name": "掛川 陽菜", "address": "掛川市2-2"})
    assert after["name"] == "掛川 陽菜"
    assert after["address"] == "掛川市2-2"
    assert after["phone"] == ON_RECORD["phone"]
    assert ON_RECORD["name"] == "掛川 陽子"  # the record itself is untouched


def test_a_guardians_change_waits_for_an_officer_and_an_officers_does_not():
    assert needs_review(role_is_officer=False)
    assert not needs_review(role_is_officer=True)


def test_changes_read_in_the_forms_order_whatever_order_they_were_stored_in():
    stored = {"guardian_kana": "カ", "phone": "1", "address": "2"}
    assert list(in_form_order(stored)) == ["address", "phone", "guardian_kana"]
