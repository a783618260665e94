"""Checking a bearer token: signature, issuer, audience, expiry and tenant claims.

Verification keys come from the environment through :class:`ServiceSettings`, never from code:
the identity service's JWKS (``TSUEN_JWT_JWKS_URL``: ES256 keys picked by ``kid``, rotated
without restarts), an RS256/ES256 public key file (``TSUEN_JWT_PUBLIC_KEY_FILE``) or an HS256
shared secret (``TSUEN_JWT_SECRET``: tests and the dev stack only; it can sit beside the JWKS).
A service without a key refuses to start.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from tsuen_common.auth.errors import AuthConfigError, InvalidToken, TokenExpired
from tsuen_common.auth.jwks import JWKS_ALGORITHMS, JwksKeys
from tsuen_common.auth.keys import (
    MIN_HMAC_SECRET_BYTES,
    Algorithm,
    check_hmac_secret,
    check_key_type,
    load_public_key,
    read_key_file,
)
from tsuen_common.auth.principal import Principal
from tsuen_common.settings import ServiceSettings

# Tolerated clock skew between the issuer and this service.
DEFAULT_LEEWAY = timedelta(seconds=10)

_REQUIRED_CLAIMS = ["sub", "role", "iss", "aud", "exp", "iat"]
# Tokens verified recently, kept so a guardian's next request does not verify the same token
# again (PyJWT's checks are a tenth of a scan's CPU). Bounded; see TokenVerifier.verify.
VERIFIED_CACHE_SIZE = 4096


class TokenVerifier:
    """Checks signature, issuer, audience, expiry and tenant claims; yields a :class:`Principal`.

    Build one at startup (:meth:`from_settings`) and share it: it holds the parsed key.
    """

    def __init__(
        self,
        *,
        algorithm: Algorithm,
        key: str | bytes | rsa.RSAPublicKey | ec.EllipticCurvePublicKey | None,
        issuer: str,
        audience: str,
        leeway: timedelta = DEFAULT_LEEWAY,
        clock: Callable[[], float] = time.time,
        jwks: JwksKeys | None = None,
    ) -> None:
        if key is None:
            if jwks is None:
                raise AuthConfigError("a verifier needs a key, a JWKS, or both")
        elif algorithm == "HS256":
            if not isinstance(key, str | bytes):
                raise AuthConfigError("HS256 needs a shared secret, not a public key object")
            check_hmac_secret(key)
        elif isinstance(key, str | bytes):
            key = load_public_key(algorithm, key if isinstance(key, bytes) else key.encode())
        else:
            check_key_type(algorithm, key)
        self._algorithm = algorithm
        self._key = key
        self._jwks = jwks
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._clock = clock  # for the cache's expiry check; PyJWT reads the system clock
        # token → (principal, exp): only tokens that passed every check get in.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        """Fails with a message naming the missing environment variable if no key is set."""
        algorithm = settings.jwt_algorithm
        jwks = JwksKeys(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        key: str | bytes | None = None
        if algorithm == "HS256":
            if settings.jwt_secret is None and jwks is None:
                raise AuthConfigError(
                    "no JWT verification key: set TSUEN_JWT_JWKS_URL (the identity service's "
                    "JWKS), or TSUEN_JWT_SECRET (HS256 shared secret, "
                    f"at least {MIN_HMAC_SECRET_BYTES} bytes) or set TSUEN_JWT_ALGORITHM to "
                    "RS256/ES256 with TSUEN_JWT_PUBLIC_KEY_FILE"
                )
            if settings.jwt_secret is not None:
                key = settings.jwt_secret.get_secret_value()
        elif settings.jwt_public_key_file is not None:
            key = read_key_file(settings.jwt_public_key_file, "TSUEN_JWT_PUBLIC_KEY_FILE")
        elif jwks is None:
            raise AuthConfigError(
                f"no JWT verification key: TSUEN_JWT_ALGORITHM is {algorithm}, "
                "so TSUEN_JWT_PUBLIC_KEY_FILE must name a PEM public key file "
                "(or set TSUEN_JWT_JWKS_URL)"
            )
        return cls(
            algorithm=algorithm,
            key=key,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            jwks=jwks,
        )

    def verify(self, token: str) -> Principal:
        """Raises :class:`TokenExpired` or :class:`InvalidToken`; the message is safe to return.

        A token that verified before is answered from a small cache until it expires: the same
        string with the same key verifies the same way (signature, issuer, audience and claims
        do not change; ``iat``/``nbf`` only move into the past). Expiry is checked on every hit.
        """
        hit = self._verified.get(token)
        if hit is not None:
            principal, expires = hit
            if self._clock() > expires + self._leeway.total_seconds():
                self._verified.pop(token, None)
                raise TokenExpired("token has expired")
            # A sync endpoint may verify from a worker thread: never fail on a concurrent
            # eviction, the cache is only a shortcut.
            with contextlib.suppress(KeyError):
                self._verified.move_to_end(token)
            return principal
        principal, expires = self._verify(token)
        self._verified[token] = (principal, expires)
        while len(self._verified) > VERIFIED_CACHE_SIZE:
            try:
                self._verified.popitem(last=False)
            except KeyError:
                break
        return principal

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        """The key and algorithm that may verify ``token``: the configured key for its own
        algorithm, else the JWKS key the token's ``kid`` names (asymmetric algorithms only)."""
        if self._jwks is None:
            return self._key, [self._algorithm]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("token is malformed") from exc
        algorithm = header.get("alg")
        if self._key is not None and algorithm == self._algorithm:
            return self._key, [self._algorithm]
        if algorithm not in JWKS_ALGORITHMS:
            raise InvalidToken("token algorithm is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token has no key id (kid)")
        jwk = self._jwks.key(kid)
        if jwk.algorithm_name != algorithm:
            raise InvalidToken("token algorithm is not accepted")
        return jwk.key, [algorithm]

    def _verify(self, token: str) -> tuple[Principal, float]:
        key, algorithms = self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("token audience is not accepted") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("token issuer is not accepted") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("token signature is invalid") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise InvalidToken("token algorithm is not accepted") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"token is missing claim '{exc.claim}'") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("token is malformed") from exc
        try:
            return Principal.from_claims(claims), float(claims["exp"])
        except ValidationError as exc:
            problems = "; ".join(_describe(error) for error in exc.errors())
            raise InvalidToken(f"token claims are invalid: {problems}") from exc


def _describe(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid"))
    return f"{location}: {message}" if location else message.removeprefix("Value error, ")
