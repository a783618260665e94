"""The application as the officer reads it: the guardian's answers under the form's labels."""

from datetime import date

from tsuen_portal.service_layer.officer import _answers


def test_dates_are_given_as_dates_so_the_page_writes_them_as_every_page_does():
    answers = _answers(
        {
            "guardian": {"name": "掛川 花子", "birth_date": "1994-04-01"},
            "child": {"birth_date": "2025-01-15"},
        }
    )
    days = [a.day for a in answers if a.day is not None]
    assert days == [date(1994, 4, 1), date(2025, 1, 15)]
    assert [a.value for a in answers if a.day is None] == ["掛川 花子"]


def test_an_unreadable_date_is_shown_as_written():
    [answer] = _answers({"child": {"birth_date": "2025-13-40"}})
    assert (answer.value, answer.day) == ("2025-13-40", None)
