"""Which address the throttles count: X-Forwarded-For only from a trusted proxy."""

from __future__ import annotations

from tsuen_identity.entrypoints.deps import ForwardedFor


def test_the_header_is_ignored_unless_the_operator_trusts_it():
    assert ForwardedFor().client("203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_a_trusted_proxy_names_the_client_with_the_last_hop():
    forwarded = ForwardedFor.of(True, ["172.16.0.0/12"])
    assert forwarded.client("172.18.0.5", "6.6.6.6, 198.51.100.1") == "198.51.100.1"


def test_a_peer_outside_the_trusted_networks_cannot_pick_its_address():
    forwarded = ForwardedFor.of(True, ["172.16.0.0/12"])
    assert forwarded.client("203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_trusting_without_networks_trusts_any_peer_and_falls_back_to_the_peer():
    forwarded = ForwardedFor.of(True, [])
    assert forwarded.client("10.0.0.2", "198.51.100.1") == "198.51.100.1"
    assert forwarded.client("10.0.0.2", "") == "10.0.0.2"
    assert forwarded.client(None, None) == "unknown"
