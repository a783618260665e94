"""受入: when a facility may take a child on — after the first interview has taken place.

A facility could once record acceptance for any child id and then book that child's hours
(issue 12, item 5). Now acceptance needs an interview the guardian asked for at that facility,
which the facility scheduled and then recorded as held (with the health check's result). A
municipality officer may accept without one, with a reason that is kept with the acceptance
(an interview held before the platform existed, a transfer between facilities). Declining needs
nothing: it grants nothing.
"""

from __future__ import annotations

from enum import StrEnum

from tsuen_booking.domain.errors import Conflict, InvalidRequest
from tsuen_common.auth import Role


class InterviewStatus(StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class HealthCheck(StrEnum):
    """健康診断 at the first interview."""

    NO_CONCERNS = "no_concerns"  # 特記事項なし
    FOLLOW_UP = "follow_up"  # 要配慮・経過観察 (the note says what)


def check_may_record_held(status: str) -> None:
    """Only a scheduled interview can be recorded as held."""
    if status == InterviewStatus.HELD:
        raise Conflict(
            "this interview has already been recorded as held",
            message_ja="この面談は実施済みとして記録されています。",
        )
    if status != InterviewStatus.SCHEDULED:
        raise Conflict(
            f"the interview is {status}; schedule it before recording it as held",
            message_ja="日時が確定していない面談は、実施を記録できません。先に日時を確定してください。",
        )


def check_may_accept(
    *,
    accepted: bool,
    interview_status: str | None,
    role: Role,
    override_reason: str | None,
) -> None:
    """Raise unless the facility may record this decision now."""
    if override_reason is not None and role not in (
        Role.MUNICIPALITY_OFFICER,
        Role.PLATFORM_ADMIN,
    ):
        raise InvalidRequest(
            "only a municipality officer may accept a child without a held interview",
            message_ja="面談なしの受入決定は、市区町村の職員のみが登録できます。",
        )
    if not accepted:
        return
    if interview_status == InterviewStatus.HELD:
        return
    if override_reason is not None:
        return
    raise Conflict(
        "the first interview (初回面談) with this child has not been recorded as held at this "
        "facility; record the interview and the health check first",
        message_ja="このお子さんの初回面談が、この施設で実施済みとして記録されていません。"
        "面談と健康診断の結果を先に記録してください。",
    )


def check_medical_care_consulted(
    *,
    accepted: bool,
    needs_medical_care: bool,
    consultation_required: bool,
    consulted: bool,
) -> None:
    """医療的ケア: where the municipality asks for a prior consultation (Chiyoda: "医療的ケアが
    必要な場合は事前相談が必要です"), a facility accepts such a child only after recording it.
    Booking needs acceptance, so no use is booked before the consultation."""
    if accepted and needs_medical_care and consultation_required and not consulted:
        raise Conflict(
            "this child needs medical care (医療的ケア): record the prior consultation before "
            "accepting the child",
            message_ja="医療的ケアが必要なお子さんです。受け入れの前に、事前相談を行ったことを"
            "記録してください。",
        )
