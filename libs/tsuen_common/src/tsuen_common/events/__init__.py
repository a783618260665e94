"""Event envelope, versioned payload schemas and topic registry shared by every service."""

from tsuen_common.events.envelope import EventEnvelope, EventPayload
from tsuen_common.events.registry import (
    MalformedEvent,
    UndecodableEvent,
    UnknownEvent,
    decode,
    payload_class,
)
from tsuen_common.events.topics import Topic, dlq_name, topic_name

__all__ = [
    "EventEnvelope",
    "EventPayload",
    "MalformedEvent",
    "Topic",
    "UndecodableEvent",
    "UnknownEvent",
    "decode",
    "dlq_name",
    "payload_class",
    "topic_name",
]
