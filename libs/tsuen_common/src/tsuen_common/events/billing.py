"""Events produced by the billing service (利用実績・請求) on ``tsuen.billing.events``, keyed by
the facility id.

Contract: fields are only ever added (optional, with defaults); never renamed or removed
within a version. Consumers: none yet (notification's "claim ready" mail is planned).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime, Field

from tsuen_common.events.envelope import EventPayload
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


EVENTS: tuple[type[EventPayload], ...] = (ClaimClosed,)
