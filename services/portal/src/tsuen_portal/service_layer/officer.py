"""What the municipality officer's pages show and do, through eligibility with the officer's
token: the applications queue, one application with its automatic checks, documents and audit
trail, and the decision (認定 or 却下 with a reason).

Eligibility decides who may see what (an officer sees their own municipality only); the portal
only renders. Every decision is recorded in eligibility's audit trail with the officer's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from tsuen_portal.adapters.backends import BackendNotFound, ServiceApi, _message_ja
from tsuen_portal.domain.sessions import Account
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.applying import FIELDS as FORM_FIELDS
from tsuen_portal.service_layer.applying import GENDERS

OFFICER = "municipality_officer"
STATUSES = {
    "pending": N_("Waiting for review"),
    "waitlisted": N_("On the waiting list"),
    "approved": N_("Certified"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "not_selected": N_("Not selected"),
}
AGE = {
    "eligible": N_("In the age range"),
    "too_young": N_("Younger than 6 months: usable from the first usable day"),
    "aged_out": N_("Past the age range"),
}
RESIDENCY = {
    "resident": N_("Lives in the municipality"),
    "not_found": N_("Not found in the resident records"),
    "moved_out": N_("Moved out"),
}
ENROLLMENT = {
    "not_enrolled": N_("Not enrolled at a nursery"),
    "allowed": N_("Enrolled in a type the municipality allows"),
    "excluded": N_("Enrolled at a nursery (excluded)"),
}
ACTIONS = {
    "application.submitted": N_("Application received"),
    "application.approved": N_("Certified"),
    "application.rejected": N_("Rejected"),
    "application.priority_tier_set": N_("Priority tier set"),
}


@dataclass(frozen=True)
class ApplicationLine:
    id: str
    status: str
    submitted_at: datetime
    child_name: str
    child_birth_date: date
    guardian_name: str
    checks_passed: bool
    needs_support: bool


@dataclass(frozen=True)
class Checks:
    passed: bool
    age: str
    residency: str
    enrollment: str
    first_usable_day: date | None
    last_usable_day: date | None


@dataclass(frozen=True)
class Attachment:
    id: str
    filename: str
    content_type: str
    size_kb: int


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    action: str
    actor: str
    reason: str


@dataclass(frozen=True)
class Answer:
    label: str  # message id
    value: str
    translated: bool = False  # the value is a message id too (yes/no, gender)
    day: date | None = None  # a date, written as every page writes dates (2027年1月7日(木))


@dataclass(frozen=True)
class Elsewhere:
    """The child's active certification in another municipality (転入, issue 17.3): approving
    moves the child from it, or the officer says it is another child."""

    certification_id: str
    municipality: str  # its code; the page names it
    valid_from: date
    valid_until: date
    same_guardian: bool  # approving without a choice moves the child from it


@dataclass(frozen=True)
class ApplicationDetail:
    line: ApplicationLine
    checks: Checks
    answers: list[Answer]  # in the application form's order
    attachments: list[Attachment]
    audit: list[AuditLine]
    decision_reason: str
    certification_id: str
    elsewhere: tuple[Elsewhere, ...] = ()

    @property
    def move_preselected(self) -> str:
        """The choice eligibility makes itself (one certification, the same guardian)."""
        if len(self.elsewhere) == 1 and self.elsewhere[0].same_guardian:
            return self.elsewhere[0].certification_id
        return ""


@dataclass(frozen=True)
class Refused:
    """Eligibility did not take the decision; its Japanese reason (or a field error)."""

    message_ja: str
    field: str = ""


def _line(body: dict[str, Any]) -> ApplicationLine:
    checks = body.get("checks") or {}
    return ApplicationLine(
        id=str(body["application_id"]),
        status=str(body["status"]),
        submitted_at=datetime.fromisoformat(str(body["submitted_at"])),
        child_name=str(body.get("child_name") or ""),
        child_birth_date=date.fromisoformat(str(body["child_birth_date"])),
        guardian_name=str(body.get("guardian_name") or ""),
        checks_passed=bool(checks.get("passed")),
        needs_support=bool(body.get("needs_support")),
    )


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _checks(body: dict[str, Any]) -> Checks:
    return Checks(
        passed=bool(body.get("passed")),
        age=str(body.get("age", "")),
        residency=str(body.get("residency", "")),
        enrollment=str(body.get("enrollment", "")),
        first_usable_day=_day(body.get("first_usable_day")),
        last_usable_day=_day(body.get("last_usable_day")),
    )


def _at(form: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    value: Any = form
    for key in path:
        if isinstance(value, dict):
            value = value.get(str(key))
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            return None
    return value


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _answers(form: dict[str, Any]) -> list[Answer]:
    """The guardian's answers under the labels the application form showed them."""
    out = []
    for f in FORM_FIELDS:
        if f.kind == "check":
            continue  # consents: an application exists only with them given
        value = _at(form, f.path)
        if value in (None, "", []):
            continue
        if isinstance(value, bool):
            out.append(Answer(f.label, N_("Yes") if value else N_("No"), translated=True))
        elif f.kind == "gender" and str(value) in GENDERS:
            out.append(Answer(f.label, GENDERS[str(value)], translated=True))
        elif f.kind == "date" and _is_iso_date(str(value)):
            out.append(Answer(f.label, str(value), day=date.fromisoformat(str(value))))
        else:
            out.append(Answer(f.label, str(value)))
    return out


