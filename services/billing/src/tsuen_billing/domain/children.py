"""Which certification describes a child on a use date: the one whose period contains it, else
the latest that started before it, else the earliest (a use just before a renewal's start)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tsuen_billing.domain.charges import ChildFacts
from tsuen_billing.domain.prices import FeeCategory

__all__ = ["Certification", "facts_on"]


@dataclass(frozen=True)
class Certification:
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    municipality: str
    birth_date: date | None
    needs_support: bool
    valid_from: date
    valid_until: date
    medical_care: bool = False  # 医療的ケア (ChildCertified.considerations)


def facts_on(
    certifications: Sequence[Certification],
    fee_categories: Sequence[tuple[date, FeeCategory]],
    use_date: date,
    family_support: Sequence[tuple[date, date]] = (),
) -> ChildFacts | None:
    """None when no certification (with a birth date) is known yet: the line waits."""
    known = sorted(
        (c for c in certifications if c.birth_date is not None), key=lambda c: c.valid_from
    )
    if not known:
        return None
    covering = [c for c in known if c.valid_from <= use_date <= c.valid_until]
    started = [c for c in known if c.valid_from <= use_date]
    chosen = (covering or started or known[:1])[-1]
    assert chosen.birth_date is not None
    return ChildFacts(
        child_id=chosen.child_id,
        guardian_id=chosen.guardian_id,
        municipality=chosen.municipality,
        birth_date=chosen.birth_date,
        needs_support=chosen.needs_support,
        medical_care=chosen.medical_care,
        fee_categories=tuple(fee_categories),
        family_support=tuple(family_support),
    )
