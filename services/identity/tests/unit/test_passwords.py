"""NIST SP 800-63B: length, not composition; common passwords and the e-mail refused."""

from __future__ import annotations

import pytest

from tsuen_identity.domain.errors import WeakPassword
from tsuen_identity.domain.passwords import MAX_LENGTH, MIN_LENGTH, check_password

EMAIL = "Hanako.Yamada@example.jp"


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # a passphrase with spaces
        "abcdefgh1",  # no symbol, no upper case: no composition rules
        "ひらがなのぱすわーど",  # any script
        "x" * 7 + "y",  # exactly the minimum
        "z" * (MAX_LENGTH - 1) + "a",  # long is fine
    ],
)
def test_length_is_what_counts(password):
    check_password(password, email=EMAIL)


def test_too_short_is_refused_with_a_message_in_both_languages():
    with pytest.raises(WeakPassword) as caught:
        check_password("a" * (MIN_LENGTH - 2) + "bc"[:1], email=EMAIL)
    assert str(MIN_LENGTH) in str(caught.value)
    assert "8文字以上" in caught.value.message_ja
    assert caught.value.code == "weak_password"


def test_too_long_is_refused():
    with pytest.raises(WeakPassword):
        check_password("a" * (MAX_LENGTH + 1), email=EMAIL)


@pytest.mark.parametrize("password", ["password", "Password1", "１２３４５６７８", "QWERTYUIOP"])
def test_common_passwords_are_refused_whatever_the_case_or_width(password):
    with pytest.raises(WeakPassword, match="common"):
        check_password(password, email=EMAIL)


def test_one_repeated_character_is_refused():
    with pytest.raises(WeakPassword):
        check_password("aaaaaaaaaaaa", email=EMAIL)


@pytest.mark.parametrize("password", ["hanako.yamada@example.jp", "HANAKO.YAMADA"])
def test_the_email_address_or_its_local_part_is_refused(password):
    with pytest.raises(WeakPassword, match="e-mail"):
        check_password(password, email=EMAIL)
