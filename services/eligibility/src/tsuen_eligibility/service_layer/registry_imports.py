"""An officer's registry import, previewed before it is applied (issue 16).

The preview changes nothing: it answers the CSV's problems by line and column, each row as new,
changed or unchanged against the records, and the active certifications the import would end
(by certificate number and child name: what the officer must notice). Applying takes the same
CSV with the preview's fingerprint; it refuses (409) a CSV with problems, and a fingerprint
that no longer matches — another CSV, or records and certifications that changed since — so
what is applied is exactly what the officer saw. The import itself is registries' (audited).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.eligibility import RevocationReason
from tsuen_eligibility.adapters import certification_store, registry_store
from tsuen_eligibility.domain import registry_import as rules
from tsuen_eligibility.domain.certification import revocation_effective_date
from tsuen_eligibility.domain.names import kana_key
from tsuen_eligibility.service_layer import registries
from tsuen_eligibility.service_layer.commands import EnrollmentIn, ResidentRecordIn
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import Conflict

Kind = Literal["resident-records", "enrollments"]
MODELS: dict[str, type[ResidentRecordIn] | type[EnrollmentIn]] = {
    "resident-records": ResidentRecordIn,
    "enrollments": EnrollmentIn,
}
HAS_ERRORS_JA = (
    "CSVに誤りがあるため取り込めません。確認画面に示した行を直して、もう一度確認してください。"
)
STALE_JA = (
    "確認した内容と取り込む内容が一致しません（ファイルが違うか、確認の後に記録が変わりました）。"
    "もう一度確認してから取り込んでください。"
)


def _keys(rows: list[tuple[int, Any]]) -> list[str]:
    return sorted({kana_key(r.child_kana) for _, r in rows})


async def _residents_on_record(
    session: AsyncSession, municipality: str, keys: list[str]
) -> dict[Any, dict[str, str | None]]:
    found = await registry_store.residents_of_children(session, municipality, keys)
    return {
        (r.child_kana_key, r.child_birth_date): rules.resident_values(r.moved_in_on, r.moved_out_on)
        for r in found
    }


async def _enrollments_on_record(
    session: AsyncSession, municipality: str, keys: list[str]
) -> dict[Any, dict[str, str | None]]:
    found = await registry_store.enrollments_of_children(session, municipality, keys)
    return {
        (r.child_kana_key, r.child_birth_date, r.facility_type, r.enrolled_from): (
            rules.enrollment_values(r.enrolled_until)
        )
        for r in found
    }


async def _active_certifications(
    session: AsyncSession, municipality: str, keys: list[str]
) -> dict[tuple[str, date], list[Any]]:
    found = await certification_store.active_of_children(session, municipality, keys)
    by_child: dict[tuple[str, date], list[Any]] = {}
    for r in found:
        by_child.setdefault((r.child_kana_key, r.child_birth_date), []).append(r)
    return by_child


def _ending_for(kind: str, row: Any, policy_excludes: Any) -> tuple[RevocationReason, date] | None:
    if kind == "resident-records":
        day = rules.moving_out_ends_certification(row.moved_out_on)
        return (RevocationReason.MOVED_OUT, day) if day else None
    day = rules.enrollment_ends_certification(policy_excludes(row.facility_type), row.enrolled_from)
    return (RevocationReason.ENROLLED, day) if day else None


# Rows reach these as the kind's model (read_csv with MODELS[kind]); typed loosely for the union.
def _resident_key(row: Any) -> Any:
    return (kana_key(row.child_kana), row.child_birth_date)


def _resident_values(row: Any) -> dict[str, str | None]:
    return rules.resident_values(row.moved_in_on, row.moved_out_on)


def _enrollment_values(row: Any) -> dict[str, str | None]:
    return rules.enrollment_values(row.enrolled_until)


def _enrollment_key(row: Any) -> Any:
    return (
        kana_key(row.child_kana),
        row.child_birth_date,
        str(row.facility_type),
        row.enrolled_from,
    )


async def preview(ctx: Eligibility, *, municipality: str, kind: Kind, text: str) -> dict[str, Any]:
    """What importing ``text`` would do; nothing changes."""
    policy = ctx.policy(municipality).eligibility
    read = rules.read_csv(text, MODELS[kind])
    keys = _keys(read.rows)
    async with ctx.sessions() as session:
        if kind == "resident-records":
            on_record = await _residents_on_record(session, municipality, keys)
            changes = rules.compare_with_record(
                read.rows,
                on_record,
                key=_resident_key,
                values=_resident_values,
            )
        else:
            on_record = await _enrollments_on_record(session, municipality, keys)
            changes = rules.compare_with_record(
                read.rows,
                on_record,
                key=_enrollment_key,
                values=_enrollment_values,
            )
        active = await _active_certifications(session, municipality, keys)
    rows = []
    ending: dict[str, dict[str, Any]] = {}
    for (line, row), change in zip(read.rows, changes, strict=True):
        data = row.model_dump(mode="json")
        rows.append({"line": line, "outcome": change.outcome, "before": change.before, **data})
        ends = _ending_for(kind, row, policy.excludes)
        if ends is None:
            continue
        reason, day = ends
        for cert in active.get((kana_key(row.child_kana), row.child_birth_date), []):
            # The first row that ends a certification is the one the import acts on.
            ending.setdefault(
                str(cert.id),
                {
                    "certification_id": str(cert.id),
                    "certificate_number": cert.certificate_number,
                    "child_name": cert.child_name,
                    "child_kana": row.child_kana,
                    "child_birth_date": row.child_birth_date.isoformat(),
                    "reason": str(reason),
                    "ends_on": revocation_effective_date(reason, day, cert.valid_until).isoformat(),
                    "line": line,
                },
            )
    counts = {o: sum(1 for r in rows if r["outcome"] == o) for o in ("new", "changed", "unchanged")}
    errors = [
        {"line": e.line, "column": e.column, "message": e.message, "message_ja": e.message_ja}
        for e in read.errors
    ]
    ending_list = list(ending.values())
    return {
        "kind": kind,
        "rows": rows,
        "counts": counts,
        "errors": errors,
        "error_count": read.error_count,
        "certifications_ending": ending_list,
        "fingerprint": rules.fingerprint(
            kind, {"rows": rows, "errors": errors, "ending": ending_list}
        ),
    }


async def apply(
    ctx: Eligibility,
    *,
    municipality: str,
    kind: Kind,
    text: str,
    fingerprint: str,
    actor: str,
) -> dict[str, int]:
    """Import exactly what was previewed; a CSV with errors or another fingerprint → 409."""
    seen = await preview(ctx, municipality=municipality, kind=kind, text=text)
    if seen["error_count"]:
        raise Conflict(
            f"the CSV has {seen['error_count']} problem(s); fix them and preview again",
            message_ja=HAS_ERRORS_JA,
        )
    if seen["fingerprint"] != fingerprint:
        raise Conflict(
            "the CSV or the records differ from the preview; preview again", message_ja=STALE_JA
        )
    rows = rules.read_csv(text, MODELS[kind]).rows
    if kind == "resident-records":
        return await registries.import_residents(
            ctx,
            municipality=municipality,
            rows=[r for _, r in rows if isinstance(r, ResidentRecordIn)],
            actor=actor,
        )
    return await registries.import_enrollments(
        ctx,
        municipality=municipality,
        rows=[r for _, r in rows if isinstance(r, EnrollmentIn)],
        actor=actor,
    )
