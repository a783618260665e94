"""Resident records and the enrollment registry: imported by CSV or pushed by API (officers).

A record that shows a certified child moving out, or enrolling in a facility type the
municipality excludes, ends the certification in the same transaction (CertificationRevoked).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.eligibility import RevocationReason
from tsuen_common.policy import EnrollmentType
from tsuen_eligibility.adapters import certification_store, registry_store
from tsuen_eligibility.domain.checks import (
    CheckResults,
    EnrollmentFacts,
    ResidentFacts,
    run_checks,
)
from tsuen_eligibility.domain.names import kana_key
from tsuen_eligibility.service_layer.commands import EnrollmentIn, ResidentRecordIn
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Invalid

MAX_ROWS = 50_000
RowT = TypeVar("RowT", ResidentRecordIn, EnrollmentIn)


async def child_checks(
    ctx: Eligibility,
    session: AsyncSession,
    *,
    municipality: str,
    child_kana_key: str,
    birth_date: date,
    on: date,
) -> CheckResults:
    residents = await registry_store.residence_of_child(
        session, municipality, child_kana_key, birth_date
    )
    enrolled = await registry_store.enrollments_of_child(
        session, municipality, child_kana_key, birth_date
    )
    return run_checks(
        birth_date=birth_date,
        on=on,
        residents=[ResidentFacts(r.moved_in_on, r.moved_out_on) for r in residents],
        enrollments=[
            EnrollmentFacts(EnrollmentType(e.facility_type), e.enrolled_from, e.enrolled_until)
            for e in enrolled
        ],
        policy=ctx.policy(municipality).eligibility,
    )


def parse_csv(text: str, model: type[RowT]) -> list[RowT]:
    """Rows of a CSV with a header naming the model's fields; errors name the line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    expected = set(model.model_fields)
    required = {n for n, f in model.model_fields.items() if f.is_required()}
    header = set(reader.fieldnames or ())
    if not required <= header or not header <= expected:
        raise Invalid(
            f"the CSV header must name the columns {sorted(expected)} "
            f"(required: {sorted(required)}); found {sorted(header)}",
            message_ja="CSVの見出し行が正しくありません。必要な列名をご確認のうえ、もう一度お送りください。",
        )
    rows: list[RowT] = []
    for line_no, row in enumerate(reader, start=2):
        if len(rows) >= MAX_ROWS:
            raise Invalid(
                f"at most {MAX_ROWS} rows per import; split the file",
                message_ja=f"一度に取り込めるのは{MAX_ROWS}行までです。ファイルを分けてお送りください。",
            )
        values = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        try:
            rows.append(model.model_validate(values))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise Invalid(
                f"CSV line {line_no}: {problems}",
                message_ja=f"CSVの{line_no}行目に誤りがあります。内容をご確認のうえ、もう一度お送りください。",
            ) from None
    return rows


async def import_residents(
    ctx: Eligibility, *, municipality: str, rows: Sequence[ResidentRecordIn], actor: str
) -> dict[str, int]:
    ctx.policy(municipality)
    revoked = 0
    async with ctx.transaction() as session:
        for row in rows:
            key = kana_key(row.child_kana)
            await registry_store.put_resident_record(
                session,
                municipality=municipality,
                child_kana_key=key,
                child_birth_date=row.child_birth_date,
                moved_in_on=row.moved_in_on,
                moved_out_on=row.moved_out_on,
            )
            if row.moved_out_on is not None:
                revoked += await _revoke_child(
                    ctx,
                    session,
                    municipality=municipality,
                    child_kana_key=key,
                    birth_date=row.child_birth_date,
                    reason=RevocationReason.MOVED_OUT,
                    event_date=row.moved_out_on,
                    actor=actor,
                )
        await audit(
            session,
            municipality=municipality,
            actor=actor,
            action="residents.imported",
            at=ctx.now(),
            detail={"rows": len(rows), "revoked": revoked},
        )
    return {"rows": len(rows), "certifications_revoked": revoked}


async def import_enrollments(
    ctx: Eligibility, *, municipality: str, rows: Sequence[EnrollmentIn], actor: str
) -> dict[str, int]:
    policy = ctx.policy(municipality).eligibility
    revoked = 0
    async with ctx.transaction() as session:
        for row in rows:
            key = kana_key(row.child_kana)
            await registry_store.put_enrollment(
                session,
                municipality=municipality,
                child_kana_key=key,
                child_birth_date=row.child_birth_date,
                facility_type=str(row.facility_type),
                enrolled_from=row.enrolled_from,
                enrolled_until=row.enrolled_until,
            )
            if policy.excludes(row.facility_type):
                revoked += await _revoke_child(
                    ctx,
                    session,
                    municipality=municipality,
                    child_kana_key=key,
                    birth_date=row.child_birth_date,
                    reason=RevocationReason.ENROLLED,
                    event_date=row.enrolled_from,
                    actor=actor,
                )
        await audit(
            session,
            municipality=municipality,
            actor=actor,
            action="enrollments.imported",
            at=ctx.now(),
            detail={"rows": len(rows), "revoked": revoked},
        )
    return {"rows": len(rows), "certifications_revoked": revoked}


async def _revoke_child(
    ctx: Eligibility,
    session: AsyncSession,
    *,
    municipality: str,
    child_kana_key: str,
    birth_date: date,
    reason: RevocationReason,
    event_date: date,
    actor: str,
) -> int:
    from tsuen_eligibility.service_layer.certifications import revoke_row

    active = await certification_store.active_of_child_for_update(
        session, municipality, child_kana_key, birth_date
    )
    for cert in active:
        await revoke_row(ctx, session, cert, reason=reason, event_date=event_date, actor=actor)
    return len(active)
