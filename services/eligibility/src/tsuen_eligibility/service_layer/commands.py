"""What callers send: the application form (Chiyoda's field list) and the officers' requests.

Validation here gives 422 messages that name the field, so a parent or an officer can fix the
input without calling anyone.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from tsuen_common.events.eligibility import RevocationReason
from tsuen_common.policy import EnrollmentType
from tsuen_common.text import KanaName, PersonName, PhoneNumber, clean_text


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("入力してください。 / this field must not be empty")
    return value


# Every text is cleaned at the edge (tsuen_common.text): NFKC, no invisible characters, no
# control characters; names need a letter and readings must be kana, so the one-child rule's
# key cannot be dodged with a zero-width space.
Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(clean_text),
    AfterValidator(_not_blank),
]
LongText = Annotated[
    str,
    StringConstraints(max_length=4000),
    AfterValidator(lambda v: clean_text(v, multiline=True)),
]
Phone = PhoneNumber


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNANSWERED = "unanswered"


class Guardian(_Input):
    name: PersonName
    kana: KanaName
    birth_date: date
    address: Text
    phone: Phone
    gender: Gender
    relationship_to_child: Text  # 子どもの続柄 (母, 父, 祖母…)


class Consents(_Input):
    """各種同意: all must be given to apply."""

    terms: bool
    personal_data: bool
    share_with_facility: bool

    @model_validator(mode="after")
    def _all_given(self) -> Consents:
        missing = [name for name, given in self.model_dump().items() if not given]
        if missing:
            raise ValueError(f"these consents are required to apply: {', '.join(missing)}")
        return self


class ProxyUser(_Input):
    """代理利用者: another person who may bring or collect the child."""

    name: PersonName
    kana: KanaName
    relationship_to_child: Text
    phone: Phone | None = None


class Child(_Input):
    name: PersonName
    kana: KanaName
    birth_date: date
    relationship_to_guardian: Text  # 申請者との続柄 (長男, 長女…)


class SpecialConsiderations(_Input):
    """その他配慮すべき事項: with 有, say what; diagnosis, care and the doctor's instructions."""

    present: bool = False
    content: LongText | None = None
    diagnosis: LongText | None = None
    required_care: LongText | None = None
    doctor_instructions: LongText | None = None
    # 医療的ケアが必要: a prior consultation before any use (Chiyoda's guide), by policy.
    medical_care: bool = False

    @model_validator(mode="after")
    def _content_when_present(self) -> SpecialConsiderations:
        if self.present and not self.content:
            raise ValueError("special_considerations.content is required when present is true")
        return self


class Attachment(_Input):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    content_type: Annotated[str, StringConstraints(min_length=3, max_length=100)]
    data_base64: str = Field(description="the file's bytes, base64-encoded")


class ApplicationForm(_Input):
    link_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]
    guardian: Guardian
    consents: Consents
    proxy_users: list[ProxyUser] = Field(default_factory=list, max_length=5)
    prior_use_municipality: Text | None = Field(
        default=None,
        description="前自治体での利用: the municipality where the child used the scheme",
    )
    child: Child
    special_considerations: SpecialConsiderations = SpecialConsiderations()
    desired_facility_id: uuid.UUID | None = None
    desired_facility_note: LongText | None = None
    attachments: list[Attachment] = Field(default_factory=list)


class ResidentRecordIn(_Input):
    child_kana: KanaName
    child_birth_date: date
    moved_in_on: date | None = None
    moved_out_on: date | None = None


class EnrollmentIn(_Input):
    child_kana: KanaName
    child_birth_date: date
    facility_type: EnrollmentType
    enrolled_from: date
    enrolled_until: date | None = None


class ApproveRequest(_Input):
    acknowledge_failed_checks: bool = Field(
        default=False,
        description="approve although an automatic check failed (the officer verified it)",
    )
    moved_from_certification_id: uuid.UUID | None = Field(
        default=None,
        description="転入: this child is the one certified by this certification in another "
        "municipality; it ends the day before the new one starts and the child keeps its hours",
    )
    another_child: bool = Field(
        default=False,
        description="the child certified elsewhere with the same reading and birth date is "
        "another child: certify this one on its own",
    )

    @model_validator(mode="after")
    def _one_move_decision(self) -> ApproveRequest:
        if self.another_child and self.moved_from_certification_id is not None:
            raise ValueError(
                "say either moved_from_certification_id (a move) or another_child, not both"
            )
        return self


class RejectRequest(_Input):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class PriorityTierRequest(_Input):
    tier: str | None


class ChangeRequest(_Input):
    """変更申請: a new address and/or guardian details (all optional, at least one)."""

    address: Text | None = None
    phone: Phone | None = None
    guardian_name: PersonName | None = None
    guardian_kana: KanaName | None = None
    guardian_email: EmailStr | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> ChangeRequest:
        if not any(v is not None for v in self.model_dump().values()):
            raise ValueError("give at least one field to change")
        return self


class RevokeRequest(_Input):
    reason: RevocationReason
    effective_date: date


class OpenRoundRequest(_Input):
    name: Text
    places: int = Field(ge=1, le=100_000)
    facility_id: uuid.UUID | None = None


class ReplayApplicant(_Input):
    application_id: uuid.UUID
    tier: str | None = None
    family: str | None = None


class ReplayRequest(_Input):
    """Everything a draw depends on, as published by the round."""

    seed: str = Field(min_length=1, max_length=200)
    seed_hash: str | None = Field(default=None, description="checked against the seed if given")
    places: int = Field(ge=0)
    applicants: list[ReplayApplicant]
    priority_tiers: list[str] = Field(default_factory=list)
    siblings_together: bool = False
    waitlist_enabled: bool = True
