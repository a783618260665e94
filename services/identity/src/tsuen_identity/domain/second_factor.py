"""The officers' second factor: a TOTP code (RFC 6238, 30 s, 6 digits) from an authenticator
app, after the password. Pure rules; the secret is stored sealed (tsuen_common.sealed).

- Which roles need it is configuration (``TSUEN_SECOND_FACTOR_ROLES``, officers by default):
  an officer's account opens every family's application in the municipality.
- A code is good for its 30-second step and one step either side (phones' clocks drift), and
  only once: a step used before is refused, so a code read over a shoulder cannot be replayed.
- Enrolment: until a code has confirmed it, each password login shows a new secret (QR code);
  the first right code confirms it and opens the session.
- The clock is the real one (not a test clock): the authenticator app knows no other.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp

from tsuen_identity.domain.errors import IdentityError

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "tsuen こども誰でも通園"
CHALLENGE_TTL = timedelta(minutes=5)
MAX_CODE_ATTEMPTS = 5  # per challenge: then the password must be given again


class SecondFactorFailed(IdentityError):
    status = 401
    code = "second_factor_failed"
    message_ja = (
        "確認コードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。"
    )


class ChallengeExpired(IdentityError):
    status = 410
    code = "second_factor_expired"
    message_ja = (
        "確認の有効期限が切れました。もう一度メールアドレスとパスワードでログインしてください。"
    )


def needs_second_factor(role: str, roles: frozenset[str]) -> bool:
    return role in roles


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def current_step(now_seconds: float | None = None) -> int:
    return int(time.time() if now_seconds is None else now_seconds) // STEP_SECONDS


@dataclass(frozen=True)
class Accepted:
    step: int


def accept_code(
    secret: str, code: str, *, last_step: int | None, now_seconds: float | None = None
) -> Accepted | None:
    """The step the code belongs to (current ± 1), if it is right and not used before."""
    typed = "".join(code.split())
    if len(typed) != DIGITS or not typed.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    step = current_step(now_seconds)
    for candidate in (step - 1, step, step + 1):
        if last_step is not None and candidate <= last_step:
            continue  # used already, or older than a code used already
        if hmac.compare_digest(totp.at(candidate * STEP_SECONDS), typed):
            return Accepted(candidate)
    return None
