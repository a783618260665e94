"""Mails of billing: the facility's closed claim and the guardian's monthly statement."""

from __future__ import annotations

from tsuen_common.events.billing import ClaimClosed, StatementClosed
from tsuen_notification.domain.formatting import minutes_ja, month_ja, yen
from tsuen_notification.domain.notices.model import Notice, RecipientKind, Template, When


def claim_closed(p: ClaimClosed, when: When) -> list[Notice]:
    if not p.facility_email:
        return []
    return [
        Notice(
            Template.CLAIM_CLOSED_FACILITY,
            str(p.facility_email),
            RecipientKind.FACILITY,
            {
                "facility_name": p.facility_name,
                "month": month_ja(p.month),
                "hours": minutes_ja(p.minutes),
                "lines": p.line_count,
                "total": yen(p.total_yen),
                "page_path": "/staff/claims",
            },
        )
    ]


def statement_closed(p: StatementClosed, when: When) -> list[Notice]:
    if not p.guardian_email:
        return []
    return [
        Notice(
            Template.MONTHLY_STATEMENT,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "facility_name": p.facility_name,
                "month": month_ja(p.month),
                "hours": minutes_ja(p.minutes),
                "fee": yen(p.fee_yen),
                "over_cap": yen(p.over_cap_yen) if p.over_cap_yen else None,
                # 実費 (the facility's meals and snacks) are in the total: named, not hidden.
                "actual_costs": yen(p.actual_cost_yen) if p.actual_cost_yen else None,
                "total": yen(p.total_yen),
                "page_path": "/statements",
            },
        )
    ]
