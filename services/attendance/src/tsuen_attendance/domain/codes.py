"""The facility's rotating 2D code (施設の2次元コード): a short-lived token signed per facility.

A token is ``1.<facility id>.<step>.<mac>``: the format version, the facility's UUID, the time
step it was issued in (``floor(unix time / step_seconds)``) and the first 16 bytes of
HMAC-SHA256 over the rest, base64url. It is printed into the URL the tablet shows, so it must
be short enough for a 2D code a phone reads at arm's length, and it must not be copyable: a
photo of yesterday's code, a code sent from home, or one made up all fail.

- Only the key's holder (the server) can make a token: a wrong MAC is *forged*.
- A token is good in its own step and ``grace_steps`` after it (a parent who scanned just
  before the code changed is not turned away); later, or replayed later, it is *expired*.
- A token names its facility: used for a booking at another facility it is *other facility*.
- After a key rotation the previous key still verifies tokens it signed before the rotation,
  for as long as those tokens are fresh; anything it "signed" afterwards is forged (the reason
  to rotate is usually that the key may have leaked).

Pure: the caller passes the keys and the clock reading.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from tsuen_common import errors

__all__ = [
    "CodeError",
    "CodeExpired",
    "CodeForOtherFacility",
    "CodeForged",
    "CodeMalformed",
    "FacilityKeys",
    "TokenClock",
    "issue_token",
    "parse_token",
    "verify_token",
]

VERSION = "1"
MAC_BYTES = 16  # 128 bits: far beyond guessing within one 30-second step, and a short code.
KEY_BYTES = 32


class CodeError(errors.ServiceError):
    """The scanned code cannot be used. ``code`` is stable for clients; messages are for people."""

    status = 400
    code = "code_invalid"
    message_ja = "この2次元コードは使えません。"


class CodeMalformed(CodeError):
    status = 400
    code = "code_malformed"
    message_ja = (
        "2次元コードを読み取れませんでした。施設の画面のコードをもう一度読み取ってください。"
    )


class CodeForged(CodeError):
    status = 403
    code = "code_forged"
    message_ja = (
        "この2次元コードは施設が表示したものではありません。"
        "施設の画面のコードを読み取ってください。"
    )


class CodeExpired(CodeError):
    status = 410
    code = "code_expired"
    message_ja = (
        "2次元コードの有効期限が切れています。施設の画面のコードをもう一度読み取ってください。"
    )


class CodeForOtherFacility(CodeError):
    status = 409
    code = "code_other_facility"
    message_ja = "この2次元コードは別の施設のものです。ご予約の施設のコードを読み取ってください。"


@dataclass(frozen=True)
class TokenClock:
    """How time is cut into steps. ``grace_steps`` earlier steps are still accepted."""

    step_seconds: int = 30
    grace_steps: int = 1

    def __post_init__(self) -> None:
        if self.step_seconds < 1 or self.grace_steps < 0:
            raise ValueError("step_seconds must be >= 1 and grace_steps >= 0")

    def step_at(self, now: datetime) -> int:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return int(now.timestamp()) // self.step_seconds

    def step_ends_at(self, step: int) -> float:
        """Unix time at which ``step`` is over (the display must show a new code by then)."""
        return float((step + 1) * self.step_seconds)


@dataclass(frozen=True)
class FacilityKeys:
    """A facility's signing keys: the current one, and the one it replaced if any."""

    current: bytes
    previous: bytes | None = None
    # The step in which ``previous`` was retired; it verifies nothing signed after it.
    previous_retired_step: int | None = None


@dataclass(frozen=True)
class ParsedToken:
    facility_id: uuid.UUID
    step: int
    mac: bytes


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(key: bytes, facility_id: uuid.UUID, step: int) -> bytes:
    message = f"tsuen-attendance-code|{VERSION}|{facility_id}|{step}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]


def issue_token(key: bytes, facility_id: uuid.UUID, step: int) -> str:
    return f"{VERSION}.{facility_id}.{step}.{_b64(_mac(key, facility_id, step))}"


def parse_token(token: str) -> ParsedToken:
    """Split a token without trusting it; :class:`CodeMalformed` if it is not one of ours."""
    parts = token.strip().split(".") if token else []
    if len(parts) != 4 or parts[0] != VERSION:
        raise CodeMalformed("the code is not a tsuen attendance code (wrong format or version)")
    _, facility_text, step_text, mac_text = parts
    try:
        facility_id = uuid.UUID(facility_text)
    except ValueError:
        raise CodeMalformed("the code does not name a facility") from None
    if not step_text.isascii() or not step_text.isdigit() or len(step_text) > 12:
        raise CodeMalformed("the code's time step is not a number")
    try:
        mac = base64.urlsafe_b64decode(mac_text + "=" * (-len(mac_text) % 4))
    except (binascii.Error, ValueError):
        raise CodeMalformed("the code's signature is not base64url") from None
    if len(mac) != MAC_BYTES:
        raise CodeMalformed("the code's signature has the wrong length")
    return ParsedToken(facility_id=facility_id, step=int(step_text), mac=mac)


def verify_token(
    token: str | ParsedToken,
    keys: FacilityKeys | None,
    *,
    now: datetime,
    clock: TokenClock,
    expected_facility: uuid.UUID | None = None,
) -> uuid.UUID:
    """The facility id of a valid token, or a :class:`CodeError` saying why it is not valid.

    Order matters: the signature is checked before anything the token claims is believed, so
    a made-up token is always "forged", never "expired" or "other facility".
    ``keys`` is None when the named facility has no key (it never showed a code): forged.
    """
    parsed = token if isinstance(token, ParsedToken) else parse_token(token)
    if keys is None:
        raise CodeForged("no code was ever issued for this facility")
    signed_with_current = hmac.compare_digest(
        parsed.mac, _mac(keys.current, parsed.facility_id, parsed.step)
    )
    signed_with_previous = (
        not signed_with_current
        and keys.previous is not None
        and keys.previous_retired_step is not None
        and parsed.step <= keys.previous_retired_step
        and hmac.compare_digest(parsed.mac, _mac(keys.previous, parsed.facility_id, parsed.step))
    )
    if not (signed_with_current or signed_with_previous):
        raise CodeForged("the code's signature does not match this facility's key")
    current_step = clock.step_at(now)
    # One step ahead is tolerated: replicas' clocks may differ by a little around a boundary.
    if parsed.step > current_step + 1:
        raise CodeForged("the code claims a time that has not come yet")
    if parsed.step < current_step - clock.grace_steps:
        raise CodeExpired("the code has expired; scan the code on the facility's screen again")
    if expected_facility is not None and parsed.facility_id != expected_facility:
        raise CodeForOtherFacility("the code belongs to another facility than the booking")
    return parsed.facility_id
