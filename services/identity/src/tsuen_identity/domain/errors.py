"""What the identity rules refuse, each with a stable code and a message in Japanese and English.

The entrypoint maps each class to its HTTP status; the domain does not know about HTTP.
"""

from __future__ import annotations

from datetime import datetime


class IdentityError(Exception):
    code = "identity_error"
    message_ja = "処理できませんでした。"

    def __init__(self, message: str, *, message_ja: str | None = None) -> None:
        super().__init__(message)
        if message_ja is not None:
            self.message_ja = message_ja


class WeakPassword(IdentityError):
    code = "weak_password"


class LinkUnknown(IdentityError):
    code = "link_unknown"


class LinkExpired(IdentityError):
    code = "link_expired"


class LinkUsed(IdentityError):
    code = "link_used"


class LoginFailed(IdentityError):
    """Wrong e-mail or wrong password: deliberately one error with one message for both."""

    code = "login_failed"


class TooManyAttempts(IdentityError):
    """Locked or rate-limited; the same for an existing and an unknown e-mail address."""

    code = "too_many_attempts"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            "too many attempts; please wait and try again later",
            message_ja="試行回数が上限を超えました。しばらく時間をおいてから、もう一度お試しください。",
        )
        self.until = until


class InvalidRefreshToken(IdentityError):
    code = "invalid_refresh_token"
    message_ja = "ログインの有効期限が切れました。もう一度ログインしてください。"


class EmailTaken(IdentityError):
    code = "email_taken"