async def applications(
    eligibility: ServiceApi, account: Account, token: str, status: str, q: str
) -> list[ApplicationLine]:
    params: dict[str, Any] = {"limit": 200}
    if status:
        params["status"] = status
    if q:
        params["q"] = q
    body = await eligibility.get(
        f"/v1/municipalities/{account.municipality}/applications", token, params
    )
    lines = [_line(item) for item in body]
    # The oldest waiting application first: it has waited longest.
    return sorted(lines, key=lambda a: (a.status != "pending", a.submitted_at))


async def application(
    eligibility: ServiceApi, account: Account, token: str, application_id: str
) -> ApplicationDetail:
    body = await eligibility.get(
        f"/v1/municipalities/{account.municipality}/applications/{application_id}", token
    )
    form = body.get("form") or {}
    return ApplicationDetail(
        line=_line(body),
        checks=_checks(body.get("checks") or {}),
        answers=_answers(form),
        attachments=[
            Attachment(
                id=str(a["attachment_id"]),
                filename=str(a["filename"]),
                content_type=str(a["content_type"]),
                size_kb=max(1, int(a.get("size_bytes") or 0) // 1024),
            )
            for a in body.get("attachments") or []
        ],
        audit=[
            AuditLine(
                at=datetime.fromisoformat(str(a["at"])),
                action=str(a.get("action", "")),
                actor=str(a.get("actor", "")),
                reason=str((a.get("detail") or {}).get("reason") or ""),
            )
            for a in body.get("audit") or []
        ],
        decision_reason=str(body.get("decision_reason") or ""),
        certification_id=str(body.get("certification_id") or ""),
        elsewhere=tuple(
            Elsewhere(
                certification_id=str(e["certification_id"]),
                municipality=str(e["municipality"]),
                valid_from=date.fromisoformat(str(e["valid_from"])),
                valid_until=date.fromisoformat(str(e["valid_until"])),
                same_guardian=bool(e.get("same_guardian")),
            )
            for e in body.get("certified_elsewhere") or []
        ),
    )


def _refused(response: httpx.Response) -> Refused:
    if response.status_code in (403, 404):
        raise BackendNotFound(str(response.request.url.path))
    return Refused(_message_ja(response) or N_("The decision was not accepted. Reload the page."))


ANOTHER_CHILD = "another"  # the move choice "not a move: another child"


async def approve(
    eligibility: ServiceApi,
    account: Account,
    token: str,
    application_id: str,
    acknowledge: bool,
    moved_from: str = "",
) -> Refused | None:
    """``moved_from``: a certification id elsewhere (a move), ANOTHER_CHILD, or "" (no choice
    made: eligibility refuses when the choice is needed)."""
    body: dict[str, Any] = {"acknowledge_failed_checks": acknowledge}
    if moved_from == ANOTHER_CHILD:
        body["another_child"] = True
    elif moved_from:
        body["moved_from_certification_id"] = moved_from
    response = await eligibility.send(
        "POST",
        f"/v1/municipalities/{account.municipality}/applications/{application_id}/approve",
        token,
        json=body,
    )
    return None if response.status_code == 200 else _refused(response)


async def reject(
    eligibility: ServiceApi, account: Account, token: str, application_id: str, reason: str
) -> Refused | None:
    response = await eligibility.send(
        "POST",
        f"/v1/municipalities/{account.municipality}/applications/{application_id}/reject",
        token,
        json={"reason": reason},
    )
    return None if response.status_code == 200 else _refused(response)


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    disposition: str


async def attachment(
    eligibility: ServiceApi, account: Account, token: str, application_id: str, attachment_id: str
) -> Download:
    """A document as eligibility serves it: always as a download, never shown inline."""
    response = await eligibility.send(
        "GET",
        f"/v1/municipalities/{account.municipality}/applications/{application_id}"
        f"/attachments/{attachment_id}",
        token,
    )
    if response.status_code != 200:
        raise BackendNotFound(str(response.request.url.path))
    return Download(
        content=response.content,
        content_type=response.headers.get("content-type", "application/octet-stream"),
        disposition=response.headers.get("content-disposition", "attachment"),
    )
