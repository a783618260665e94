"""What the billing rules refuse; the entrypoint maps each to an HTTP status."""

from __future__ import annotations


class BillingError(Exception):
    code = "billing_error"


class NotFound(BillingError):
    code = "not_found"


class MonthAlreadyClosed(BillingError):
    code = "month_closed"


class MonthNotOver(BillingError):
    code = "month_not_over"


class PricesMissing(BillingError):
    code = "prices_missing"


class InvalidRequest(BillingError):
    code = "invalid_request"
