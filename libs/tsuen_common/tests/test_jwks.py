"""TokenVerifier against a JWKS served over HTTP on 127.0.0.1: keys picked by kid, a rotated-in
key found without a restart, unknown kids refused without a fetch per request, HS256 beside it
for tests and the dev stack, and the last good keys kept while the JWKS is unreachable."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pydantic import SecretStr

from tsuen_common.auth import InvalidToken, Principal, Role, TokenIssuer, TokenVerifier
from tsuen_common.auth.jwks import JwksKeys
from tsuen_common.settings import ServiceSettings

SECRET = "test-only-secret-0123456789abcdef0123456789"
GUARDIAN = Principal(subject="g1", role=Role.GUARDIAN, municipality="131016", guardian_id="g1")


class Jwks:
    """A JWKS endpoint whose keys the test changes; counts the fetches."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        self.up = True
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                if not outer.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def publish(self, kid: str, key: ec.EllipticCurvePrivateKey) -> None:
        jwk: dict[str, Any] = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
        self.keys.append({**jwk, "kid": kid, "alg": "ES256", "use": "sig"})


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    served = Jwks()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def signer(kid: str, key: ec.EllipticCurvePrivateKey) -> TokenIssuer:
    return TokenIssuer(algorithm="ES256", key=key, key_id=kid)


def test_keys_are_picked_by_kid_and_a_rotated_in_key_is_fetched_without_restart(jwks):
    old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    jwks.publish("old", old)
    clock = Clock()
    verifier = TokenVerifier(
        algorithm="ES256",
        key=None,
        issuer="tsuen",
        audience="tsuen",
        jwks=JwksKeys(jwks.url, clock=clock),
    )
    assert verifier.verify(signer("old", old).mint(GUARDIAN)) == GUARDIAN
    assert jwks.fetches == 1

    # Identity rotates: the new key is published beside the old one, tokens name it.
    jwks.publish("new", new)
    clock.now += 60
    assert verifier.verify(signer("new", new).mint(GUARDIAN)) == GUARDIAN
    assert jwks.fetches == 2
    assert verifier.verify(signer("old", old).mint(GUARDIAN, ttl=timedelta(minutes=5)))
    assert jwks.fetches == 2  # known kids need no fetch


def test_unknown_kids_are_refused_and_do_not_fetch_on_every_request(jwks):
    key = ec.generate_private_key(ec.SECP256R1())
    jwks.publish("k1", key)
    clock = Clock()
    verifier = TokenVerifier(
        algorithm="ES256",
        key=None,
        issuer="tsuen",
        audience="tsuen",
        jwks=JwksKeys(jwks.url, clock=clock, min_refresh_interval=10),
    )
    for n in range(5):
        with pytest.raises(InvalidToken, match="kid"):
            verifier.verify(signer(f"made-up-{n}", key).mint(GUARDIAN))
    assert jwks.fetches <= 2  # the first load, and one refetch for an unknown kid


def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(jwks):
    published, forger = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    jwks.publish("k1", published)
    verifier = TokenVerifier(
        algorithm="ES256", key=None, issuer="tsuen", audience="tsuen", jwks=JwksKeys(jwks.url)
    )
    with pytest.raises(InvalidToken, match="signature"):
        verifier.verify(signer("k1", forger).mint(GUARDIAN))


def test_unsigned_and_hs256_tokens_are_refused_when_no_secret_is_configured(jwks):
    jwks.publish("k1", ec.generate_private_key(ec.SECP256R1()))
    verifier = TokenVerifier(
        algorithm="ES256", key=None, issuer="tsuen", audience="tsuen", jwks=JwksKeys(jwks.url)
    )
    unsigned = jwt.encode({**GUARDIAN.to_claims(), "iss": "tsuen", "aud": "tsuen"}, None, "none")
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(unsigned)
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(TokenIssuer(algorithm="HS256", key=SECRET).mint(GUARDIAN))


def test_from_settings_accepts_jwks_tokens_and_hs256_dev_tokens_side_by_side(jwks):
    key = ec.generate_private_key(ec.SECP256R1())
    jwks.publish("k1", key)
    settings = ServiceSettings(jwt_jwks_url=jwks.url, jwt_secret=SecretStr(SECRET))
    verifier = TokenVerifier.from_settings(settings)
    assert verifier.verify(signer("k1", key).mint(GUARDIAN)) == GUARDIAN
    assert verifier.verify(TokenIssuer(algorithm="HS256", key=SECRET).mint(GUARDIAN)) == GUARDIAN


def test_the_last_good_keys_keep_working_while_the_jwks_is_unreachable(jwks):
    key = ec.generate_private_key(ec.SECP256R1())
    jwks.publish("k1", key)
    clock = Clock()
    keys = JwksKeys(jwks.url, clock=clock, lifespan=300)
    verifier = TokenVerifier(
        algorithm="ES256", key=None, issuer="tsuen", audience="tsuen", jwks=keys
    )
    assert verifier.verify(signer("k1", key).mint(GUARDIAN)) == GUARDIAN
    jwks.up = False
    clock.now += 600  # the document is stale; the refetch fails
    assert verifier.verify(signer("k1", key).mint(GUARDIAN, ttl=timedelta(minutes=3)))
    assert jwks.fetches == 2


def test_nothing_ever_fetched_is_a_clear_refusal(jwks):
    jwks.up = False
    verifier = TokenVerifier(
        algorithm="ES256", key=None, issuer="tsuen", audience="tsuen", jwks=JwksKeys(jwks.url)
    )
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidToken, match="cannot be fetched"):
        verifier.verify(signer("k1", key).mint(GUARDIAN))


def test_a_new_kid_right_after_a_fetch_is_found_at_once(jwks):
    old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    jwks.publish("old", old)
    clock = Clock()
    verifier = TokenVerifier(
        algorithm="ES256",
        key=None,
        issuer="tsuen",
        audience="tsuen",
        jwks=JwksKeys(jwks.url, clock=clock),
    )
    assert verifier.verify(signer("old", old).mint(GUARDIAN))
    jwks.publish("new", new)
    clock.now += 1  # well within min_refresh_interval of the last fetch
    assert verifier.verify(signer("new", new).mint(GUARDIAN))


def test_an_unreachable_jwks_is_not_asked_on_every_request(jwks):
    jwks.up = False
    clock = Clock()
    verifier = TokenVerifier(
        algorithm="ES256",
        key=None,
        issuer="tsuen",
        audience="tsuen",
        jwks=JwksKeys(jwks.url, clock=clock),
    )
    key = ec.generate_private_key(ec.SECP256R1())
    for _ in range(5):
        with pytest.raises(InvalidToken):
            verifier.verify(signer("k1", key).mint(GUARDIAN))
    assert jwks.fetches == 1
    jwks.up = True
    jwks.publish("k1", key)
    clock.now += 10
    assert verifier.verify(signer("k1", key).mint(GUARDIAN))
