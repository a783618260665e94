"""Signing and verification keys: algorithms, PEM loading, and the checks that refuse a weak or
mismatched key at startup rather than per request."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tsuen_common.auth.errors import AuthConfigError

Algorithm = Literal["HS256", "RS256", "ES256"]

# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
MIN_HMAC_SECRET_BYTES = 32


def check_hmac_secret(secret: str | bytes) -> None:
    size = len(secret.encode() if isinstance(secret, str) else secret)
    if size < MIN_HMAC_SECRET_BYTES:
        raise AuthConfigError(
            f"the HS256 secret is {size} bytes; it must be at least {MIN_HMAC_SECRET_BYTES} "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )


def read_key_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AuthConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc


def load_public_key(
    algorithm: Algorithm, pem: bytes
) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise AuthConfigError(f"the {algorithm} public key is not a PEM public key") from exc
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise AuthConfigError(f"the {algorithm} public key has the wrong type")
    check_key_type(algorithm, key)
    return key


def load_private_key(
    algorithm: Algorithm, pem: bytes
) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise AuthConfigError(
            f"the {algorithm} private key is not an unencrypted PEM private key"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise AuthConfigError(f"the {algorithm} private key has the wrong type")
    check_key_type(algorithm, key.public_key())
    return key


def check_key_type(algorithm: Algorithm, key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> None:
    if algorithm == "RS256" and not isinstance(key, rsa.RSAPublicKey):
        raise AuthConfigError("RS256 needs an RSA key")
    if algorithm == "ES256" and not (
        isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
    ):
        raise AuthConfigError("ES256 needs an EC key on curve P-256")
