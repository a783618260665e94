"""Use-case errors; the HTTP layer maps each to a status code and passes the message on."""

from __future__ import annotations


class UseCaseError(Exception):
    """Base: the message is safe to show (no personal data) and says what to do.

    ``message_ja`` is the same in Japanese, for the person in front of the screen.
    """

    def __init__(self, message: str, *, message_ja: str | None = None) -> None:
        super().__init__(message)
        self.message_ja = message_ja


class NotFound(UseCaseError):  # 404, also for another tenant's record
    pass


class Conflict(UseCaseError):  # 409
    pass


class Gone(UseCaseError):  # 410: expired or used link
    pass


class TooLarge(UseCaseError):  # 413
    pass


class UnsupportedType(UseCaseError):  # 415
    pass


class Invalid(UseCaseError):  # 422 beyond schema validation
    pass
