"""Delivery rules: which notice is which, what an SMTP failure means, when to try again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from enum import StrEnum

# Fixed forever: changing it would change every Message-ID and break resend-after-crash identity.
NOTICE_NAMESPACE = uuid.UUID("6f1d3c2e-5b0a-4e7f-9a51-2c8d0e4b7a93")


def notice_id(event_id: uuid.UUID, recipient: str, template: str) -> uuid.UUID:
    """One id per (event, recipient, template), the same however often it is computed.

    It makes the Message-ID, so a mail sent again after a crash carries the same Message-ID and
    the recipient's mail client can recognise the duplicate. Addresses compare case-insensitively
    (in practice, domain and local part alike), so ``Taro@Example.jp`` is the same recipient.
    """
    return uuid.uuid5(NOTICE_NAMESPACE, f"{event_id}|{recipient.strip().lower()}|{template}")


class FailureKind(StrEnum):
    TEMPORARY = "temporary"  # try again later (4xx, no connection, timeout)
    PERMANENT = "permanent"  # will never succeed as is (5xx): record and show to an operator


def classify_smtp_failure(code: int | None) -> FailureKind:
    """RFC 5321 §4.2.1: 4yz is a transient negative reply, 5yz a permanent one.

    ``None`` is a failure without a reply (refused connection, timeout, dropped line): the server
    never judged the mail, so it is worth trying again.
    """
    if code is not None and 500 <= code <= 599:
        return FailureKind.PERMANENT
    return FailureKind.TEMPORARY


def retry_delay_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Exponential backoff after ``attempts`` failed tries: base, 2·base, 4·base … up to cap.

    Doubling keeps a long outage from hammering the server the moment it comes back, and the cap
    keeps the wait after a long outage bounded.
    """
    if attempts < 1:
        raise ValueError("the delay follows at least one failed attempt")
    return float(min(cap, base * 2 ** (attempts - 1)))


def gives_up(attempts: int, *, max_attempts: int) -> bool:
    """After this many temporary failures the mail counts as failed and an operator decides."""
    return attempts >= max_attempts


def dead_predecessor(
    holder: str, *, host: str, pid: int, me: str, alive: Callable[[int], bool]
) -> bool:
    """Whether ``holder`` (a sender name) is an earlier sender on this host that is surely
    dead: the same process id as ours (a restarted container), or one that is not alive."""
    if holder == me or not holder.startswith(f"{host}-"):
        return False
    pid_text, _, suffix = holder[len(host) + 1 :].partition("-")
    if not pid_text.isdigit() or not suffix or "-" in suffix:
        return False  # another host whose name starts like ours ("web" and "web-1")
    return int(pid_text) == pid or not alive(int(pid_text))
