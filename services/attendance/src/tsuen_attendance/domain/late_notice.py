"""遅れる連絡: the guardian tells the facility they will be late for the arrival or the pickup.

It replaces a phone call (Kakegawa asks guardians to phone when a pickup will be late) and
changes no rule: a late pickup still counts from the booked end (visits.py), a late arrival
still uses the booked hours. The facility sees the notice on the day's roster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tsuen_attendance.domain.times import jst_day
from tsuen_attendance.domain.visits import AttendanceError, Visit

MAX_MINUTES = 180
NOTE_MAX = 200


class LateKind(StrEnum):
    ARRIVAL = "arrival"  # 登園が遅れる
    PICKUP = "pickup"  # お迎えが遅れる


class LateNoticeRefused(AttendanceError):
    code = "late_notice_refused"


@dataclass(frozen=True)
class LateNotice:
    kind: LateKind
    minutes: int
    note: str
    noticed_at: datetime


def check_late_notice(visit: Visit, kind: LateKind, now: datetime) -> None:
    """Raise :class:`LateNoticeRefused` (saying what to do instead) unless the notice can
    still help: today's visit, not cancelled, the arrival not yet made (for an arrival
    notice), the child not yet picked up."""
    if visit.cancelled:
        raise LateNoticeRefused(
            "the booking is cancelled",
            "このご予約はキャンセルされています。遅れる連絡は不要です。",
        )
    if visit.use_date != jst_day(now):
        raise LateNoticeRefused(
            "a late notice is for today's booking",
            "遅れる連絡は利用日の当日にできます。別の日の予定が変わる場合は、予約の変更・キャンセルをしてください。",
        )
    if visit.checked_out_at is not None:
        raise LateNoticeRefused(
            "the child has already been picked up",
            "お子さんはすでに降園しています。",
        )
    if kind is LateKind.ARRIVAL and visit.checked_in_at is not None:
        raise LateNoticeRefused(
            "the child has already arrived",
            "お子さんはすでに登園しています。お迎えが遅れる場合は「お迎えが遅れる」を選んでください。",
        )
    if kind is LateKind.ARRIVAL and now >= visit.ends_at:
        raise LateNoticeRefused(
            "the booked time is over",
            "ご予約の時間は終わっています。施設に直接お電話ください。",
        )
