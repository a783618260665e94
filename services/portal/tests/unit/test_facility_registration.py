"""The officer's 施設の登録 form: every field booking needs, each error on its own field."""

from __future__ import annotations

from tsuen_portal.domain.facility_registration import (
    DAYS_FIELD,
    read_facility_form,
    registration_body,
)

FILLED = {
    "name": "すくすく保育園",
    "kana": "スクスクホイクエン",
    "facility_type": "licensed_nursery",
    "address": "静岡県掛川市長谷1-1-1",
    "phone": "0537-21-1111",
    "email": "sukusuku@example.jp",
    "places": "3",
    "day-0": "yes",
    "day-2": "yes",
    "day-5": "yes",
    "opens": "08:30",
    "closes": "17:00",
}


def test_a_complete_form_becomes_bookings_registration():
    form, errors = read_facility_form(FILLED)
    assert errors == {}
    assert registration_body(form) == {
        "name": "すくすく保育園",
        "kana": "スクスクホイクエン",
        "facility_type": "licensed_nursery",
        "address": "静岡県掛川市長谷1-1-1",
        "phone": "0537-21-1111",
        "email": "sukusuku@example.jp",
        "places_per_slot": 3,
        "opening_hours": {
            "0": {"open": "08:30", "close": "17:00"},
            "2": {"open": "08:30", "close": "17:00"},
            "5": {"open": "08:30", "close": "17:00"},
        },
    }


def test_the_email_is_optional():
    form, errors = read_facility_form({**FILLED, "email": ""})
    assert errors == {}
    assert "email" not in registration_body(form)


def test_full_width_digits_are_read_as_digits():
    form, errors = read_facility_form(
        {**FILLED, "places": "１２", "phone": "０５３７-２１-１１１１"}
    )
    assert errors == {}
    assert registration_body(form)["places_per_slot"] == 12


def test_an_empty_form_names_every_missing_field_in_the_pages_order():
    _form, errors = read_facility_form({})
    assert list(errors) == [
        "name",
        "kana",
        "facility_type",
        "address",
        "phone",
        "places",
        DAYS_FIELD,
        "opens",
        "closes",
    ]


def test_the_reading_must_be_kana():
    _form, errors = read_facility_form({**FILLED, "kana": "Sukusuku"})
    assert errors == {"kana": "Write the reading in hiragana or katakana"}


def test_an_unknown_facility_type_is_refused():
    _form, errors = read_facility_form({**FILLED, "facility_type": "castle"})
    assert list(errors) == ["facility_type"]


def test_places_must_be_a_number_from_1_to_200():
    for places in ("0", "201", "-1", "three", "2.5"):
        _form, errors = read_facility_form({**FILLED, "places": places})
        assert list(errors) == ["places"], places


def test_closing_must_come_after_opening():
    _form, errors = read_facility_form({**FILLED, "opens": "17:00", "closes": "08:30"})
    assert errors == {"closes": "The closing time must be after the opening time"}


def test_a_malformed_time_or_phone_is_pointed_at():
    _form, errors = read_facility_form({**FILLED, "opens": "25:00", "phone": "call us"})
    assert list(errors) == ["phone", "opens"]
