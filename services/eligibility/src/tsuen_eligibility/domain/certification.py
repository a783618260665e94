"""認定: the certification's validity window, number, and when it ends."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from tsuen_common.age import age_window
from tsuen_common.events.eligibility import RevocationReason, SpecialNeeds


class CertificationError(Exception):
    pass


def validity_window(birth_date: date, decided_on: date) -> tuple[date, date]:
    """認定期間: from the day of certification, or the first usable day if that is later, to
    the last usable day (民法143条, see tsuen_common.age).

    A certificate never shows a period that began before it was issued (a child certified in
    December 2026 does not read 「2025年3月19日〜」, issue 13). A child already past its last
    usable day cannot be certified.
    """
    window = age_window(birth_date)
    if decided_on > window.last_usable_day:
        raise CertificationError(
            f"the child's last usable day was {window.last_usable_day.isoformat()}; "
            "a certification would have no valid day"
        )
    return max(window.first_usable_day, decided_on), window.last_usable_day


def certificate_number(municipality: str, issued_on: date, certification_id: uuid.UUID) -> str:
    """認定証番号: municipality, fiscal year (April start, 年度), and a part of the id.

    Derived from the id so that issuing it needs no counter shared between replicas.
    """
    fiscal_year = issued_on.year if issued_on.month >= 4 else issued_on.year - 1
    return f"{municipality}-{fiscal_year}-{certification_id.hex[:10].upper()}"


def aged_out_effective_date(valid_until: date) -> date:
    """A certification that ages out ends the day after the last usable day."""
    return valid_until + timedelta(days=1)


def is_aged_out(valid_until: date, on: date) -> bool:
    return on > valid_until


def revocation_effective_date(
    reason: RevocationReason, event_date: date, valid_until: date
) -> date:
    """The first day on which the certification no longer holds.

    Enrollment: the first day at the excluded facility. Moving out: the day of 転出.
    Ageing out: the day after the last usable day. A date past the validity is clamped to the
    day after it: the certification cannot end later than it would anyway.
    """
    if reason is RevocationReason.AGED_OUT:
        return aged_out_effective_date(valid_until)
    return min(event_date, aged_out_effective_date(valid_until))


def special_needs(form: Mapping[str, Any]) -> SpecialNeeds | None:
    """The application's 配慮事項 as the facility receives them; None when there are none.

    Only what the guardian answered under その他配慮すべき事項 crosses (never the attachments):
    the facility needs it to decide whether it can care for the child, before accepting.
    """
    answers = form.get("special_considerations") or {}
    if not answers.get("present") and not answers.get("medical_care"):
        return None
    return SpecialNeeds(
        content=answers.get("content") or "",
        diagnosis=answers.get("diagnosis") or "",
        required_care=answers.get("required_care") or "",
        doctor_instructions=answers.get("doctor_instructions") or "",
        medical_care=bool(answers.get("medical_care")),
    )
