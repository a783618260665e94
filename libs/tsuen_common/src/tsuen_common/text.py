"""Text that people type, made safe and comparable at the edge of every service.

Names and kana are compared to find the same child twice (the one-child rule) and are printed
on certificates, rosters and mails. Invisible characters make two identical-looking names
compare different (U+200B, U+00AD, U+2060, bidi controls), and control characters (NUL, CR/LF)
break PostgreSQL, headers and CSV files. So at the edge:

- every text is NFKC-normalised (half-width ｶﾅ → full-width, full-width ＡＢＣ → ABC);
- invisible format characters (Unicode category Cf: zero-width spaces and joiners, the soft
  hyphen, bidi controls, BOM) are removed, since a person cannot see or mean them;
- control characters (category Cc) are refused, except tab/newline in multi-line text;
- a name must contain at least one letter (an emoji-only or invisible-only name is refused);
- a kana field holds only kana (hiragana or katakana, ー, ・, spaces).

The Annotated types at the bottom apply these as Pydantic validators, so a refusal is a 422
naming the field, with a Japanese message a parent can act on.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

_MULTILINE_ALLOWED = frozenset("\t\n")
_KANA_MARKS = frozenset("ー・ 　゛゜ヽヾゝゞ")


class TextRefused(ValueError):
    """The text cannot be accepted; the message (Japanese first, then English) says why."""


def clean_text(value: str, *, multiline: bool = False) -> str:
    """NFKC, no invisible characters, no control characters (refused), trimmed."""
    text = unicodedata.normalize("NFKC", value)
    kept: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        if category == "Cc" and not (multiline and ch in _MULTILINE_ALLOWED):
            raise TextRefused(
                "制御文字（改行・NULなど）は使えません。入力し直してください。"
                " / control characters (line breaks, NUL…) are not allowed here"
            )
        kept.append(ch)
    return "".join(kept).strip()


def clean_name(value: str) -> str:
    """A person's name: clean text with at least one letter in it."""
    text = clean_text(value)
    if not any(unicodedata.category(ch).startswith("L") for ch in text):
        raise TextRefused(
            "名前には文字を入力してください（記号・絵文字・見えない文字だけの名前は使えません）。"
            " / a name needs at least one letter"
        )
    return text


def is_kana(text: str) -> bool:
    """Only hiragana, katakana, the prolonged-sound mark, ・ and spaces."""
    for ch in text:
        if ch in _KANA_MARKS or ch.isspace():
            continue
        code = ord(ch)
        if 0x3041 <= code <= 0x3096 or 0x30A1 <= code <= 0x30FA:
            continue
        return False
    return True


def clean_kana(value: str) -> str:
    """A name's reading (ふりがな): clean, at least one kana, nothing but kana."""
    text = clean_text(value)
    if not text or not is_kana(text) or all(ch in _KANA_MARKS or ch.isspace() for ch in text):
        raise TextRefused(
            "ふりがなは、ひらがなかカタカナで入力してください。 / the reading must be kana"
        )
    return text


# 電話番号 as people write them: digits, +, hyphens, parentheses and spaces.
PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{6,20}$")
]

PlainText = Annotated[str, AfterValidator(clean_text)]
MultilineText = Annotated[str, AfterValidator(lambda v: clean_text(v, multiline=True))]
PersonName = Annotated[str, StringConstraints(max_length=200), AfterValidator(clean_name)]
KanaName = Annotated[str, StringConstraints(max_length=200), AfterValidator(clean_kana)]


def minutes_ja(minutes: int) -> str:
    """``90`` → ``1時間30分``; whole hours without the minutes (hours as people count them:
    the mails and the refusals say hours, never 90分)."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}時間{rest}分"
    if hours:
        return f"{hours}時間"
    return f"{rest}分"
