"""Events produced by the billing service (利用実績・請求) on ``tsuen.billing.events``, keyed by
the facility id.

Contract: fields are only ever added (optional, with defaults); never renamed or removed
within a version. Consumers: none yet (notification's 請求確定 mail to the facility and the
monthly statement mail to the guardian are planned; the recipients' addresses are in the events,
as in every notice-causing event).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime, Field

from tsuen_common.events.envelope import EmailAddress, EventPayload
from tsuen_common.events.topics import Topic


class ClaimClosed(EventPayload):
    """A facility's month closed: its 請求 to one paying municipality is final. Late usage for
    the month becomes adjustment lines in a later claim, never a change to this one."""

    topic: ClassVar[Topic] = Topic.BILLING
    aggregate_field: ClassVar[str] = "facility_id"
    event_type: ClassVar[str] = "billing.ClaimClosed"

    claim_id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    municipality: str = Field(pattern=r"^\d{6}$")  # the paying municipality
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    minutes: int = Field(ge=0)
    line_count: int = Field(ge=0)
    benefit_yen: int = Field(ge=0)
    addon_yen: int = Field(ge=0)
    total_yen: int = Field(ge=0)
    closed_at: AwareDatetime
    # Where the facility takes mail (from booking's events); None until billing has seen one.
    facility_email: EmailAddress | None = None


class StatementClosed(EventPayload):
    """A guardian's monthly statement (利用料明細) for one facility is final: what the guardian
    pays the facility for the month, including adjustments for earlier months."""

    topic: ClassVar[Topic] = Topic.BILLING
    aggregate_field: ClassVar[str] = "facility_id"
    event_type: ClassVar[str] = "billing.StatementClosed"

    statement_id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    guardian_id: uuid.UUID
    # The guardian's address from the latest certification billing has seen; None if none.
    guardian_email: EmailAddress | None = None
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    minutes: int = Field(ge=0)
    fee_yen: int = Field(ge=0)
    over_cap_yen: int = Field(ge=0)
    # 実費 (meals, snacks: the facility's items), in total_yen; 0 from older producers.
    actual_cost_yen: int = Field(default=0, ge=0)
    total_yen: int = Field(ge=0)
    closed_at: AwareDatetime


EVENTS: tuple[type[EventPayload], ...] = (ClaimClosed, StatementClosed)
