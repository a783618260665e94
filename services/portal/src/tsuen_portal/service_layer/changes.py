"""変更申請 in the portal: the guardian asks (address, phone, name; a new e-mail address is
confirmed by its owner), an officer of the municipality approves or rejects with a reason.

Eligibility decides everything (what differs, one open request per certificate, who may see
what); the portal shows its answers and maps its 422s back to the form's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tsuen_portal.adapters.backends import BackendNotFound, ServiceApi, _message_ja
from tsuen_portal.domain.sessions import Account
from tsuen_portal.i18n import N_

# The form's fields, in its order, with eligibility's name for each.
FIELDS: dict[str, str] = {
    "guardian_name": N_("Your name"),
    "guardian_kana": N_("Your name in katakana"),
    "address": N_("Home address"),
    "phone": N_("Phone number"),
    "guardian_email": N_("E-mail address"),
}
HINTS: dict[str, str] = {
    "guardian_name": N_("Enter your name"),
    "guardian_kana": N_("Enter the name in katakana, with a space between family and given name"),
    "address": N_("Enter your home address"),
    "phone": N_("Enter a phone number with digits and hyphens, like 0537-21-1111"),
    "guardian_email": N_("Enter an e-mail address like name@example.jp"),
}
STATUSES = {
    "pending": N_("Being checked"),
    "approved": N_("Applied"),
    "rejected": N_("Not accepted"),
}
ON_RECORD = {
    "guardian_name": "guardian_name",
    "guardian_kana": "guardian_kana",
    "address": "guardian_address",
    "phone": "guardian_phone",
    "guardian_email": "guardian_email",
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    on_record: str
    requested: str


@dataclass(frozen=True)
class Request:
    id: str
    certification_id: str
    certificate_number: str
    child_name: str
    guardian_name: str
    status: str
    requested_at: datetime
    changes: list[FieldChange]
    reason: str


@dataclass(frozen=True)
class Filed:
    pending_review: bool
    pending_email: bool
    applied: bool


@dataclass(frozen=True)
class Refused:
    message_ja: str = ""
    field_errors: dict[str, str] = field(default_factory=dict)


def _request(body: dict[str, Any]) -> Request:
    return Request(
        id=str(body["id"]),
        certification_id=str(body["certification_id"]),
        certificate_number=str(body.get("certificate_number") or ""),
        child_name=str(body.get("child_name") or ""),
        guardian_name=str(body.get("guardian_name") or ""),
        status=str(body["status"]),
        requested_at=datetime.fromisoformat(str(body["requested_at"])),
        changes=[
            FieldChange(str(c["field"]), str(c.get("on_record") or ""), str(c["requested"]))
            for c in body.get("changes", [])
        ],
        reason=str(body.get("reason") or ""),
    )


def _cert_path(account: Account, certification_id: str) -> str:
    return f"/v1/municipalities/{account.municipality}/certifications/{certification_id}"


async def on_record(
    eligibility: ServiceApi, account: Account, token: str, certification_id: str
) -> tuple[dict[str, str], list[Request]]:
    """The details on record (the form starts from them) and this certificate's requests."""
    cert = await eligibility.get(_cert_path(account, certification_id), token)
    requests = await eligibility.get(
        _cert_path(account, certification_id) + "/change-requests", token
    )
    values = {name: str(cert.get(key) or "") for name, key in ON_RECORD.items()}
    return values, [_request(r) for r in requests]


async def file(
    eligibility: ServiceApi,
    account: Account,
    token: str,
    certification_id: str,
    asked: dict[str, str],
    record: dict[str, str],
) -> Filed | Refused:
    """Send what differs from the record; eligibility answers what waits and what applied."""
    body = {name: value for name, value in asked.items() if value and value != record.get(name)}
    if not body:
        return Refused(field_errors={"address": N_("Change at least one detail")})
    response = await eligibility.send(
        "POST", _cert_path(account, certification_id) + "/changes", token, json=body
    )
    if response.status_code in (403, 404):
        raise BackendNotFound(certification_id)
    if response.status_code == 200:
        answer = response.json()
        return Filed(
            pending_review=bool(answer.get("pending_review")),
            pending_email=bool(answer.get("pending_confirmation")),
            applied=bool(answer.get("changed_fields")),
        )
    if response.status_code == 422:
        errors: dict[str, str] = {}
        for item in response.json().get("detail") or []:
            loc = list(item.get("loc") or [])
            name = str(loc[-1]) if loc else ""
            if name in FIELDS:
                errors.setdefault(name, HINTS[name])
        return Refused(field_errors=errors or {"address": N_("Check what you entered here")})
    return Refused(message_ja=_message_ja(response))


async def queue(eligibility: ServiceApi, account: Account, token: str) -> list[Request]:
    """The officer's 変更申請 waiting for review, oldest first."""
    body = await eligibility.get(
        f"/v1/municipalities/{account.municipality}/change-requests", token, {"status": "pending"}
    )
    return [_request(r) for r in body]


async def decide(
    eligibility: ServiceApi,
    account: Account,
    token: str,
    request_id: str,
    *,
    approve: bool,
    reason: str,
) -> str | None:
    """None when done; eligibility's message when it refused (already decided, ended)."""
    path = f"/v1/municipalities/{account.municipality}/change-requests/{request_id}/" + (
        "approve" if approve else "reject"
    )
    response = await eligibility.send(
        "POST", path, token, json=None if approve else {"reason": reason}
    )
    if response.status_code in (403, 404):
        raise BackendNotFound(request_id)
    if response.status_code == 200:
        return None
    return _message_ja(response) or N_("The decision was not accepted. Reload the page.")
