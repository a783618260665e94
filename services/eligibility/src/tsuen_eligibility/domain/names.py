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
    """Normalised reading: NFKC (half-width → full-width), hiragana → katakana, no spaces.

    Invisible and control characters (U+200B, U+00AD, U+2060, bidi controls, NUL…) never count:
    the edge refuses or removes them already, and the key drops them again so that no record
    stored before that check can make the same child look like two.
    """
    text = unicodedata.normalize("NFKC", kana)
    chars = []
    for ch in text:
        if ch.isspace() or ch in "・･" or unicodedata.category(ch) in ("Cf", "Cc"):
            continue
        code = ord(ch)
        if _HIRAGANA_START <= code <= _HIRAGANA_END:
            ch = chr(code + _KATAKANA_OFFSET)
        chars.append(ch)
    return "".join(chars)


def guardian_key(kana: str, birth_date: date | str) -> str:
    """Who a guardian is, for attaching a child to an account: reading + birth date.

    An e-mail address only says where mail goes; it is not who someone is. A child is attached
    to an existing account only when the applying guardian is that account's guardian (a
    sibling's application), never because the addresses match (see the takeover in issue 12).
    """
    day = birth_date if isinstance(birth_date, str) else birth_date.isoformat()
    return f"{kana_key(kana)}|{day}"


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
