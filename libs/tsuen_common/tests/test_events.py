from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, EmailStr, ValidationError

from tsuen_common.events import (
    EventEnvelope,
    MalformedEvent,
    Topic,
    UnknownEvent,
    decode,
    dlq_name,
    topic_name,
)
from tsuen_common.events.asyncapi import build_document, render
from tsuen_common.events.attendance import CheckedIn
from tsuen_common.events.booking import BookingConfirmed, BookingKind
from tsuen_common.events.catalog import ALL_EVENTS
from tsuen_common.events.envelope import EmailAddress
from tsuen_common.timeutil import JST

CHILD = uuid.UUID("00000000-0000-0000-0000-00000000c0de")


def booking() -> BookingConfirmed:
    return BookingConfirmed(
        booking_id=uuid.uuid4(),
        child_id=CHILD,
        guardian_id=uuid.uuid4(),
        guardian_email="hogo@example.jp",
        facility_id=uuid.uuid4(),
        facility_name="さくら保育園",
        kind=BookingKind.FLEXIBLE,
        use_date=date(2026, 12, 1),
        starts_at=datetime(2026, 12, 1, 9, 0, tzinfo=JST),
        ends_at=datetime(2026, 12, 1, 11, 0, tzinfo=JST),
        held_minutes=120,
    )


def test_booking_events_are_keyed_by_the_child_so_one_childs_events_stay_in_order():
    env = EventEnvelope.wrap(booking(), municipality="131016", producer="booking")
    assert env.aggregate_id == str(CHILD)
    assert env.topic is Topic.BOOKING
    checkin = CheckedIn(
        booking_id=uuid.uuid4(),
        child_id=CHILD,
        facility_id=uuid.uuid4(),
        checked_in_at=datetime(2026, 12, 1, 9, 1, tzinfo=JST),
    )
    assert EventEnvelope.wrap(checkin, municipality="131016", producer="a").aggregate_id == str(
        CHILD
    )


def test_round_trip_keeps_every_field():
    payload = booking()
    env = EventEnvelope.wrap(payload, municipality="222135", producer="booking")
    decoded_env, decoded = decode(env.to_bytes())
    assert decoded_env == env
    assert decoded == payload
    assert decoded_env.occurred_at.tzinfo is not None


def test_a_caused_event_carries_causation_and_the_original_correlation():
    first = EventEnvelope.wrap(booking(), municipality="131016", producer="booking")
    second = EventEnvelope.wrap(
        booking(), municipality="131016", producer="booking", caused_by=first
    )
    third = EventEnvelope.wrap(
        booking(), municipality="131016", producer="booking", caused_by=second
    )
    assert second.causation_id == first.event_id
    assert second.correlation_id == first.event_id
    assert third.correlation_id == first.event_id
    assert third.causation_id == second.event_id


def test_readers_ignore_fields_added_later_in_the_same_version():
    raw = json.loads(EventEnvelope.wrap(booking(), municipality="131016", producer="b").to_bytes())
    raw["payload"]["added_in_a_later_release"] = "x"
    raw["also_new_in_envelope"] = 1
    _, payload = decode(json.dumps(raw).encode())
    assert isinstance(payload, BookingConfirmed)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda raw: raw.update(event_version=2), UnknownEvent),
        (lambda raw: raw.update(event_type="booking.Nonexistent"), UnknownEvent),
        (lambda raw: raw["payload"].pop("child_id"), MalformedEvent),
        (lambda raw: raw.update(municipality="13101"), MalformedEvent),
        (lambda raw: raw.update(occurred_at="2026-12-01T09:00:00"), MalformedEvent),
    ],
)
def test_undecodable_events_are_rejected_with_a_reason(mutate, error):
    raw = json.loads(EventEnvelope.wrap(booking(), municipality="131016", producer="b").to_bytes())
    mutate(raw)
    with pytest.raises(error):
        decode(json.dumps(raw).encode())


def test_bad_json_is_malformed_and_the_reason_quotes_no_values():
    with pytest.raises(MalformedEvent) as err:
        decode(b'{"event_type": "x", "municipality": "hogo@example.jp"')
    assert "hogo@example.jp" not in str(err.value)


def test_topic_names_take_the_namespace_prefix_and_dead_letters_their_suffix():
    assert topic_name(Topic.BOOKING) == "tsuen.booking.events"
    assert topic_name(Topic.BOOKING, "t1.") == "t1.tsuen.booking.events"
    assert dlq_name("t1.tsuen.booking.events") == "t1.tsuen.booking.events.dlq"


def test_every_event_type_is_unique_and_documented_in_asyncapi():
    keys = [(cls.event_type, cls.version) for cls in ALL_EVENTS]
    assert len(keys) == len(set(keys))
    doc = build_document()
    documented = {m["name"] for m in doc["components"]["messages"].values()}
    assert documented == {cls.event_type for cls in ALL_EVENTS}
    assert {c["address"] for c in doc["channels"].values()} == {t.value for t in Topic}


def test_committed_asyncapi_document_is_up_to_date():
    committed = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.json"
    assert committed.read_text(encoding="utf-8") == render(), (
        "docs/asyncapi.json is stale: run `uv run tsuen-asyncapi > docs/asyncapi.json`"
    )


@pytest.mark.parametrize("bad", ["not-an-address", "hogo@", "hogo@@example.jp", "a b@example.jp"])
def test_an_event_refuses_a_bad_address_every_time(bad: str) -> None:
    # The check is remembered per address; a refusal must not be.
    for _ in range(2):
        with pytest.raises(ValidationError, match="guardian_email"):
            EmailCarrier(guardian_email=bad)


def test_event_addresses_follow_emailstr() -> None:
    class Reference(BaseModel):
        guardian_email: EmailStr

    for address in ("hogo@example.jp", "Hogo.Taro+tsuen@Example.JP", "保護者@例え.jp"):
        ours = EmailCarrier(guardian_email=address).guardian_email
        assert ours == Reference(guardian_email=address).guardian_email
    ours_schema = EmailCarrier.model_json_schema()["properties"]["guardian_email"]
    assert ours_schema == Reference.model_json_schema()["properties"]["guardian_email"]


class EmailCarrier(BaseModel):
    guardian_email: EmailAddress
