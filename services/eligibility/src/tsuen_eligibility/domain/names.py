"""How a child is recognised across the application form and the municipality's registries.

Registries (住民基本台帳 extracts, enrollment lists) and the form are typed by different people,
so the same child arrives as "ヤマダ タロウ", "やまだ　たろう" or half-width "ﾔﾏﾀﾞ ﾀﾛｳ". We match
on the kana reading, not the kanji name: kanji have variant forms (髙/高, 﨑/崎) that registries
and parents write differently, while the reading is what both agree on.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KATAKANA_OFFSET = 0x60


def kana_key(kana: str) -> str:
    """Normalised reading: NFKC (half-width → full-width), hiragana → katakana, no spaces."""
    text = unicodedata.normalize("NFKC", kana)
    chars = []
    for ch in text:
        if ch.isspace() or ch in "・･":
            continue
        code = ord(ch)
        if _HIRAGANA_START <= code <= _HIRAGANA_END:
            ch = chr(code + _KATAKANA_OFFSET)
        chars.append(ch)
    return "".join(chars)


def email_key(email: str) -> str:
    """E-mail addresses compare case-insensitively for siblings and duplicates."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class ChildKey:
    """The identity of a child before it has a child id: reading + birth date."""

    kana: str
    birth_date: date

    @classmethod
    def of(cls, kana: str, birth_date: date) -> ChildKey:
        return cls(kana=kana_key(kana), birth_date=birth_date)
