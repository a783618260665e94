"""Which passwords are accepted, after NIST SP 800-63B §5.1.1.2 (memorized secrets).

Length over composition: at least 8 characters, up to 256 (long passphrases welcome), any
characters including spaces and emoji, no "one digit and one symbol" rules, no expiry. Refused:
passwords on a list of the most common ones (the "blocklist" check) and the account's own
e-mail address or its local part.
"""

from __future__ import annotations

import unicodedata

from tsuen_identity.domain.errors import WeakPassword

MIN_LENGTH = 8
MAX_LENGTH = 256

# The most used passwords of public breach corpora (SecLists' top lists), plus the obvious
# ones for this service. Compared after NFKC and case folding.
COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "12345678910",
        "123123123",
        "11111111",
        "00000000",
        "88888888",
        "87654321",
        "password",
        "password1",
        "password12",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "qwertyui",
        "qwertyuiop",
        "qwerty123",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "1qaz2wsx",
        "zaq12wsx",
        "asdfghjk",
        "asdfghjkl",
        "abcd1234",
        "abc12345",
        "abcdefgh",
        "iloveyou",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "superman",
        "starwars",
        "whatever",
        "trustno1",
        "letmein1",
        "welcome1",
        "computer",
        "internet",
        "michelle",
        "jennifer",
        "charlie1",
        "aa123456",
        "a1234567",
        "q1w2e3r4",
        "changeme",
        "pokemon1",
        "doraemon",
        "tsuen123",
        "tsuenpassword",
        "hoikuen1",
        "kodomo123",
    }
)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def check_password(password: str, *, email: str) -> None:
    """Raise :class:`WeakPassword` (with a message that says what to do) or return."""
    length = len(password)
    if length < MIN_LENGTH:
        raise WeakPassword(
            f"the password must have at least {MIN_LENGTH} characters",
            message_ja=f"パスワードは{MIN_LENGTH}文字以上にしてください。",
        )
    if length > MAX_LENGTH:
        raise WeakPassword(
            f"the password may have at most {MAX_LENGTH} characters",
            message_ja=f"パスワードは{MAX_LENGTH}文字以内にしてください。",
        )
    folded = _folded(password)
    address = _folded(email.strip())
    if folded in (address, address.partition("@")[0]):
        raise WeakPassword(
            "the password must not be your e-mail address",
            message_ja="メールアドレスと同じパスワードは使えません。",
        )
    if folded in COMMON_PASSWORDS or len(set(folded)) == 1:
        raise WeakPassword(
            "this password is too common and easy to guess; choose another, for example a few "
            "unrelated words",
            message_ja="このパスワードはよく使われていて推測されやすいため使えません。"
            "関係のない単語をいくつか組み合わせるなど、別のパスワードにしてください。",
        )
