"""Synchronizer tokens against cross-site request forgery.

Every session (also the anonymous one a visitor gets before logging in) has a random secret;
each form carries a token derived from it in a hidden field, and a POST whose token does not
match is refused. The token is masked with a fresh random pad on every page, so the bytes on a
page differ each time (no BREACH-style guessing from compressed responses) while the secret
stays the same for the whole session.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets

SECRET_BYTES = 32
FIELD = "csrf_token"


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def _raw(secret: str) -> bytes:
    return base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))


def mask(secret: str) -> str:
    """A token for one form: pad ‖ (pad XOR secret), URL-safe base64."""
    raw = _raw(secret)
    pad = secrets.token_bytes(len(raw))
    masked = bytes(a ^ b for a, b in zip(pad, raw, strict=True))
    return base64.urlsafe_b64encode(pad + masked).decode().rstrip("=")


def is_valid(secret: str | None, token: str | None) -> bool:
    """Whether ``token`` (from a form) was made from ``secret`` (the session's)."""
    if not secret or not token or len(token) > 200:
        return False
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        raw = _raw(secret)
    except (binascii.Error, ValueError):
        return False
    if len(data) != 2 * len(raw):
        return False
    pad, masked = data[: len(raw)], data[len(raw) :]
    unmasked = bytes(a ^ b for a, b in zip(pad, masked, strict=True))
    return hmac.compare_digest(unmasked, raw)
