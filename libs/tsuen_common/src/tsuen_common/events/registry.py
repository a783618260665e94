"""Look up payload schemas by (type, version) and turn bytes off the wire into events."""

from __future__ import annotations

from pydantic import ValidationError

from tsuen_common.events.catalog import ALL_EVENTS
from tsuen_common.events.envelope import EventEnvelope, EventPayload

_REGISTRY: dict[tuple[str, int], type[EventPayload]] = {
    (cls.event_type, cls.version): cls for cls in ALL_EVENTS
}


class UndecodableEvent(ValueError):
    """The bytes are not an event this consumer can read; it goes to the dead-letter topic."""


class MalformedEvent(UndecodableEvent):
    pass


class UnknownEvent(UndecodableEvent):
    pass


def payload_class(event_type: str, version: int) -> type[EventPayload]:
    try:
        return _REGISTRY[(event_type, version)]
    except KeyError:
        raise UnknownEvent(f"unknown event {event_type!r} version {version}") from None


def decode(raw: bytes) -> tuple[EventEnvelope, EventPayload]:
    """Parse and validate an envelope and its payload; raise :class:`UndecodableEvent`."""
    try:
        envelope = EventEnvelope.model_validate_json(raw)
    except ValidationError as exc:
        raise MalformedEvent(f"invalid envelope: {_summary(exc)}") from None
    cls = payload_class(envelope.event_type, envelope.event_version)
    try:
        payload = cls.model_validate(envelope.payload)
    except ValidationError as exc:
        raise MalformedEvent(f"invalid {envelope.event_type} payload: {_summary(exc)}") from None
    return envelope, payload


def _summary(exc: ValidationError) -> str:
    # Field paths and error kinds only: the input values may be personal data.
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['type']}"
        for err in exc.errors()[:5]
    )
