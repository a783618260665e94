"""What people type into a search box, made to match what the platform stores.

A parent types 「ちゅうおう」 for a facility whose reading is stored as 「チュウオウ」,
「中央 保育園」 with a space, ｶﾅ in half width, or 「静岡」 for 静岡県 (issue 13). So a keyword is
NFKC-normalised,
split into words (all must match), and each word is also tried in the other kana script;
prefectures and municipalities match by their short names too (静岡 → 静岡県, 掛川 → 掛川市).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from tsuen_common.policy.model import PREFECTURES

_HIRAGANA = range(0x3041, 0x3097)
_KATAKANA = range(0x30A1, 0x30F7)
_OFFSET = 0x60
_SUFFIXES = ("都", "道", "府", "県", "市", "区", "町", "村")


def to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + _OFFSET) if ord(c) in _HIRAGANA else c for c in text)


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - _OFFSET) if ord(c) in _KATAKANA else c for c in text)


def search_words(keyword: str, *, max_words: int = 5) -> list[str]:
    """The words of a keyword: NFKC (full/half width), split on any space, at most 5."""
    text = unicodedata.normalize("NFKC", keyword)
    words = [w for w in text.split() if w]
    return words[:max_words]


def word_variants(word: str) -> list[str]:
    """The word as typed, in katakana and in hiragana (each once)."""
    out: list[str] = []
    for variant in (word, to_katakana(word), to_hiragana(word)):
        if variant not in out:
            out.append(variant)
    return out


def short_name(name: str) -> str:
    """静岡県 → 静岡, 掛川市 → 掛川; 北海道 stays (道 is part of its name, not a suffix)."""
    if name != "北海道" and len(name) > 2 and name.endswith(_SUFFIXES):
        return name[:-1]
    return name


def prefecture_named(text: str) -> str | None:
    """The prefecture a person means: 「静岡県」, 「静岡」, 「ｼｽﾞｵｶ」 is not one (kanji only)."""
    typed = unicodedata.normalize("NFKC", text).strip()
    for prefecture in PREFECTURES:
        if typed in (prefecture, short_name(prefecture)):
            return prefecture
    return None


def names_match(word: str, names: Iterable[str | None]) -> bool:
    """Whether the word is in one of the names (or their short forms), in either kana script."""
    variants = word_variants(word)
    for name in names:
        if not name:
            continue
        normal = unicodedata.normalize("NFKC", name)
        for candidate in (normal, to_katakana(normal), to_hiragana(normal)):
            if any(v in candidate for v in variants):
                return True
    return False
