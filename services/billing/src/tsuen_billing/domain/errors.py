"""What the billing rules refuse: the shared kinds of :mod:`tsuen_common.errors` under
billing's names, each with a stable code and a message in Japanese (the app answers them
with ``{detail, code, message_ja}``)."""

from __future__ import annotations

from tsuen_common import errors


class BillingError(errors.ServiceError):
    code = "billing_error"


class NotFound(BillingError, errors.NotFound):
    code = "not_found"


class MonthAlreadyClosed(BillingError, errors.Conflict):
    code = "month_closed"
    message_ja = "この月の請求はすでに確定しています。"


class MonthNotOver(BillingError, errors.Conflict):
    code = "month_not_over"
    message_ja = (
        "この月はまだ終わっていないため、請求を確定できません。翌月になってから確定してください。"
    )


class PricesMissing(BillingError, errors.Conflict):
    code = "prices_missing"
    message_ja = (
        "この年度の利用料の単価が登録されていないため、計算できません。単価を登録してください。"
    )


class InvalidRequest(BillingError):
    code = "invalid_request"


CLAIM_NOT_FOUND_JA = "請求が見つかりませんでした。請求の一覧をご確認ください。"
STATEMENT_NOT_FOUND_JA = "利用料明細が見つかりませんでした。明細の一覧をご確認ください。"
FACILITY_NOT_FOUND_JA = "施設が見つかりませんでした。施設をご確認ください。"
CHILD_NOT_FOUND_JA = "お子さまの情報が見つかりませんでした。お子さまをご確認ください。"


class CostItemInClosedMonth(BillingError, errors.Conflict):
    code = "cost_item_in_closed_month"
    message_ja = (
        "請求を確定した月の日付からは実費を変更できません。"
        "確定していない月の日付を指定してください。"
    )
