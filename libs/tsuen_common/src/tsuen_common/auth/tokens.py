"""Bearer JWTs and the principal they carry: the names this module always exported.

The code lives by responsibility — :mod:`~tsuen_common.auth.principal` (roles and the tenant
checks), :mod:`~tsuen_common.auth.errors`, :mod:`~tsuen_common.auth.keys` (algorithms and PEM
loading), :mod:`~tsuen_common.auth.verifier` and :mod:`~tsuen_common.auth.issuer`. This module
re-exports them so ``tsuen_common.auth.tokens.X`` keeps working for existing importers.
"""

from __future__ import annotations

from tsuen_common.auth.errors import (
    AuthConfigError,
    AuthError,
    Forbidden,
    InvalidToken,
    TokenExpired,
)
from tsuen_common.auth.issuer import DEFAULT_TTL, TokenIssuer
from tsuen_common.auth.keys import MIN_HMAC_SECRET_BYTES, Algorithm
from tsuen_common.auth.principal import Principal, Role
from tsuen_common.auth.verifier import DEFAULT_LEEWAY, VERIFIED_CACHE_SIZE, TokenVerifier

__all__ = [
    "DEFAULT_LEEWAY",
    "DEFAULT_TTL",
    "MIN_HMAC_SECRET_BYTES",
    "VERIFIED_CACHE_SIZE",
    "Algorithm",
    "AuthConfigError",
    "AuthError",
    "Forbidden",
    "InvalidToken",
    "Principal",
    "Role",
    "TokenExpired",
    "TokenIssuer",
    "TokenVerifier",
]
