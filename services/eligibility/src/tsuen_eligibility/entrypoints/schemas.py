"""What eligibility's API answers, as Pydantic models: its OpenAPI document says what comes back.

The use cases still build plain dicts; the routes declare these models as their
``response_model`` (with ``response_model_exclude_unset``), so an answer has exactly the keys
it had before (a round shows ``order`` and ``results`` only once drawn) and the JSON is byte for
byte what clients (the portal, scripts) read: instants keep Python's ISO form (``+00:00``, not
``Z``). Record-shaped JSON the service stores as it came (the form, check results, audit
details) stays an open object.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer, WithJsonSchema

# An instant as FastAPI wrote it before there were models (datetime.isoformat()).
Instant = Annotated[
    datetime,
    PlainSerializer(lambda v: v.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class AgeWindowOut(BaseModel):
    first_usable_day: str = Field(description="YYYY-MM-DD: 0歳6か月")
    last_usable_day: str = Field(description="YYYY-MM-DD: 満3歳の誕生日の前々日")
    eligible_by_age: bool | None = Field(default=None, description="only when `on` is given")


class MunicipalityOut(BaseModel):
    code: str
    name: str
    name_kana: str | None
    prefecture: str | None
    phase: str = Field(description="where the application period stands today")
    applications_open_on: date | None
    applications_close_on: date | None
    key_dates: list[dict[str, Any]]
    holds_lottery: bool = Field(
        default=False, description="whether places are drawn by lottery (抽選) here"
    )


class LinkIssuedOut(BaseModel):
    link_id: uuid.UUID
    expires_at: Instant
    message: str


class EmailConfirmedOut(BaseModel):
    status: str
    certifications_changed: int
    message_ja: str


class SubmittedOut(BaseModel):
    application_id: uuid.UUID
    status: str
    message: str


class ApplicationSummaryOut(BaseModel):
    application_id: uuid.UUID
    municipality: str
    status: str
    submitted_at: Instant
    guardian_name: str | None
    guardian_email: str | None
    child_name: str | None
    child_birth_date: date | None
    desired_facility_id: uuid.UUID | None
    needs_support: bool | None
    priority_tier: str | None
    checks: dict[str, Any] | None = Field(description="the automatic checks' results")
    decided_at: Instant | None
    decided_by: str | None
    decision_reason: str | None


class AttachmentOut(BaseModel):
    attachment_id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


class AuditOut(BaseModel):
    at: Instant
    actor: str
    action: str
    application_id: uuid.UUID | None
    certification_id: uuid.UUID | None
    round_id: uuid.UUID | None
    detail: dict[str, Any] | None


class LotteryPlaceOut(BaseModel):
    round_id: uuid.UUID
    outcome: str
    draw_position: int | None
    waitlist_position: int | None
    acceptance_deadline: date | None


class CertifiedElsewhereOut(BaseModel):
    """An active certification in another municipality of a child with this application's
    child's reading and birth date: approving is then a move (転入) from it, or the officer
    says it is another child (issue 17.3)."""

    certification_id: uuid.UUID
    municipality: str
    valid_from: date
    valid_until: date
    same_guardian: bool = Field(
        description="its guardian has the applicant's reading and birth date: approving without "
        "a decision moves the child from it"
    )


class ApplicationOut(ApplicationSummaryOut):
    form: dict[str, Any] = Field(description="the form as submitted")
    attachments: list[AttachmentOut]
    audit: list[AuditOut]
    lottery: LotteryPlaceOut | None
    certification_id: uuid.UUID | None
    certified_elsewhere: list[CertifiedElsewhereOut] = Field(
        default_factory=list, description="only while the application is undecided"
    )


class MovedFromOut(BaseModel):
    municipality: str
    certification_id: uuid.UUID
    last_day: date = Field(description="the previous certification's last day")


class ApprovedOut(BaseModel):
    application_id: uuid.UUID
    status: str
    certification_id: uuid.UUID
    certificate_number: str
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    valid_from: date
    valid_until: date
    moved_from: MovedFromOut | None = None


class RejectedOut(BaseModel):
    application_id: uuid.UUID
    status: str


class TierOut(BaseModel):
    application_id: uuid.UUID
    priority_tier: str | None


class CertificationOut(BaseModel):
    certification_id: uuid.UUID
    municipality: str
    application_id: uuid.UUID | None
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    guardian_email: str
    certificate_number: str
    valid_from: date
    valid_until: date
    status: str
    revoked_on: date | None
    revocation_reason: str | None
    child_name: str | None
    child_kana: str | None
    child_birth_date: date | None
    # The guardian's details on record (the 変更申請 form starts from them).
    guardian_name: str | None = None
    guardian_kana: str | None = None
    guardian_address: str | None = None
    guardian_phone: str | None = None


class ChangedOut(BaseModel):
    certification_id: uuid.UUID
    changed_fields: list[str]
    pending_confirmation: list[str] | None = Field(
        default=None, description="fields waiting for the new address's owner to confirm"
    )
    confirmation_expires_at: Instant | None = None
    pending_review: list[str] | None = Field(
        default=None, description="fields waiting for an officer's review (a guardian's change)"
    )
    change_request_id: uuid.UUID | None = None
    message_ja: str | None = None


class RevokedOut(BaseModel):
    certification_id: uuid.UUID
    status: str
    effective_date: date


class DrawResultOut(BaseModel):
    application_id: uuid.UUID
    draw_position: int | None
    outcome: str
    waitlist_position: int | None
    acceptance_deadline: date | None


class RoundOut(BaseModel):
    """A lottery round; the seed, the applicant list, the order and the results only once
    drawn (before, the seed would let anyone predict the order)."""

    round_id: uuid.UUID
    municipality: str
    facility_id: uuid.UUID | None
    name: str
    places: int
    status: str
    seed_hash: str
    priority_tiers: list[Any]
    siblings_together: bool
    waitlist_enabled: bool
    opened_at: Instant
    drawn_at: Instant | None
    seed: str | None
    applicants: list[dict[str, Any]] | None
    order: list[uuid.UUID] | None = None
    results: list[DrawResultOut] | None = None


class RoundEntryOut(BaseModel):
    """One application of a round, for the officer: before the draw, one the draw would take
    (no outcome yet); after it, its place in the drawn order and its outcome."""

    application_id: uuid.UUID
    child_name: str | None
    guardian_name: str | None
    priority_tier: str | None
    submitted_at: Instant
    application_status: str
    outcome: str | None = Field(
        description="won, waitlisted, promoted, accepted, declined, lapsed, not_selected; "
        "null before the draw"
    )
    draw_position: int | None
    waitlist_position: int | None
    acceptance_deadline: date | None


class DeclinedOut(BaseModel):
    application_id: uuid.UUID
    outcome: str
    promoted: uuid.UUID | None


class ReplayOut(BaseModel):
    seed_hash: str
    order: list[uuid.UUID]
    winners: list[uuid.UUID]
    waitlist: list[uuid.UUID]
    not_selected: list[uuid.UUID]


class ImportedOut(BaseModel):
    rows: int = Field(description="records taken in (upserted)")
    certifications_revoked: int = Field(
        description="certifications ended because a child moved away or is now enrolled"
    )
