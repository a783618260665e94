"""Use-case errors: the shared kinds of :mod:`tsuen_common.errors`, under eligibility's names.

The HTTP layer answers each with its kind's status and ``{detail, code, message_ja}``; the
message is safe to show (no personal data) and says what to do. ``message_ja`` is the same in
Japanese, for the person in front of the screen (each kind has a polite default).
"""

from __future__ import annotations

from tsuen_common import errors


class UseCaseError(errors.ServiceError):
    """Base of eligibility's refusals."""


class NotFound(UseCaseError, errors.NotFound):  # 404, also for another tenant's record
    pass


class Conflict(UseCaseError, errors.Conflict):  # 409
    pass


class Gone(UseCaseError, errors.Gone):  # 410: expired or used link
    pass


class TooLarge(UseCaseError, errors.TooLarge):  # 413
    pass


class UnsupportedType(UseCaseError, errors.UnsupportedType):  # 415
    pass


class Invalid(UseCaseError, errors.Invalid):  # 422 beyond schema validation
    pass


APPLICATION_NOT_FOUND_JA = "申請が見つかりませんでした。申請の一覧をご確認ください。"
CERTIFICATION_NOT_FOUND_JA = "認定が見つかりませんでした。認定の一覧をご確認ください。"
ROUND_NOT_FOUND_JA = "抽選の回が見つかりませんでした。抽選の一覧をご確認ください。"
MUNICIPALITY_NOT_FOUND_JA = (
    "この市区町村では、この制度の申請を受け付けていません。市区町村をご確認ください。"
)
LINK_EXPIRED_JA = (
    "この申請用リンクは有効期限が切れています。お手数ですが、新しいリンクをお申し込みください。"
)
LINK_USED_JA = (
    "この申請用リンクはすでに使われています。別のお子さまの申請には、新しいリンクをお申し込み"
    "ください。"
)
DUPLICATE_APPLICATION_JA = (
    "このお子さま（同じ読み仮名・生年月日）の申請は、このメールアドレスからすでに受け付けて"
    "います。きょうだいの方は、それぞれのお名前と生年月日で申請してください。"
)
