"""What this package raises about callers, and about a service started without a usable key."""

from __future__ import annotations


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
