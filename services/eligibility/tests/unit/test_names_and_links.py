"""Matching children across form and registries; one-time application links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tsuen_eligibility.domain.links import (
    LinkAlreadyUsed,
    LinkExpired,
    check_link_usable,
    link_expiry,
    new_token,
    token_hash,
)
from tsuen_eligibility.domain.names import email_key, kana_key

ISSUED = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "written", ["ヤマダ タロウ", "やまだ　たろう", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ・タロウ", " ヤマダタロウ "]
)
def test_the_same_reading_written_differently_gives_one_key(written: str) -> None:
    assert kana_key(written) == "ヤマダタロウ"


def test_different_readings_differ() -> None:
    assert kana_key("ヤマダ タロウ") != kana_key("ヤマダ ジロウ")


def test_email_key_ignores_case_and_surrounding_space() -> None:
    assert email_key(" Parent@Example.JP ") == "parent@example.jp"


def test_tokens_are_unique_and_only_their_hash_is_kept() -> None:
    a, b = new_token(), new_token()
    assert a != b
    assert token_hash(a) != a
    assert len(token_hash(a)) == 64
    assert token_hash(a) == token_hash(a)


def test_link_is_valid_for_the_policys_hours() -> None:
    assert link_expiry(ISSUED, 24) == ISSUED + timedelta(days=1)


def test_link_works_until_just_before_expiry() -> None:
    expires = link_expiry(ISSUED, 24)
    check_link_usable(expires_at=expires, used_at=None, now=expires - timedelta(microseconds=1))


def test_link_at_its_expiry_instant_is_expired() -> None:
    expires = link_expiry(ISSUED, 24)
    with pytest.raises(LinkExpired, match="request a new link"):
        check_link_usable(expires_at=expires, used_at=None, now=expires)


def test_used_link_is_refused_even_before_expiry() -> None:
    with pytest.raises(LinkAlreadyUsed, match="already been used"):
        check_link_usable(expires_at=ISSUED + timedelta(days=1), used_at=ISSUED, now=ISSUED)


@pytest.mark.parametrize("mark", ["\u200b", "\u00ad", "\u2060", "\u200e", "\u202a", "\x00"])
def test_invisible_and_control_characters_do_not_make_a_second_child(mark):
    # The one-child rule compares keys: a hidden mark must not make the same child look new.
    assert kana_key(f"ヤマダ{mark}タロウ") == kana_key("ヤマダ タロウ")
