"""One-time links: random, stored as a digest, single use, expiring with a way forward."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tsuen_common.timeutil import JST
from tsuen_identity.domain.errors import LinkExpired, LinkUsed
from tsuen_identity.domain.links import LinkPurpose, OneTimeLink, digest, link_url, new_secret

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=JST)
PORTAL = "https://portal.example.jp/"


def test_secrets_are_random_and_only_their_digest_is_kept():
    first, second = new_secret(), new_secret()
    assert first != second
    assert len(first) >= 43  # 32 bytes, base64url
    assert digest(first) == digest(first)
    assert digest(first) != first
    assert len(digest(first)) == 64


def test_set_password_url_points_at_the_portal_with_the_token():
    url = link_url(PORTAL, "abc", LinkPurpose.SET_PASSWORD)
    assert url == "https://portal.example.jp/password/set?token=abc"


def test_reset_url_says_its_purpose():
    parts = urlsplit(link_url(PORTAL, "abc", LinkPurpose.RESET))
    assert parts.path == "/password/set"
    assert parse_qs(parts.query) == {"token": ["abc"], "purpose": ["reset"]}


def test_a_fresh_link_is_usable_until_just_before_it_expires():
    link = OneTimeLink.issue(LinkPurpose.SET_PASSWORD, now=NOW, ttl=timedelta(hours=72))
    assert link.expires_at == NOW + timedelta(hours=72)
    link.check_usable(NOW + timedelta(hours=72) - timedelta(seconds=1), portal_base_url=PORTAL)


def test_an_expired_link_says_how_to_get_a_new_one():
    link = OneTimeLink.issue(LinkPurpose.SET_PASSWORD, now=NOW, ttl=timedelta(hours=72))
    with pytest.raises(LinkExpired) as caught:
        link.check_usable(NOW + timedelta(hours=72), portal_base_url=PORTAL)
    assert "https://portal.example.jp/password/reset" in str(caught.value)
    assert "パスワード再設定" in caught.value.message_ja
    assert "http" not in caught.value.message_ja  # shown on a page with the button instead
    assert caught.value.code == "link_expired"


def test_a_used_link_is_refused_even_before_it_expires():
    link = OneTimeLink(
        LinkPurpose.RESET, created_at=NOW, expires_at=NOW + timedelta(hours=1), used_at=NOW
    )
    with pytest.raises(LinkUsed):
        link.check_usable(NOW + timedelta(minutes=1), portal_base_url=PORTAL)
