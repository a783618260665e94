"""The officer's registry imports (住民記録, 保育所等の在籍) through eligibility: a preview that
changes nothing — the CSV's problems by spreadsheet row, each row new / changed / unchanged,
the certifications it would end — then the same CSV applied with the preview's fingerprint.
Always the officer's own municipality (``account.municipality``), never one from a form.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date
from typing import Any

from tsuen_portal.adapters.backends import BackendNotFound, BackendRefused, ServiceApi, _message_ja
from tsuen_portal.domain.sessions import Account
from tsuen_portal.i18n import N_

MAX_CSV_BYTES = 2 * 1024 * 1024  # about 30,000 rows: a ward's extract; larger files are split
SHOWN_ROWS = 500  # the page lists this many changed rows; the counts cover all

KINDS = {
    "resident-records": N_("Resident records (住民記録)"),
    "enrollments": N_("Nursery enrollments (保育所等の在籍)"),
}
# The template CSV's header per kind: eligibility's column names, in its order.
COLUMNS = {
    "resident-records": ("child_kana", "child_birth_date", "moved_in_on", "moved_out_on"),
    "enrollments": (
        "child_kana",
        "child_birth_date",
        "facility_type",
        "enrolled_from",
        "enrolled_until",
    ),
}
COLUMN_LABELS = {
    "child_kana": N_("Child's name in kana"),
    "child_birth_date": N_("Date of birth"),
    "moved_in_on": N_("Moved in on"),
    "moved_out_on": N_("Moved out on"),
    "facility_type": N_("Facility type"),
    "enrolled_from": N_("Enrolled from"),
    "enrolled_until": N_("Enrolled until"),
}
OUTCOMES = {"new": N_("New"), "changed": N_("Changed"), "unchanged": N_("No change")}
ENDING_REASONS = {"moved_out": N_("Moving out"), "enrolled": N_("Enrolled at a nursery")}


class Refused(Exception):
    """Eligibility did not take the file: its Japanese reason (the page shows it)."""

    def __init__(self, message_ja: str) -> None:
        super().__init__(message_ja)
        self.message_ja = message_ja


@dataclass(frozen=True)
class LineError:
    line: int
    column: str | None
    message_ja: str


@dataclass(frozen=True)
class Change:
    line: int
    outcome: str
    values: dict[str, str]  # column → the CSV's value ("" when empty)
    before: dict[str, str]  # column → on record now, only what the row changes


@dataclass(frozen=True)
class Ending:
    certificate_number: str
    child_name: str
    child_kana: str
    reason: str
    ends_on: date
    line: int


@dataclass(frozen=True)
class Preview:
    kind: str
    errors: list[LineError]
    error_count: int
    counts: dict[str, int]
    changes: list[Change]  # new and changed rows, the first SHOWN_ROWS
    ending: list[Ending]
    fingerprint: str


def template_csv(kind: str) -> bytes:
    """The header row only, UTF-8 with a BOM so spreadsheet programs read it as UTF-8."""
    return ("\ufeff" + ",".join(COLUMNS[kind]) + "\r\n").encode()


def decode(raw: bytes) -> str | None:
    """The file's text: UTF-8, or Shift_JIS as municipal systems often export; None otherwise."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def carried(text: str) -> str:
    """The CSV as the preview's hidden field carries it: base64 keeps its bytes exact (a
    browser rewrites line ends in a form field); the fingerprint refuses anything else."""
    return base64.b64encode(text.encode()).decode()


def uncarried(value: str) -> str | None:
    try:
        return base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _change(row: dict[str, Any], kind: str) -> Change:
    values = {c: "" if row.get(c) is None else str(row[c]) for c in COLUMNS[kind]}
    before_on_record = row.get("before") or {}
    before = {
        c: "" if v is None else str(v)
        for c, v in before_on_record.items()
        if values.get(c, "") != ("" if v is None else str(v))
    }
    return Change(int(row["line"]), str(row["outcome"]), values, before)


def _refusal(response: Any) -> Refused:
    return Refused(_message_ja(response) or N_("The import was not accepted. Check it again."))


async def preview(
    eligibility: ServiceApi, account: Account, token: str, kind: str, text: str
) -> Preview:
    path = f"/v1/municipalities/{account.municipality}/imports/{kind}/preview"
    response = await eligibility.send("POST", path, token, json={"csv": text})
    if response.status_code in (403, 404):
        raise BackendNotFound(path)
    if response.status_code >= 400:
        raise _refusal(response)
    body = response.json()
    changed = [r for r in body["rows"] if r["outcome"] != "unchanged"]
    return Preview(
        kind=kind,
        errors=[
            LineError(int(e["line"]), e.get("column"), str(e["message_ja"])) for e in body["errors"]
        ],
        error_count=int(body["error_count"]),
        counts={k: int(v) for k, v in body["counts"].items()},
        changes=[_change(r, kind) for r in changed[:SHOWN_ROWS]],
        ending=[
            Ending(
                certificate_number=str(c["certificate_number"]),
                child_name=str(c.get("child_name") or ""),
                child_kana=str(c["child_kana"]),
                reason=str(c["reason"]),
                ends_on=date.fromisoformat(str(c["ends_on"])),
                line=int(c["line"]),
            )
            for c in body["certifications_ending"]
        ],
        fingerprint=str(body["fingerprint"]),
    )


async def apply(
    eligibility: ServiceApi, account: Account, token: str, kind: str, text: str, fingerprint: str
) -> dict[str, int]:
    """Exactly the previewed CSV (eligibility's 409 → Refused in its words)."""
    path = f"/v1/municipalities/{account.municipality}/imports/{kind}"
    response = await eligibility.send(
        "POST", path, token, json={"csv": text, "fingerprint": fingerprint}
    )
    if response.status_code in (403, 404):
        raise BackendNotFound(path)
    if response.status_code in (409, 413, 422):
        raise _refusal(response)
    if response.status_code >= 400:
        raise BackendRefused(f"{path}: {response.status_code}")
    body = response.json()
    return {"rows": int(body["rows"]), "ended": int(body["certifications_revoked"])}
