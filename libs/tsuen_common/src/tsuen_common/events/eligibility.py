"""Events produced by the eligibility service (認定・抽選) on ``tsuen.eligibility.events``.

Contract: fields are only ever added (optional, with defaults); never renamed or removed
within a version. Consumers: booking, notification; attendance (CertificationChanged,
ChildCertified and ChildProfileUpdated for the facility's roster).
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from tsuen_common.events.envelope import EmailAddress, EventPayload
from tsuen_common.events.topics import Topic
from tsuen_common.text import MultilineText, PersonName, PhoneNumber, PlainText


class _Eligibility(EventPayload):
    topic: ClassVar[Topic] = Topic.ELIGIBILITY


class ApplicationLinkIssued(_Eligibility):
    """利用申請URLのお知らせ: a one-time application link was issued for an e-mail address."""

    event_type: ClassVar[str] = "eligibility.ApplicationLinkIssued"
    aggregate_field: ClassVar[str] = "link_id"

    link_id: uuid.UUID
    email: EmailAddress
    url: str
    expires_at: AwareDatetime


class ApplicationSubmitted(_Eligibility):
    event_type: ClassVar[str] = "eligibility.ApplicationSubmitted"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: uuid.UUID
    desired_facility_id: uuid.UUID | None = None


class ApplicationRejected(_Eligibility):
    """Rejection sends no account e-mail (Kakegawa); the event exists for audit and metrics."""

    event_type: ClassVar[str] = "eligibility.ApplicationRejected"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: uuid.UUID
    reason: str


class SpecialNeeds(BaseModel):
    """配慮事項 from the application, for the facility that meets and accepts the child: what to
    consider, the diagnosis, the care needed and the doctor's instructions; ``medical_care``
    when the child needs 医療的ケア (a prior consultation before any use, by policy)."""

    model_config = ConfigDict(frozen=True)

    content: Annotated[MultilineText, StringConstraints(max_length=2000)] = ""
    diagnosis: Annotated[MultilineText, StringConstraints(max_length=2000)] = ""
    required_care: Annotated[MultilineText, StringConstraints(max_length=2000)] = ""
    doctor_instructions: Annotated[MultilineText, StringConstraints(max_length=2000)] = ""
    medical_care: bool = False


class MovedFrom(BaseModel):
    """The certification a move (転入) ended: the child keeps its id, and so its month's hours.

    The previous municipality's certification ends on ``last_day`` (its CertificationRevoked,
    reason moved_out, comes just before this event on the same key); the new one starts the
    next day, with neither a gap nor an overlap.
    """

    model_config = ConfigDict(frozen=True)

    municipality: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
    certification_id: uuid.UUID
    last_day: date


class ChildCertified(_Eligibility):
    """認定: アカウント発行のお知らせ is sent from this; booking learns the validity window."""

    event_type: ClassVar[str] = "eligibility.ChildCertified"
    aggregate_field: ClassVar[str] = "child_id"

    certification_id: uuid.UUID
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    guardian_email: EmailAddress
    certificate_number: str
    valid_from: date
    valid_until: date
    # Any special consideration (配慮事項) the facility must know before accepting the child.
    needs_support: bool = False
    # Lets booking apply the age rule on each use date itself (tsuen_common.age), not only the
    # window; optional because it was added after the first version.
    birth_date: date | None = None
    # The child's name and reading, so mails and the facility's screens name the child
    # (issue 13); optional because they were added after the first version.
    child_name: str | None = None
    child_kana: str | None = None
    # The facility decided at application (Chiyoda FY2025 books only there, by policy).
    decided_facility_id: uuid.UUID | None = None
    # 配慮事項 and 医療的ケア from the application (issue 17.7): the facility sees them before it
    # accepts the child; None when the application had none (or predates this field).
    considerations: SpecialNeeds | None = None
    # A move from another municipality on the platform (issue 17.3); None for a first
    # certification. The guardian's login moves with the family when it is the same guardian.
    moved_from: MovedFrom | None = None


class RevocationReason(StrEnum):
    ENROLLED = "enrolled"  # started at an excluded facility type (保育所等)
    MOVED_OUT = "moved_out"  # 転出
    AGED_OUT = "aged_out"  # reached 満3歳
    WITHDRAWN = "withdrawn"  # the guardian withdrew


class CertificationRevoked(_Eligibility):
    """The certification ends on ``effective_date``: bookings on or after it are void."""

    event_type: ClassVar[str] = "eligibility.CertificationRevoked"
    aggregate_field: ClassVar[str] = "child_id"

    certification_id: uuid.UUID
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    guardian_email: EmailAddress
    effective_date: date
    reason: RevocationReason


class CertificationChanged(_Eligibility):
    """A change application (address, guardian) was approved."""

    event_type: ClassVar[str] = "eligibility.CertificationChanged"
    aggregate_field: ClassVar[str] = "child_id"

    certification_id: uuid.UUID
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    guardian_email: EmailAddress
    changed_fields: list[str]


class GuardianEmailChangeRequested(_Eligibility):
    """A guardian asked to receive mail at a new address: the link goes to that address only.

    Nothing changes until the owner of the new address opens the link (the takeover in issue
    12): then CertificationChanged follows for every active certification of the guardian.
    """

    event_type: ClassVar[str] = "eligibility.GuardianEmailChangeRequested"
    aggregate_field: ClassVar[str] = "change_id"

    change_id: uuid.UUID
    guardian_id: uuid.UUID
    email: EmailAddress
    url: str
    expires_at: AwareDatetime


class LotteryOutcome(StrEnum):
    WON = "won"
    WAITLISTED = "waitlisted"  # 補欠
    PROMOTED = "promoted"  # 補欠から繰り上げ
    # 落選, only where the policy mails it (lottery.mail_not_selected). New in this version: a
    # consumer that does not know it dead-letters the event, so deploy consumers first.
    NOT_SELECTED = "not_selected"


class LotteryResultDecided(_Eligibility):
    event_type: ClassVar[str] = "eligibility.LotteryResultDecided"
    aggregate_field: ClassVar[str] = "application_id"

    round_id: uuid.UUID
    application_id: uuid.UUID
    email: EmailAddress
    outcome: LotteryOutcome
    waitlist_position: int | None = Field(default=None, ge=1)
    acceptance_deadline: date | None = None
    child_name: str | None = None


# --- お子さんの情報登録 (the child's record the guardian keeps; the facility's roster shows it) ---

ShortText = Annotated[PlainText, StringConstraints(max_length=60)]
Note = Annotated[MultilineText, StringConstraints(max_length=1000)]


class EmergencyContact(BaseModel):
    """緊急連絡先: who the facility phones when something happens to the child."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName
    relation: ShortText = Field(description="続柄 (母, 父, 祖母…)")
    phone: PhoneNumber


