"""要支援家庭: an officer marks a certification as a family the municipality supports, for a span
of days. The span must lie within the certification's validity: billing claims the 加算 on use
dates within it, and a use outside the certification is no use of the scheme at all."""

from __future__ import annotations

from datetime import date

__all__ = ["family_support_refusal"]


def family_support_refusal(
    start: date, end: date, valid_from: date, valid_until: date
) -> str | None:
    """Why the span cannot be marked (in Japanese, for the officer), or None when it can."""
    if end < start:
        return "要支援家庭の終了日は、開始日と同じ日かそれより後の日付を指定してください。"
    if start < valid_from or end > valid_until:
        return (
            "要支援家庭の期間は、認定の有効期間"
            f"（{valid_from.isoformat()}〜{valid_until.isoformat()}）の中で指定してください。"
        )
    return None
