"""Minting tokens: the identity service's access tokens and tokens for development and tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tsuen_common.auth.errors import AuthConfigError
from tsuen_common.auth.keys import Algorithm, check_hmac_secret, load_private_key, read_key_file
from tsuen_common.auth.principal import Principal

DEFAULT_TTL = timedelta(hours=1)


class TokenIssuer:
    """Mints tokens: the identity service's access tokens (ES256, ``key_id`` set), and tokens for
    development and tests.

    The key comes from the caller: an HS256 secret read from the environment, or a private
    key file for RS256/ES256.
    """

    def __init__(
        self,
        *,
        algorithm: Algorithm,
        key: str | bytes | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        issuer: str = "tsuen",
        audience: str = "tsuen",
        default_ttl: timedelta = DEFAULT_TTL,
        key_id: str | None = None,
    ) -> None:
        if algorithm == "HS256":
            if not isinstance(key, str | bytes):
                raise AuthConfigError("HS256 needs a shared secret, not a private key object")
            check_hmac_secret(key)
        elif isinstance(key, str | bytes):
            key = load_private_key(algorithm, key if isinstance(key, bytes) else key.encode())
        self._algorithm = algorithm
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self._default_ttl = default_ttl
        # Named in the token's header (``kid``) so a verifier picks the key from a JWKS.
        self._headers = {"kid": key_id} if key_id else None

    @classmethod
    def from_private_key_file(
        cls, path: Path, *, algorithm: Literal["RS256", "ES256"], **kwargs: Any
    ) -> TokenIssuer:
        return cls(algorithm=algorithm, key=read_key_file(path, "private key file"), **kwargs)

    def mint(
        self,
        principal: Principal,
        *,
        ttl: timedelta | None = None,
        now: datetime | None = None,
    ) -> str:
        """A signed token for ``principal``; pass ``now`` in the past to mint an expired one."""
        issued_at = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            **principal.to_claims(),
            "iss": self._issuer,
            "aud": self._audience,
            "iat": issued_at,
            "exp": issued_at + (ttl if ttl is not None else self._default_ttl),
        }
        return jwt.encode(claims, self._key, algorithm=self._algorithm, headers=self._headers)
