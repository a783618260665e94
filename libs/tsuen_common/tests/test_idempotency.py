"""The pure decisions of Idempotency-Key (tsuen_common.idempotency)."""

from __future__ import annotations

import json

from tsuen_common.idempotency.answers import (
    IN_FLIGHT,
    KEY_REUSED,
    Stored,
    decide,
    fingerprint,
    valid_key,
)


def stored(*, fp: str = "fp", status: int | None = 201, age: float = 0.0) -> Stored:
    return Stored(fp, status, "application/json", b'{"id": 1}' if status else None, age)


def test_the_same_request_gets_the_first_answer_again() -> None:
    answer = decide(stored(), "fp", pending_seconds=10)
    assert answer is not None
    assert (answer.status, answer.body) == (201, b'{"id": 1}')
    assert (b"idempotent-replayed", b"true") in answer.headers


def test_a_different_request_under_the_same_key_is_422_with_a_japanese_message() -> None:
    answer = decide(stored(fp="other"), "fp", pending_seconds=10)
    assert answer is KEY_REUSED
    body = json.loads(answer.body)
    assert answer.status == 422
    assert body["code"] == "idempotency_key_reused"
    assert body["message_ja"]


def test_a_row_without_its_answer_is_in_flight_then_lost() -> None:
    assert decide(stored(status=None, age=1), "fp", pending_seconds=10) is IN_FLIGHT
    assert (b"retry-after", b"1") in IN_FLIGHT.headers
    assert decide(stored(status=None, age=11), "fp", pending_seconds=10) is None


def test_the_fingerprint_covers_method_path_query_and_body_unambiguously() -> None:
    base = fingerprint("POST", "/v1/bookings", b"", b'{"a": 1}')
    assert base == fingerprint("POST", "/v1/bookings", b"", b'{"a": 1}')
    assert base != fingerprint("POST", "/v1/bookings", b"", b'{"a": 2}')
    assert base != fingerprint("POST", "/v1/bookings/x", b"", b'{"a": 1}')
    assert fingerprint("POST", "/a", b"b", b"") != fingerprint("POST", "/a", b"", b"b")


def test_keys_are_printable_ascii_up_to_200_characters() -> None:
    assert valid_key("0b6c1f9e-8f43-4f39-9a53-5c0b0f1d2a77")
    assert valid_key("x" * 200)
    assert not valid_key("")
    assert not valid_key("x" * 201)
    assert not valid_key("with space")
    assert not valid_key("予約")
