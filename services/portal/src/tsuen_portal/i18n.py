"""Japanese first, English too: Babel gettext catalogs.

The ``.po`` files in ``locale/<lang>/LC_MESSAGES/messages.po`` are the source; they are
compiled in memory when the portal starts (no compiled ``.mo`` in the repository, no build
step). Message ids are English; the English catalog may still word a message better.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("ja", "en")
DEFAULT = "ja"
COOKIE = "tsuen_lang"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> Translations:
    with po_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def chosen(cookie: str | None) -> str:
    """The page language: the remembered choice, else Japanese (the portal's first language)."""
    return cookie if cookie in LANGUAGES else DEFAULT


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown (gettext's convention)."""
    return message


def missing(msgids: Iterable[str], lang: str) -> list[str]:
    """Message ids without a translation in ``lang``'s catalog (for the completeness test)."""
    with po_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    found = {m.id: m.string for m in catalog if m.id}
    return sorted(m for m in msgids if not found.get(m))
