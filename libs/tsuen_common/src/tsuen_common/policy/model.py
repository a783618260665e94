"""Municipality policy: the rules of こども誰でも通園制度 that differ between municipalities.

The national scheme fixes the frame (0歳6か月 to 満3歳未満, 10 hours a month, the national
総合支援システム), but each municipality (市区町村) sets details: which daycare enrolments exclude a
child, how minutes are rounded, when a cancellation is still free, whether a lottery is held. The
two seed documents already differ on most of these (Chiyoda-ku's guide and Kakegawa-shi's page),
so the platform holds them as one validated policy per municipality instead of code branches.

Every model is frozen and rejects unknown fields, so a typo in a YAML file is an error at start-up
rather than a silently ignored rule. The rule functions here are pure: the caller passes the
calendar, the clock reading and the durations.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tsuen_common.calendar import BusinessCalendar
from tsuen_common.timeutil import at_jst

__all__ = [
    "PREFECTURES",
    "ApplicationPhase",
    "AttendancePolicy",
    "CancellationKind",
    "CancellationRule",
    "EligibilityPolicy",
    "EnrollmentType",
    "KeyDate",
    "LotteryPolicy",
    "MunicipalityPolicy",
    "QuotaPolicy",
]

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip
"""The 47 prefectures in JIS X 0401 order: index + 1 is the first two digits of a local code."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QuotaPolicy(_Frozen):
    """The monthly allowance (利用可能枠) and how used time is rounded into it."""

    monthly_cap_minutes: int = Field(default=600, gt=0)
    """Per child per calendar month (1日〜末日), no carry-over: 10 hours nationally (3 hours was
    allowed in the transition)."""

    topup_minutes: int = Field(default=0, ge=0)
    """The municipality's own hours on top of the national cap (e.g. Setagaya's +38 h = 2280).
    They are valid **only at facilities inside this municipality**, so they must be kept as a
    separate balance, never added to ``monthly_cap_minutes`` for use elsewhere (広域利用)."""

    unit_minutes: int = Field(default=60, gt=0)
    """Rounding step: every started unit counts in full. Kakegawa: 60 ("利用は1時間単位",
    "1時間未満の利用は、1時間としてカウント"); municipalities with 30-minute steps: 30."""

    minimum_minutes: int = Field(default=60, gt=0)
    """The least any use counts as (1 hour where 30-minute steps follow)."""

    def chargeable_minutes(self, actual_minutes: int) -> int:
        """Minutes taken from the allowance for ``actual_minutes`` of use.

        Rounded up to a whole ``unit_minutes``, and at least ``minimum_minutes``. Zero stays zero
        (nothing was used). Kakegawa (60/60): 1 → 60, 61 → 120. 30-minute steps (30/60):
        1 → 60, 61 → 90, 90 → 90, 91 → 120.
        """
        if actual_minutes < 0:
            raise ValueError(f"minutes of use cannot be negative: {actual_minutes}")
        if actual_minutes == 0:
            return 0
        rounded = math.ceil(actual_minutes / self.unit_minutes) * self.unit_minutes
        return max(self.minimum_minutes, rounded)


class CancellationKind(StrEnum):
    """How the municipality words its free-cancellation deadline.

    With the facility's :class:`~tsuen_common.calendar.BusinessCalendar` both count back over
    open days the same way; the kind keeps the municipality's own wording recognisable in the
    policy file and fixes what ``days`` may be.
    """

    PREVIOUS_OPEN_DAY_AT = "previous_open_day_at"
    """Chiyoda: "予約日の前日17時まで", where 前日 is "利用日直前の開所日" (土日祝 skipped).
    Always exactly one open day before."""

    BUSINESS_DAYS_BEFORE_AT = "business_days_before_at"
    """Kakegawa: "利用日の1営業日前の正午まで" — ``days`` business days before, at ``time``."""


