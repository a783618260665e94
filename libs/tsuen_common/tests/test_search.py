"""Search keywords as people type them."""

from __future__ import annotations

import pytest

from tsuen_common.search import (
    names_match,
    prefecture_named,
    search_words,
    short_name,
    word_variants,
)


def test_words_are_split_on_any_space_and_normalised() -> None:
    assert search_words("中央\u3000保育園") == ["中央", "保育園"]
    assert search_words(" ｶﾝﾀﾞ  ") == ["カンダ"]
    assert search_words("a b c d e f g") == ["a", "b", "c", "d", "e"]


def test_a_word_is_tried_in_both_kana_scripts() -> None:
    assert word_variants("ちゅうおう") == ["ちゅうおう", "チュウオウ"]
    assert word_variants("カンダ") == ["カンダ", "かんだ"]
    assert word_variants("中央") == ["中央"]


@pytest.mark.parametrize(
    ("typed", "prefecture"),
    [
        ("静岡", "静岡県"),
        ("静岡県", "静岡県"),
        ("東京", "東京都"),
        ("大阪", "大阪府"),
        ("北海道", "北海道"),
    ],
)
def test_prefectures_by_their_short_names(typed: str, prefecture: str) -> None:
    assert prefecture_named(typed) == prefecture


def test_unknown_prefecture_is_none() -> None:
    assert prefecture_named("静") is None
    assert prefecture_named("ニューヨーク") is None


def test_short_names() -> None:
    assert [short_name(n) for n in ("掛川市", "千代田区", "静岡県", "北海道")] == [
        "掛川",
        "千代田",
        "静岡",
        "北海道",
    ]


def test_names_match_across_scripts() -> None:
    assert names_match("ちよだ", ["千代田区", "ちよだく"])
    assert names_match("カケガワ", [None, "かけがわし"])
    assert not names_match("港", ["千代田区", "ちよだく"])
