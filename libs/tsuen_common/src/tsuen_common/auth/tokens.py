"""Who is calling, and which tenant they may touch: bearer JWTs and the principal they carry.

A token names one role and the tenant it is bound to:

=====================  ================  ===============  ===============
role                   ``municipality``  ``facility_id``  ``guardian_id``
=====================  ================  ===============  ===============
guardian               required          -                required
facility_staff         required          required         -
municipality_officer   required          -                -
platform_admin         -                 -                -
=====================  ================  ===============  ===============

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
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tsuen_common.settings import ServiceSettings

if TYPE_CHECKING:
    from tsuen_common.auth.jwks import JwksKeys

Algorithm = Literal["HS256", "RS256", "ES256"]

# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
MIN_HMAC_SECRET_BYTES = 32
# Tolerated clock skew between the issuer and this service.
DEFAULT_LEEWAY = timedelta(seconds=10)
DEFAULT_TTL = timedelta(hours=1)

_REQUIRED_CLAIMS = ["sub", "role", "iss", "aud", "exp", "iat"]
# Tokens verified recently, kept so a guardian's next request does not verify the same token
# again (PyJWT's checks are a tenth of a scan's CPU). Bounded; see TokenVerifier.verify.
VERIFIED_CACHE_SIZE = 4096


class Role(StrEnum):
    GUARDIAN = "guardian"  # 保護者
    FACILITY_STAFF = "facility_staff"  # 施設職員
    MUNICIPALITY_OFFICER = "municipality_officer"  # 自治体職員
    PLATFORM_ADMIN = "platform_admin"


class AuthError(Exception):
    """Base class of everything this package raises about callers."""


class InvalidToken(AuthError):
    """The token cannot be trusted: bad signature, wrong issuer/audience, malformed claims."""


class TokenExpired(InvalidToken):
    """The token was valid once; its ``exp`` has passed."""


class Forbidden(AuthError):
    """The caller is authenticated but the tenant or role does not allow the action."""


class AuthConfigError(RuntimeError):
    """The service has no usable key; raised at startup, not per request."""


class Principal(BaseModel):
    """The verified caller. Tenant questions are answered here, without I/O.

    ``can_*`` methods answer yes/no; ``require_*`` methods raise :class:`Forbidden`.
    They check the tenant boundary only: an endpoint for officers still needs
    ``require_roles`` (see :mod:`tsuen_common.auth.dependencies`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str = Field(min_length=1)
    role: Role
    municipality: str | None = Field(default=None, pattern=r"^\d{6}$")
    facility_id: str | None = Field(default=None, min_length=1)
    guardian_id: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _tenant_claims_match_role(self) -> Self:
        if self.role is not Role.PLATFORM_ADMIN and self.municipality is None:
            raise ValueError(f"claim 'municipality' is required for role '{self.role}'")
        if self.role is Role.FACILITY_STAFF and self.facility_id is None:
            raise ValueError(f"claim 'facility_id' is required for role '{self.role}'")
        if self.role is Role.GUARDIAN and self.guardian_id is None:
            raise ValueError(f"claim 'guardian_id' is required for role '{self.role}'")
        return self

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        return cls(
            subject=claims.get("sub"),
            role=claims.get("role"),
            municipality=claims.get("municipality"),
            facility_id=claims.get("facility_id"),
            guardian_id=claims.get("guardian_id"),
        )

    def to_claims(self) -> dict[str, str]:
        """The tenant claims of this principal, as a token carries them (no iss/aud/exp/iat)."""
        claims = {"sub": self.subject, "role": str(self.role)}
        for name in ("municipality", "facility_id", "guardian_id"):
            value = getattr(self, name)
            if value is not None:
                claims[name] = value
        return claims

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.PLATFORM_ADMIN

    def can_access_municipality(self, municipality: str) -> bool:
        """Whether the caller belongs to this municipality's tenant (admins belong to all)."""
        return self.is_platform_admin or self.municipality == municipality

    def can_access_facility(self, municipality: str, facility_id: str) -> bool:
        """Officers see every facility of their municipality; staff only their own facility."""
        match self.role:
            case Role.PLATFORM_ADMIN:
                return True
            case Role.MUNICIPALITY_OFFICER:
                return self.municipality == municipality
            case Role.FACILITY_STAFF:
                return self.municipality == municipality and self.facility_id == facility_id
            case Role.GUARDIAN:
                return False

    def can_access_guardian(self, municipality: str, guardian_id: str) -> bool:
        """Officers see every guardian of their municipality; a guardian only themselves.

        Staff get no blanket access to guardians: an endpoint that shows staff a guardian's
        booking checks the booking's facility with :meth:`can_access_facility` instead.
        """
        match self.role:
            case Role.PLATFORM_ADMIN:
                return True
            case Role.MUNICIPALITY_OFFICER:
                return self.municipality == municipality
            case Role.GUARDIAN:
                return self.municipality == municipality and self.guardian_id == guardian_id
            case Role.FACILITY_STAFF:
                return False

    def require_municipality(self, municipality: str) -> None:
        if not self.can_access_municipality(municipality):
            raise Forbidden(f"{self.role} may not access municipality {municipality}")

    def require_facility(self, municipality: str, facility_id: str) -> None:
        if not self.can_access_facility(municipality, facility_id):
            raise Forbidden(
                f"{self.role} may not access facility {facility_id} of municipality {municipality}"
            )

    def require_guardian(self, municipality: str, guardian_id: str) -> None:
        if not self.can_access_guardian(municipality, guardian_id):
            raise Forbidden(
                f"{self.role} may not access guardian {guardian_id} of municipality {municipality}"
            )


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
            _check_hmac_secret(key)
        elif isinstance(key, str | bytes):
            key = _load_public_key(algorithm, key if isinstance(key, bytes) else key.encode())
        else:
            _check_key_type(algorithm, key)
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
        from tsuen_common.auth.jwks import JwksKeys  # it imports this module

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
            key = _read_key_file(settings.jwt_public_key_file, "TSUEN_JWT_PUBLIC_KEY_FILE")
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
        from tsuen_common.auth.jwks import JWKS_ALGORITHMS

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
            _check_hmac_secret(key)
        elif isinstance(key, str | bytes):
            key = _load_private_key(algorithm, key if isinstance(key, bytes) else key.encode())
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
        return cls(algorithm=algorithm, key=_read_key_file(path, "private key file"), **kwargs)

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


def _describe(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid"))
    return f"{location}: {message}" if location else message.removeprefix("Value error, ")


def _check_hmac_secret(secret: str | bytes) -> None:
    size = len(secret.encode() if isinstance(secret, str) else secret)
    if size < MIN_HMAC_SECRET_BYTES:
        raise AuthConfigError(
            f"the HS256 secret is {size} bytes; it must be at least {MIN_HMAC_SECRET_BYTES} "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AuthConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc


def _load_public_key(
    algorithm: Algorithm, pem: bytes
) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise AuthConfigError(f"the {algorithm} public key is not a PEM public key") from exc
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise AuthConfigError(f"the {algorithm} public key has the wrong type")
    _check_key_type(algorithm, key)
    return key


def _load_private_key(
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
    _check_key_type(algorithm, key.public_key())
    return key


def _check_key_type(
    algorithm: Algorithm, key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
) -> None:
    if algorithm == "RS256" and not isinstance(key, rsa.RSAPublicKey):
        raise AuthConfigError("RS256 needs an RSA key")
    if algorithm == "ES256" and not (
        isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
    ):
        raise AuthConfigError("ES256 needs an EC key on curve P-256")
