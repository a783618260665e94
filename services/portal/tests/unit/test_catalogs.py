"""Every message the portal shows has a Japanese and an English translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir

from tsuen_portal import i18n
from tsuen_portal.entrypoints.web import jdate

PACKAGE = Path(i18n.__file__).resolve().parent
METHODS = [
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted() -> set[str]:
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        PACKAGE, METHODS, OPTIONS, keywords=KEYWORDS
    ):
        ids.update([message] if isinstance(message, str) else [m for m in message if m])
    return ids


def test_the_sources_have_messages():
    assert len(extracted()) > 50  # the extraction itself works (templates and Python)


def test_every_message_has_a_japanese_translation():
    assert i18n.missing(extracted(), "ja") == []


def test_every_message_has_an_english_translation():
    assert i18n.missing(extracted(), "en") == []


def test_the_catalogs_compile_and_translate():
    assert i18n.translations("ja").gettext("Your next booking") == "直近のご予約"
    assert i18n.translations("ja").gettext("You have no bookings") == "ご予約はありません"
    assert i18n.translations("en").gettext("Log in") == "Log in"


def test_placeholders_survive_translation():
    for lang in i18n.LANGUAGES:
        text = i18n.translations(lang).gettext("%(h)s h %(m)s min") % {"h": 3, "m": 30}
        assert "3" in text
        assert "30" in text


def test_an_unknown_language_choice_falls_back_to_japanese():
    assert i18n.chosen(None) == "ja"
    assert i18n.chosen("fr") == "ja"
    assert i18n.chosen("en") == "en"


def test_dates_as_people_write_them():
    from datetime import date

    assert jdate(date(2027, 1, 7), "ja") == "2027年1月7日(木)"
    assert jdate(date(2027, 1, 7), "en") == "Thu 7 Jan 2027"


def test_every_translation_keeps_the_placeholders_of_its_message():
    import re

    from babel.messages.pofile import read_po

    for lang in i18n.LANGUAGES:
        with i18n.po_path(lang).open("rb") as po:
            catalog = read_po(po, locale=lang)
        for message in catalog:
            if message.id and message.string:
                wanted = sorted(re.findall(r"%\(\w+\)s", str(message.id)))
                assert sorted(re.findall(r"%\(\w+\)s", str(message.string))) == wanted, (
                    lang,
                    message.id,
                )


def test_no_message_is_written_twice_in_a_catalog():
    # Several people append to the catalogs; a second copy of an entry is a merge slip, and
    # a second copy with another translation would make the page's text depend on file order.
    from babel.messages.pofile import read_po

    for lang in ("ja", "en"):
        path = PACKAGE / "locale" / lang / "LC_MESSAGES" / "messages.po"
        seen: set[str] = set()
        twice = []
        for line in path.read_text("utf-8").splitlines():
            if line.startswith('msgid "') and line != 'msgid ""':
                if line in seen:
                    twice.append(line)
                seen.add(line)
        assert twice == [], f"{lang}: {twice[:5]}"
        with path.open("rb") as catalog:
            assert len(read_po(catalog)) > 0
