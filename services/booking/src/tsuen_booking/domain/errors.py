"""What can go wrong with a request, in the words a guardian or a member of staff can act on.

The entrypoint maps the classes to HTTP statuses; the domain only says which kind of problem it is.
"""

from __future__ import annotations


class BookingError(Exception):
    """Base of every refusal. ``str(error)`` is safe to show: it never carries personal data.

    ``message_ja`` says the same in Japanese for the guardian or the staff member.
    """

    def __init__(self, message: str, *, message_ja: str | None = None) -> None:
        super().__init__(message)
        self.message_ja = message_ja


class InvalidRequest(BookingError):
    """The request can never succeed as written (422): a closed day, a wrong step, an age."""


class Conflict(BookingError):
    """The request clashes with the current state (409): no place, no hours left, cancelled."""


class NotFound(BookingError):
    """No such record in the caller's tenant (404): another tenant's record looks absent."""
