"""The municipality's rules as its officers read them (規則の確認): eligibility's policy, in
the order a ward officer thinks of them. Pure: a policy document in, labelled lines out; the
page words each kind of value (hours, minutes, yes/no, dates) in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from tsuen_portal.i18n import N_

Kind = Literal["hours", "minutes", "yes_no", "date", "text", "deadline", "hour_of_day", "days"]


@dataclass(frozen=True)
class Rule:
    label: str  # message id
    kind: Kind
    value: Any  # minutes, a bool, a date or None, text, or the deadline's parts


@dataclass(frozen=True)
class Section:
    title: str  # message id
    rules: list[Rule]


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def sections(policy: dict[str, Any]) -> list[Section]:
    quota, cancel = policy["quota"], policy["cancellation"]
    attend, elig = policy["attendance"], policy["eligibility"]
    lottery, notice = policy["lottery"], policy["notification"]
    return [
        Section(
            N_("Hours"),
            [
                Rule(N_("Monthly hours per child"), "hours", quota["monthly_cap_minutes"]),
                Rule(N_("Extra hours the municipality adds"), "hours", quota["topup_minutes"]),
                Rule(N_("Booking unit"), "minutes", quota["unit_minutes"]),
                Rule(N_("Shortest booking"), "minutes", quota["minimum_minutes"]),
            ],
        ),
        Section(
            N_("Cancellation"),
            [
                Rule(N_("Free cancellation until"), "deadline", cancel),
                Rule(
                    N_("The guardian also phones the facility"),
                    "yes_no",
                    cancel["also_phone_facility"],
                ),
            ],
        ),
        Section(
            N_("Arrival and pickup"),
            [
                Rule(
                    N_("Check-in allowed before the booking"),
                    "minutes",
                    attend["early_checkin_minutes"],
                ),
                Rule(N_("Late pickup: grace"), "minutes", attend["late_pickup_grace_minutes"]),
                Rule(
                    N_("Late pickup: time counted"),
                    "minutes",
                    attend["late_pickup_penalty_minutes"],
                ),
                Rule(
                    N_("Fee for hours over the monthly cap"),
                    "yes_no",
                    attend["overcap_fee_applies"],
                ),
            ],
        ),
        Section(
            N_("Applications and certification"),
            [
                Rule(N_("Applications open on"), "date", _day(elig["applications_open_on"])),
                Rule(N_("Applications close on"), "date", _day(elig["applications_close_on"])),
                Rule(
                    N_("Application link valid for"),
                    "hours",
                    int(elig["application_link_validity_hours"]) * 60,
                ),
                Rule(
                    N_("Use of facilities in other municipalities (広域利用)"),
                    "yes_no",
                    elig["cross_municipality_use_allowed"],
                ),
                Rule(
                    N_("Prior consultation before medical care"),
                    "yes_no",
                    elig["medical_care_consultation_required"],
                ),
            ],
        ),
        Section(
            N_("Lottery"),
            [Rule(N_("Places drawn by lot"), "yes_no", lottery["enabled"])]
            # The waiting list and the days to accept belong to a lottery: none, no lines.
            + (
                [
                    Rule(N_("Waiting list"), "yes_no", lottery["waitlist_enabled"]),
                    Rule(N_("Days to accept a place"), "days", lottery["acceptance_deadline_days"]),
                ]
                if lottery["enabled"]
                else []
            ),
        ),
        Section(
            N_("Mails"),
            [
                Rule(N_("Sender name"), "text", notice["sender_name"]),
                Rule(N_("Reminder sent the day before at"), "hour_of_day", notice["reminder_hour"]),
            ],
        ),
    ]