class CancellationRule(_Frozen):
    """Until when a booking may be cancelled without its hours being consumed."""

    kind: CancellationKind
    time: dt.time
    """Local time (Asia/Tokyo) on the deadline day. Write it quoted in YAML, "17:00"."""
    days: int = Field(default=1, ge=1)
    """How many open days before the use date the deadline day lies."""
    also_phone_facility: bool = False
    """Kakegawa: cancel in the system *and* phone the facility. The system cannot check the
    call; the 予約完了 mail and the cancellation pages say so, with the facility's number."""

    @field_validator("time", mode="before")
    @classmethod
    def _time_as_text(cls, value: object) -> object:
        # Unquoted 17:00 is the integer 1020 in YAML 1.1 (base-60), which pydantic would happily
        # read as 00:17:00. Only text or a real time is accepted.
        if isinstance(value, dt.time):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", value):
            raise ValueError('write the time as quoted text "HH:MM", e.g. "17:00"')
        return value

    @field_validator("time")
    @classmethod
    def _naive_time(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("the time is always Japan time; leave out the offset")
        return value

    @model_validator(mode="after")
    def _previous_open_day_is_one_day(self) -> CancellationRule:
        if self.kind is CancellationKind.PREVIOUS_OPEN_DAY_AT and self.days != 1:
            raise ValueError(
                "previous_open_day_at is always 1 day before; use business_days_before_at"
            )
        return self

    def deadline(self, use_date: date, calendar: BusinessCalendar) -> datetime:
        """The last instant (Asia/Tokyo) at which cancelling ``use_date`` is still free.

        ``calendar`` is the facility's calendar: Chiyoda defines 前日 by the facility's 開所日.
        """
        day = calendar.business_days_before(use_date, self.days)
        return at_jst(day, self.time)

    def is_timely(self, cancelled_at: datetime, use_date: date, calendar: BusinessCalendar) -> bool:
        """Whether a cancellation at ``cancelled_at`` keeps the hours (no 利用時間の消費).

        The deadline instant itself is timely: "前日17時までに" includes 17:00:00. Chiyoda's slide
        also says "前日17時以降 … 消費されます", and 以降 would include 17:00 too; we resolve that
        overlap in the parent's favour, by the rule as first stated. One microsecond later is late.
        """
        if cancelled_at.tzinfo is None or cancelled_at.utcoffset() is None:
            raise ValueError("cancelled_at must be timezone-aware")
        return cancelled_at <= self.deadline(use_date, calendar)


class AttendancePolicy(_Frozen):
    """On-the-day rules: late pickup, early check-in, over-cap charges."""

    late_pickup_grace_minutes: int = Field(default=10, ge=0)
    """Chiyoda: "お迎えが予約時間を10分以上過ぎた場合" — 10 minutes **or more** after the booked end
    is late; 9 minutes 59 seconds is not."""

    late_pickup_penalty_minutes: int = Field(default=60, ge=0)
    """What a late pickup consumes: "1時間の利用を行ったものとみなし". 0 means no charge."""

    early_checkin_minutes: int = Field(default=15, ge=0)
    """How long before the booked start a check-in (利用開始登録) is accepted."""

    overcap_fee_applies: bool = True
    """Whether time beyond the monthly cap is charged by the facility per hour at its own rate
    ("1時間ごとに追加料金…各施設が定める金額")."""

    def is_late_pickup(self, booked_end: datetime, checked_out_at: datetime) -> bool:
        return checked_out_at - booked_end >= timedelta(minutes=self.late_pickup_grace_minutes)

    def late_pickup_charge_minutes(self, booked_end: datetime, checked_out_at: datetime) -> int:
        """Extra minutes consumed from the allowance for this pickup (0 if on time)."""
        if self.is_late_pickup(booked_end, checked_out_at):
            return self.late_pickup_penalty_minutes
        return 0


class EnrollmentType(StrEnum):
    """Kinds of daycare a child may already attend; the policy says which ones exclude it."""

    LICENSED_NURSERY = "licensed_nursery"
    """認可保育所"""
    CERTIFIED_CENTER = "certified_center"
    """認定こども園"""
    COMMUNITY_SMALL = "community_small"
    """地域型保育事業: 小規模保育事業"""
    COMMUNITY_WORKPLACE = "community_workplace"
    """地域型保育事業: 事業所内保育事業"""
    EMPLOYER_LED = "employer_led"
    """企業主導型保育事業所"""
    TOKYO_CERTIFIED = "tokyo_certified"
    """認証保育所 (Tokyo's own certification)"""
    UNLICENSED = "unlicensed"
    """認可外保育施設 (other than 企業主導型 and 認証)"""


class KeyDate(_Frozen):
    """A date the municipality publishes (認定証の交付, 面談の予約開始…), for the public page.

    The field is ``day``: YAML reads a bare ``on`` key as the boolean true."""

    day: dt.date
    label_ja: str = Field(min_length=1, max_length=100)
    label_en: str = Field(min_length=1, max_length=100)


class ApplicationPhase(StrEnum):
    UPCOMING = "upcoming"  # 受付開始前
    OPEN = "open"  # 受付中
    CLOSED = "closed"  # 受付終了


class EligibilityPolicy(_Frozen):
    """Who may be certified (認定), beyond the age rule in :mod:`tsuen_common.age`."""

    applications_open_on: dt.date | None = None
    """First day links are issued and applications taken (Kakegawa: 令和8年2月16日); None: open."""
    applications_close_on: dt.date | None = None
    """Last day applications are taken; None: no end."""
    key_dates: tuple[KeyDate, ...] = ()
    """What the municipality publishes besides (Kakegawa: 認定証 and the facility list on 3/2,
    interviews from 3/26), shown on the public list of municipalities."""
    decided_facility_only_through: dt.date | None = None
    """Chiyoda FY2025 (令和7年度): up to this use date a child books only at the facility decided
    at application ("利用できる施設は申し込み後、決定した1施設のみ")."""
    medical_care_consultation_required: bool = False
    """Chiyoda: "医療的ケアが必要な場合は事前相談が必要です" (04 注意事項). When set, a facility
    accepts a child who needs 医療的ケア only after recording that prior consultation, so no
    such child is booked without it."""

    def application_phase(self, today: dt.date) -> ApplicationPhase:
        if self.applications_open_on is not None and today < self.applications_open_on:
            return ApplicationPhase.UPCOMING
        if self.applications_close_on is not None and today > self.applications_close_on:
            return ApplicationPhase.CLOSED
        return ApplicationPhase.OPEN

    excluded_enrollment_types: frozenset[EnrollmentType]
    """A child enrolled in any of these is not eligible; enrolling later ends the certification."""

    application_link_validity_hours: int = Field(default=24, gt=0)
    """How long the "利用申請URLのお知らせ" link works ("受信から1日間有効")."""

    cross_municipality_use_allowed: bool = False
    """広域利用: whether children certified here may use facilities in other municipalities."""

    def excludes(self, enrollment: EnrollmentType) -> bool:
        return enrollment in self.excluded_enrollment_types


class LotteryPolicy(_Frozen):
    """The draw held when applicants outnumber places (Chiyoda: "申込多数の場合は抽選")."""

    enabled: bool = False
    priority_tiers: tuple[str, ...] = ()
    """Tier names drawn first, in order (e.g. "needs_support"); everyone else is drawn after."""
    siblings_drawn_together: bool = False
    """Whether siblings win or lose as one entry rather than one draw per child."""
    waitlist_enabled: bool = True
    """Whether losers become 補欠 (waitlisted) and are promoted when a place frees."""
    acceptance_deadline_days: int = Field(default=7, ge=1)
    """Days a winner (or promoted 補欠) has to take up the place before it passes on."""
    mail_not_selected: bool = False
    """Whether applicants neither drawn nor waitlisted get a 落選 mail (抽選結果のお知らせ).
    Off by default: Chiyoda announces results on its homepage and mails winners only."""

    @field_validator("priority_tiers")
    @classmethod
    def _unique_tiers(cls, tiers: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({t for t in tiers if tiers.count(t) > 1})
        if repeated:
            raise ValueError(f"priority tiers repeated: {repeated}")
        return tiers


class NotificationPolicy(_Frozen):
    """Who the municipality's e-mails come from (the From: header of every notice)."""

    sender_name: str = Field(min_length=1)
    sender_address: EmailStr
    reply_to: EmailStr | None = None
    reminder_hour: int = Field(default=18, ge=0, le=23)
    """Hour (JST) on the day before use when the reminder ("利用日の前日") is sent."""


def _check_digit(first_five: str) -> int:
    # 全国地方公共団体コード: weights 6..2, 11 minus the remainder mod 11, last digit kept.
    total = sum(
        int(digit) * weight for digit, weight in zip(first_five, (6, 5, 4, 3, 2), strict=True)
    )
    return (11 - total % 11) % 10


class BookingPolicy(_Frozen):
    """Booking rules beyond the quota and the cancellation deadline."""

    waitlist_hold_minutes: int = Field(default=60, ge=5, le=1440)
    """空き待ち (issue 17): how long a freed place is held for the first waiting child after the
    offer mail, before it passes to the next. Long enough to read a mail at work, short
    enough that the place is still useful to someone else."""


class MunicipalityPolicy(_Frozen):
    """Everything that is a municipality's choice, for one municipality."""

    code: str
    """全国地方公共団体コード, 6 digits with the check digit: Chiyoda-ku "131016", Kakegawa-shi
    "222135". Quoted in YAML, or a leading zero (北海道 "01…") would be lost."""
    name: str = Field(min_length=1)
    name_kana: str | None = None
    prefecture: str
    quota: QuotaPolicy = QuotaPolicy()
    cancellation: CancellationRule
    booking: BookingPolicy = BookingPolicy()
    attendance: AttendancePolicy = AttendancePolicy()
    eligibility: EligibilityPolicy
    lottery: LotteryPolicy = LotteryPolicy()
    notification: NotificationPolicy

    @field_validator("code", mode="before")
    @classmethod
    def _code_as_text(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError('write the code as quoted text, e.g. "131016"')
        return value

    @field_validator("code")
    @classmethod
    def _valid_local_code(cls, code: str) -> str:
        if not re.fullmatch(r"\d{6}", code):
            raise ValueError(f"a local government code has 6 digits: {code!r}")
        if not 1 <= int(code[:2]) <= len(PREFECTURES):
            raise ValueError(f"no prefecture has the number {code[:2]}")
        expected = _check_digit(code[:5])
        if int(code[5]) != expected:
            raise ValueError(f"check digit of {code} should be {expected}")
        return code

    @field_validator("prefecture")
    @classmethod
    def _prefecture_of_the_code(cls, prefecture: str, info: ValidationInfo) -> str:
        if prefecture not in PREFECTURES:
            raise ValueError(f"not a prefecture: {prefecture!r} (write e.g. 東京都, 静岡県)")
        code = info.data.get("code")  # absent when the code itself was invalid
        if code is not None:
            expected = PREFECTURES[int(code[:2]) - 1]
            if prefecture != expected:
                raise ValueError(f"code {code} is in {expected}, not {prefecture}")
        return prefecture

    def chargeable_minutes(self, actual_minutes: int) -> int:
        """See :meth:`QuotaPolicy.chargeable_minutes`."""
        return self.quota.chargeable_minutes(actual_minutes)

    def cancellation_deadline(self, use_date: date, calendar: BusinessCalendar) -> datetime:
        """See :meth:`CancellationRule.deadline`."""
        return self.cancellation.deadline(use_date, calendar)

    def is_timely_cancellation(
        self, cancelled_at: datetime, use_date: date, calendar: BusinessCalendar
    ) -> bool:
        """See :meth:`CancellationRule.is_timely`."""
        return self.cancellation.is_timely(cancelled_at, use_date, calendar)
