"""The event envelope every tsuen event travels in.

The envelope is the contract between services: who produced what, for which municipality,
when, and in answer to which earlier event. The payload is a versioned schema from
:mod:`tsuen_common.events.catalog`. Schemas evolve additively within a version (new optional
fields; readers ignore fields they do not know); a breaking change is a new version, and a
consumer that does not know a version dead-letters the event rather than guess.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.networks import validate_email

from tsuen_common.events.topics import Topic
from tsuen_common.timeutil import now_jst

MunicipalityCode = str  # 全国地方公共団体コード, six digits with the check digit


@lru_cache(maxsize=8192)
def _valid_email(value: str) -> str:
    # pydantic's EmailStr check (email-validator), remembered: a guardian's address travels in
    # every event about their child and is checked by the producer and every consumer; the
    # check is a few percent of a booking's CPU. A refusal raises, and is not remembered.
    return validate_email(value)[1]


EmailAddress = Annotated[
    str,
    AfterValidator(_valid_email),
    WithJsonSchema({"type": "string", "format": "email"}),
]
"""An e-mail address in an event: exactly ``EmailStr``'s rules and schema, checked once per
distinct address per process."""


class EventPayload(BaseModel):
    """Base of every event payload.

    Subclasses set the class variables; ``aggregate_field`` names the payload field whose value
    is the Kafka message key (the child id for booking and attendance events).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    topic: ClassVar[Topic]
    aggregate_field: ClassVar[str]

    def aggregate_id(self) -> str:
        return str(getattr(self, self.aggregate_field))


class EventEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    event_version: int = Field(ge=1)
    occurred_at: AwareDatetime = Field(default_factory=now_jst)
    municipality: MunicipalityCode = Field(pattern=r"^\d{6}$")
    producer: str
    aggregate_id: str
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    # W3C trace context (traceparent/tracestate) of the span that produced the event.
    trace: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        municipality: MunicipalityCode,
        producer: str,
        caused_by: EventEnvelope | None = None,
        correlation_id: uuid.UUID | None = None,
        trace: dict[str, str] | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        """Wrap a payload; an event caused by another inherits its correlation id."""
        if caused_by is not None and correlation_id is None:
            correlation_id = caused_by.correlation_id or caused_by.event_id
        return cls(
            event_type=payload.event_type,
            event_version=payload.version,
            municipality=municipality,
            producer=producer,
            aggregate_id=payload.aggregate_id(),
            correlation_id=correlation_id,
            causation_id=caused_by.event_id if caused_by else None,
            trace=trace or {},
            payload=payload.model_dump(mode="json"),
            **({"occurred_at": occurred_at} if occurred_at else {}),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @property
    def topic(self) -> Topic:
        from tsuen_common.events.registry import payload_class

        return payload_class(self.event_type, self.event_version).topic
