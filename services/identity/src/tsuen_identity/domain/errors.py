"""What the identity rules refuse, each with its status, a stable code and a message in Japanese
and English: the shared :class:`tsuen_common.errors.ServiceError` (the app adds
``Cache-Control: no-store`` and, for a lockout, ``Retry-After``).
"""

from __future__ import annotations

from datetime import datetime

from tsuen_common import errors


class IdentityError(errors.ServiceError):
    code = "identity_error"
    message_ja = "処理できませんでした。お手数ですが、もう一度お試しください。"


class WeakPassword(IdentityError):
    status = 422
    code = "weak_password"
    message_ja = "このパスワードは使えません。別のパスワードを設定してください。"


class LinkUnknown(IdentityError):
    status = 404
    code = "link_unknown"
    message_ja = (
        "このリンクは無効です。パスワード再設定のページから新しいリンクを請求してください。"
    )


class LinkExpired(IdentityError):
    status = 410
    code = "link_expired"
    message_ja = "このリンクは有効期限が切れています。新しいリンクを請求してください。"


class LinkUsed(IdentityError):
    status = 410
    code = "link_used"
    message_ja = "このリンクは使用済みです。設定したパスワードでログインしてください。"


class LoginFailed(IdentityError):
    """Wrong e-mail or wrong password: deliberately one error with one message for both."""

    status = 401
    code = "login_failed"
    message_ja = "メールアドレスまたはパスワードが正しくありません。"


class TooManyAttempts(IdentityError):
    """Locked or rate-limited; the same for an existing and an unknown e-mail address."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            "too many attempts; please wait and try again later",
            message_ja="試行回数が上限を超えました。しばらく時間をおいてから、もう一度お試しください。",
        )
        self.until = until


class InvalidRefreshToken(IdentityError):
    status = 401
    code = "invalid_refresh_token"
    message_ja = "ログインの有効期限が切れました。もう一度ログインしてください。"


class EmailTaken(IdentityError):
    status = 409
    code = "email_taken"
    message_ja = (
        "このメールアドレスのアカウントはすでにあります。別のメールアドレスをお使いください。"
    )
