"""What can go wrong with a request, in the words a guardian or a member of staff can act on.

The kinds and their HTTP statuses are the shared ones of :mod:`tsuen_common.errors` (the app
answers them with ``{detail, code, message_ja}``); the domain only says which kind it is.
"""

from __future__ import annotations

from datetime import date

from tsuen_common import errors


class BookingError(errors.ServiceError):
    """Base of every refusal. ``str(error)`` is safe to show: it never carries personal data.

    ``message_ja`` says the same in Japanese for the guardian or the staff member (each kind
    has a polite default; a raise site that knows more says more).
    """


class InvalidRequest(BookingError, errors.Invalid):
    """The request can never succeed as written (422): a closed day, a wrong step, an age."""


class Conflict(BookingError, errors.Conflict):
    """The request clashes with the current state (409): no place, no hours left, cancelled."""


class NotFound(BookingError, errors.NotFound):
    """No such record in the caller's tenant (404): another tenant's record looks absent."""


# What a person reads when something of theirs is not there (or not theirs to see).
FACILITY_NOT_FOUND_JA = "施設が見つかりませんでした。施設の一覧から、もう一度お選びください。"
CHILD_NOT_FOUND_JA = (
    "お子さまの情報が見つかりませんでした。認定を受けたお子さまかどうか、ご確認ください。"
)
BOOKING_NOT_FOUND_JA = (
    "予約が見つかりませんでした。すでに取り消されたか、ほかのアカウントの予約の可能性があります。"
    "予約一覧をご確認ください。"
)
INTERVIEW_NOT_FOUND_JA = "初回面談の申込みが見つかりませんでした。面談の一覧をご確認ください。"
PLAN_NOT_FOUND_JA = "定期利用の申込みが見つかりませんでした。定期利用の一覧をご確認ください。"
MUNICIPALITY_NOT_FOUND_JA = (
    "この市区町村では、この制度をご利用いただけません。市区町村をご確認ください。"
)


def ja_date(day: date) -> str:
    """2026年5月3日: a date as a Japanese message says it."""
    return f"{day.year}年{day.month}月{day.day}日"
