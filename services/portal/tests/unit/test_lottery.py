"""The lottery as the pages read it: the draw's winners and waiting list after outcomes have
moved on, the replay check, the places typed in the form."""

from __future__ import annotations

from tsuen_portal.domain.lottery import Entry, drawn_lists, places_asked, replay_matches


def _entries() -> list[Entry]:
    # Two places; a is accepted, b declined, so c (補欠 1) was promoted; d still waits.
    return [
        Entry("d", 4, "waitlisted", 2),
        Entry("b", 2, "declined", None),
        Entry("c", 3, "promoted", 1),
        Entry("a", 1, "accepted", None),
    ]


def test_the_draws_winners_stay_winners_whatever_happened_since():
    lists = drawn_lists(_entries())
    assert [e.application_id for e in lists.winners] == ["a", "b"]
    assert [e.application_id for e in lists.waitlist] == ["c", "d"]
    assert lists.not_selected == []


def test_without_a_waiting_list_the_rest_are_not_selected():
    lists = drawn_lists([Entry("x", 2, "not_selected", None), Entry("y", 1, "won", None)])
    assert [e.application_id for e in lists.winners] == ["y"]
    assert [e.application_id for e in lists.not_selected] == ["x"]


def test_only_a_held_place_or_a_waiting_entry_can_be_declined():
    declinable = {e.application_id: e.declinable for e in _entries()}
    assert declinable == {"a": False, "b": False, "c": True, "d": True}


def test_a_replay_matches_only_with_the_same_order_and_winners():
    entries = _entries()
    assert replay_matches(entries, ["a", "b", "c", "d"], ["b", "a"])
    assert not replay_matches(entries, ["b", "a", "c", "d"], ["a", "b"])  # another order
    assert not replay_matches(entries, ["a", "b", "c", "d"], ["a", "c"])  # other winners


def test_places_are_a_whole_number_from_one():
    assert places_asked(" 3 ") == 3
    assert places_asked("１２") == 12  # full-width digits from a Japanese keyboard
    assert places_asked("0") is None
    assert places_asked("-1") is None
    assert places_asked("2.5") is None
    assert places_asked("²") is None
    assert places_asked("100001") is None
    assert places_asked("") is None