class PickupPerson(BaseModel):
    """お迎えに来る人: the staff hand the child only to a person on this list."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName
    relation: ShortText = Field(description="続柄")
    phone: PhoneNumber | None = None


class ChildProfile(BaseModel):
    """What the guardian registers about the child's health and safety (お子さんの情報登録).

    Personal and partly sensitive (health): only the guardian, their municipality's officers
    and the facilities the child is booked at see it; never logged.
    """

    model_config = ConfigDict(extra="forbid")

    allergies: list[ShortText] = Field(
        default_factory=list, max_length=10, description="アレルギー (食物・薬など), one per item"
    )
    allergy_notes: Note = Field(default="", description="アレルギーの症状・対応 (除去食など)")
    health_notes: Note = Field(default="", description="健康状態・既往歴・服薬")
    medical_care: bool = Field(default=False, description="医療的ケアが必要")
    medical_care_notes: Note = Field(default="", description="医療的ケアの内容")
    considerations: Note = Field(default="", description="配慮事項 (発達・生活面など)")
    family_doctor: Annotated[PlainText, StringConstraints(max_length=200)] = Field(
        default="", description="かかりつけ医 (医院名・電話)"
    )
    emergency_contacts: list[EmergencyContact] = Field(min_length=1, max_length=3)
    pickup_persons: list[PickupPerson] = Field(default_factory=list, max_length=5)


class ChildProfileUpdated(_Eligibility):
    """The guardian registered or changed the child's record; the roster shows the new one.

    ``profile_version`` rises by one with each change, so a consumer keeps only the newest.
    """

    event_type: ClassVar[str] = "eligibility.ChildProfileUpdated"
    aggregate_field: ClassVar[str] = "child_id"

    child_id: uuid.UUID
    guardian_id: uuid.UUID
    profile_version: int = Field(ge=1)
    profile: ChildProfile


class ChangeApplicationDecided(_Eligibility):
    """An officer decided a guardian's 変更申請 (address, phone, name): the guardian is mailed
    either way. An approval is also announced as CertificationChanged (what booking acts on)."""

    event_type: ClassVar[str] = "eligibility.ChangeApplicationDecided"
    aggregate_field: ClassVar[str] = "child_id"

    change_request_id: uuid.UUID
    certification_id: uuid.UUID
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    guardian_email: EmailAddress
    approved: bool
    fields: list[str] = Field(description="the fields the guardian asked to change")
    reason: Annotated[PlainText, StringConstraints(max_length=500)] = ""


class FamilySupportMarked(_Eligibility):
    """An officer marked the certification 要支援家庭 (a family the municipality supports)
    from ``valid_from`` to ``valid_until`` (both included): billing claims the 要支援家庭 加算
    on use dates within the span. The same certification and ``valid_from`` again replaces
    the span's end (how an officer ends it early)."""

    event_type: ClassVar[str] = "eligibility.FamilySupportMarked"
    aggregate_field: ClassVar[str] = "child_id"

    certification_id: uuid.UUID
    child_id: uuid.UUID
    valid_from: date
    valid_until: date


EVENTS: tuple[type[EventPayload], ...] = (
    ApplicationLinkIssued,
    ApplicationSubmitted,
    ApplicationRejected,
    ChildCertified,
    CertificationRevoked,
    CertificationChanged,
    GuardianEmailChangeRequested,
    LotteryResultDecided,
    ChildProfileUpdated,
    ChangeApplicationDecided,
    FamilySupportMarked,
)
