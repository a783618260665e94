"""The officer's certifications (list, end one with a reason and a day) and the audit trail
(who did what, when) of their municipality, through eligibility with the officer's token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tsuen_portal.adapters.backends import BackendNotFound, ServiceApi, _message_ja
from tsuen_portal.domain.sessions import Account
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.officer import Refused

REVOCATION_REASONS = {
    "withdrawn": N_("The guardian withdrew"),
    "moved_out": N_("Moved out of the municipality"),
    "enrolled": N_("Enrolled at a nursery"),
}
AUDIT_ACTIONS = {
    "application.submitted": N_("Application received"),
    "application.approved": N_("Certified"),
    "application.rejected": N_("Rejected"),
    "application.priority_tier_set": N_("Priority tier set"),
    "certification.changed": N_("Certification changed"),
    "certification.change_requested": N_("Change application received"),
    "certification.change_approved": N_("Change application approved"),
    "certification.change_rejected": N_("Change application rejected"),
    "certification.revoked": N_("Certification ended"),
    "guardian.email_change_requested": N_("New e-mail address asked for"),
    "child_profile.updated": N_("Child's details updated by the guardian"),
    "lottery.opened": N_("Lottery round opened"),
    "lottery.drawn": N_("Lottery drawn"),
    "lottery.promoted": N_("Promoted from the waiting list"),
    "lottery.declined": N_("Place declined"),
    "lottery.lapsed": N_("Place lapsed"),
    "residents.imported": N_("Resident records imported"),
    "enrollments.imported": N_("Enrollments imported"),
}


@dataclass(frozen=True)
class CertificationLine:
    id: str
    child_name: str
    certificate_number: str
    valid_from: date
    valid_until: date
    status: str
    revoked_on: date | None
    revocation_reason: str


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str
    action: str
    application_id: str


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


async def certifications(
    eligibility: ServiceApi, account: Account, token: str, status: str
) -> list[CertificationLine]:
    params: dict[str, Any] = {"limit": 200}
    if status:
        params["status"] = status
    body = await eligibility.get(
        f"/v1/municipalities/{account.municipality}/certifications", token, params
    )
    return [
        CertificationLine(
            id=str(c["certification_id"]),
            child_name=str(c.get("child_name") or ""),
            certificate_number=str(c["certificate_number"]),
            valid_from=date.fromisoformat(str(c["valid_from"])),
            valid_until=date.fromisoformat(str(c["valid_until"])),
            status=str(c["status"]),
            revoked_on=_day(c.get("revoked_on")),
            revocation_reason=str(c.get("revocation_reason") or ""),
        )
        for c in body
    ]


async def revoke(
    eligibility: ServiceApi,
    account: Account,
    token: str,
    certification_id: str,
    reason: str,
    effective: str,
) -> Refused | None:
    response = await eligibility.send(
        "POST",
        f"/v1/municipalities/{account.municipality}/certifications/{certification_id}/revoke",
        token,
        json={"reason": reason, "effective_date": effective},
    )
    if response.status_code == 200:
        return None
    if response.status_code in (403, 404):
        raise BackendNotFound(certification_id)
    return Refused(_message_ja(response) or N_("The decision was not accepted. Reload the page."))


async def audit(eligibility: ServiceApi, account: Account, token: str) -> list[AuditLine]:
    body = await eligibility.get(
        f"/v1/municipalities/{account.municipality}/audit-log", token, {"limit": 200}
    )
    lines = [
        AuditLine(
            at=datetime.fromisoformat(str(a["at"])),
            actor=str(a.get("actor") or ""),
            action=str(a.get("action") or ""),
            application_id=str(a.get("application_id") or ""),
        )
        for a in body
    ]
    return sorted(lines, key=lambda a: a.at, reverse=True)
