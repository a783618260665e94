"""Notice identity, what an SMTP reply means, and the retry schedule."""

from __future__ import annotations

import uuid

import pytest

from tsuen_notification.domain.delivery import (
    FailureKind,
    classify_smtp_failure,
    dead_predecessor,
    gives_up,
    notice_id,
    retry_delay_seconds,
)

EVENT = uuid.UUID("0b6d7f0e-2c43-4a7b-9b1f-4d6c1f2e3a44")


def test_notice_id_is_deterministic() -> None:
    assert notice_id(EVENT, "taro@example.jp", "booking_confirmed") == notice_id(
        EVENT, "taro@example.jp", "booking_confirmed"
    )


def test_notice_id_ignores_address_case_and_spaces() -> None:
    assert notice_id(EVENT, " Taro@Example.JP", "x") == notice_id(EVENT, "taro@example.jp", "x")


def test_notice_id_differs_by_event_recipient_and_template() -> None:
    base = notice_id(EVENT, "taro@example.jp", "a")
    assert notice_id(uuid.uuid4(), "taro@example.jp", "a") != base
    assert notice_id(EVENT, "hanako@example.jp", "a") != base
    assert notice_id(EVENT, "taro@example.jp", "b") != base


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (None, FailureKind.TEMPORARY),
        (421, FailureKind.TEMPORARY),
        (450, FailureKind.TEMPORARY),
        (452, FailureKind.TEMPORARY),
        (550, FailureKind.PERMANENT),
        (552, FailureKind.PERMANENT),
        (554, FailureKind.PERMANENT),
    ],
)
def test_smtp_replies(code: int | None, kind: FailureKind) -> None:
    assert classify_smtp_failure(code) is kind


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [retry_delay_seconds(n, base=30, cap=3600) for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_no_delay_before_a_failure() -> None:
    with pytest.raises(ValueError, match="at least one"):
        retry_delay_seconds(0, base=30, cap=3600)


def test_gives_up_after_max_attempts() -> None:
    assert not gives_up(19, max_attempts=20)
    assert gives_up(20, max_attempts=20)


def test_a_restarted_sender_knows_its_dead_predecessors_on_this_host() -> None:
    def dead(holder: str, alive: bool = True) -> bool:
        return dead_predecessor(
            holder, host="web-1", pid=7, me="web-1-7-aaaaaa", alive=lambda _pid: alive
        )

    assert dead("web-1-7-bbbbbb")  # our process id: the container restarted
    assert dead("web-1-42-cccccc", alive=False)  # a process that is gone
    assert not dead("web-1-42-cccccc", alive=True)  # another sender alive on this host
    assert not dead("web-1-7-aaaaaa")  # ourselves
    assert not dead("web-2-7-bbbbbb")  # another host
    assert not dead("web-1-1-7-bbbbbb", alive=False)  # host "web-1-1", not us
    assert not dead("doomed")
