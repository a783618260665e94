"""Attachment names made safe for headers and folders; contents checked against their type."""

from __future__ import annotations

import pytest

from tsuen_eligibility.domain.attachments import (
    content_disposition,
    content_matches,
    safe_filename,
)


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("techo.pdf", "techo.pdf"),
        ("scan\r\nSet-Cookie: x.pdf", "scanSet-Cookie: x.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\手帳.pdf", "手帳.pdf"),
        ("photo\u202egnp.exe", "photognp.exe"),
        (".hidden.png", "hidden.png"),
        ('a"b.pdf', "a'b.pdf"),
        ("\x00\x00", "attachment"),
        ("ｽｷｬﾝ.pdf", "スキャン.pdf"),
    ],
)
def test_a_file_name_keeps_only_what_is_safe(given: str, safe: str) -> None:
    assert safe_filename(given) == safe


def test_a_long_name_keeps_its_extension() -> None:
    name = safe_filename("あ" * 300 + ".pdf")
    assert len(name) == 120
    assert name.endswith(".pdf")


def test_the_download_header_has_an_ascii_fallback_and_the_utf8_name() -> None:
    header = content_disposition("障害者手帳\r\n.pdf")
    assert "\r" not in header
    assert "\n" not in header
    assert header.startswith('attachment; filename="_____.pdf"')
    assert header.endswith("filename*=UTF-8''%E9%9A%9C%E5%AE%B3%E8%80%85%E6%89%8B%E5%B8%B3.pdf")


@pytest.mark.parametrize(
    ("content_type", "data", "matches"),
    [
        ("application/pdf", b"%PDF-1.7 ...", True),
        ("application/pdf", b"<html><script>", False),
        ("image/png", b"\x89PNG\r\n\x1a\n....", True),
        ("image/png", b"\xff\xd8\xff\xe0", False),
        ("image/jpeg", b"\xff\xd8\xff\xe0", True),
        ("text/html", b"<html>", False),
    ],
)
def test_content_must_match_its_declared_type(
    content_type: str, data: bytes, matches: bool
) -> None:
    assert content_matches(content_type, data) is matches
