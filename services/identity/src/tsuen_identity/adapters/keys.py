"""The signing key (ES256, P-256) and the public keys published as JWKS.

The key id (``kid``) is the RFC 7638 thumbprint of the public key: the same key always has the
same id, so a rotation needs no hand-made names and a verifier can tell keys apart.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tsuen_common.auth import AuthConfigError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The public key as a JWK with ``kid``, ``use`` and ``alg``."""
    jwk: dict[str, Any] = ECAlgorithm.to_jwk(key, as_dict=True)
    # RFC 7638: the required members only, lexicographic order, no whitespace.
    canonical = json.dumps(
        {name: jwk[name] for name in ("crv", "kty", "x", "y")}, separators=(",", ":")
    )
    jwk.update(kid=_b64(hashlib.sha256(canonical.encode()).digest()), use="sig", alg="ES256")
    return jwk


@dataclass(frozen=True)
class SigningKey:
    private_key: ec.EllipticCurvePrivateKey
    key_id: str

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise AuthConfigError(
                f"cannot read TSUEN_IDENTITY_SIGNING_KEY_FILE {path}: {exc.strerror} "
                "(create one with: tsuen-identity gen-key PATH)"
            ) from exc
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise AuthConfigError(f"{path} is not an unencrypted PEM private key") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
            key.curve, ec.SECP256R1
        ):
            raise AuthConfigError(f"{path}: ES256 needs an EC private key on curve P-256")
        return cls(key, public_jwk(key.public_key())["kid"])

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()


def load_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    """A published (previous) key: a PEM public key, or the private key file it belongs to."""
    pem = path.read_bytes()
    key: Any
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        key = serialization.load_pem_private_key(pem, password=None).public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise AuthConfigError(f"{path}: a published key must be an EC (P-256) key")
    return key


def jwks(signing: SigningKey, published: list[Path]) -> dict[str, Any]:
    keys = [public_jwk(signing.public_key())]
    for path in published:
        jwk = public_jwk(load_public_key(path))
        if jwk["kid"] not in {k["kid"] for k in keys}:
            keys.append(jwk)
    return {"keys": keys}


def generate_key_file(path: Path) -> str:
    """Write a new P-256 private key (PEM, mode 0600) and its public key beside it; return kid.

    Refuses to overwrite: replacing the signing key by accident logs everybody out.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.with_name(path.name + ".pub").write_bytes(public)
    kid: str = public_jwk(key.public_key())["kid"]
    return kid
