"""Municipality policies: the packaged presets, validation errors, and the rules they carry."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from tsuen_common.calendar import BusinessCalendar
from tsuen_common.policy import (
    AttendancePolicy,
    CancellationKind,
    CancellationRule,
    EnrollmentType,
    MunicipalityPolicy,
    PolicyError,
    PolicyRegistry,
    QuotaPolicy,
    UnknownMunicipality,
    load_policies,
)
from tsuen_common.timeutil import JST

CHIYODA, KAKEGAWA = "131016", "222135"
CALENDAR = BusinessCalendar()
PRESETS = load_policies()

VALID_YAML = """\
code: "222135"
name: 掛川市
prefecture: 静岡県
cancellation:
  kind: business_days_before_at
  time: "12:00"
eligibility:
  excluded_enrollment_types: [licensed_nursery]
notification:
  sender_name: "掛川市役所"
  sender_address: noreply@kakegawa.example.jp
"""


def at(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=JST)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- presets -----------------------------------------------------------------------------------


def test_both_presets_load() -> None:
    assert PRESETS.codes == {CHIYODA, KAKEGAWA}
    assert len(PRESETS) == 2
    assert {policy.name for policy in PRESETS} == {"千代田区", "掛川市"}


def test_chiyoda_preset() -> None:
    chiyoda = PRESETS.get(CHIYODA)
    assert chiyoda.prefecture == "東京都"
    assert chiyoda.quota.monthly_cap_minutes == 600
    assert chiyoda.cancellation.kind is CancellationKind.PREVIOUS_OPEN_DAY_AT
    assert chiyoda.cancellation.time == time(17, 0)
    assert chiyoda.attendance.late_pickup_grace_minutes == 10
    assert chiyoda.attendance.late_pickup_penalty_minutes == 60
    assert chiyoda.eligibility.excluded_enrollment_types == {
        EnrollmentType.LICENSED_NURSERY,
        EnrollmentType.CERTIFIED_CENTER,
        EnrollmentType.COMMUNITY_SMALL,
        EnrollmentType.COMMUNITY_WORKPLACE,
        EnrollmentType.EMPLOYER_LED,
        EnrollmentType.TOKYO_CERTIFIED,
    }
    assert not chiyoda.eligibility.cross_municipality_use_allowed  # 令和7年度は区内のみ
    assert chiyoda.lottery.enabled
    assert chiyoda.lottery.waitlist_enabled


def test_kakegawa_preset() -> None:
    kakegawa = PRESETS.get(KAKEGAWA)
    assert kakegawa.prefecture == "静岡県"
    assert kakegawa.quota.unit_minutes == 60
    assert kakegawa.cancellation.kind is CancellationKind.BUSINESS_DAYS_BEFORE_AT
    assert kakegawa.cancellation.time == time(12, 0)
    assert kakegawa.cancellation.days == 1
    assert kakegawa.eligibility.excludes(EnrollmentType.EMPLOYER_LED)
    assert not kakegawa.eligibility.excludes(EnrollmentType.UNLICENSED)  # 認可外 is allowed
    assert kakegawa.eligibility.application_link_validity_hours == 24
    assert kakegawa.eligibility.cross_municipality_use_allowed
    assert not kakegawa.lottery.enabled


def test_unknown_municipality() -> None:
    with pytest.raises(UnknownMunicipality, match="999999"):
        PRESETS.get("999999")
    assert "999999" not in PRESETS
    assert CHIYODA in PRESETS


def test_policies_are_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        PRESETS.get(CHIYODA).quota.monthly_cap_minutes = 1200  # type: ignore[misc]


# --- loading from a directory and the errors it reports ---------------------------------------


def test_load_from_directory(tmp_path: Path) -> None:
    write(tmp_path, "222135-kakegawa.yaml", VALID_YAML)
    write(tmp_path, "README.md", "not a policy")
    registry = load_policies(tmp_path)
    policy = registry.get(KAKEGAWA)
    # Left-out sections take the national defaults.
    assert policy.quota == QuotaPolicy()
    assert policy.attendance == AttendancePolicy()
    assert not policy.lottery.enabled


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("name: 掛川市", "name: 掛川市\nmascot: こだまちゃん"), "mascot"),
        (('time: "12:00"', 'time: "12:00"\n  grace: 5'), "cancellation.grace"),
        (("eligibility:", "quota:\n  unit_minutes: -30\neligibility:"), "quota.unit_minutes"),
        (('time: "12:00"', 'time: "25:00"'), "cancellation.time"),
        (('time: "12:00"', "time: 12:00"), "cancellation.time"),  # YAML reads 12:00 as 720
        (('code: "222135"', "code: 222135"), "code"),
        (('code: "222135"', 'code: "222136"'), "code"),  # wrong check digit
        (("prefecture: 静岡県", "prefecture: 東京都"), "prefecture"),  # 22 is Shizuoka
        (("[licensed_nursery]", "[hoikuen]"), "eligibility.excluded_enrollment_types.0"),
        (("kind: business_days_before_at", "kind: two_days_before"), "cancellation.kind"),
        (
            ("kind: business_days_before_at", "kind: previous_open_day_at\n  days: 2"),
            "cancellation",
        ),
    ],
)
def test_bad_file_names_file_and_field(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    old, new = change
    assert old in VALID_YAML
    write(tmp_path, "222135-kakegawa.yaml", VALID_YAML.replace(old, new))
    with pytest.raises(PolicyError, match=rf"222135-kakegawa\.yaml: {field}(:| |\n|$)"):
        load_policies(tmp_path)


def test_missing_section_is_named(tmp_path: Path) -> None:
    text = VALID_YAML.replace("eligibility:\n  excluded_enrollment_types: [licensed_nursery]\n", "")
    write(tmp_path, "222135-kakegawa.yaml", text)
    with pytest.raises(PolicyError, match=r"222135-kakegawa\.yaml: eligibility: Field required"):
        load_policies(tmp_path)


def test_every_problem_in_a_file_is_reported(tmp_path: Path) -> None:
    text = VALID_YAML.replace('"12:00"', '"noon"') + "quota:\n  monthly_cap_minutes: 0\n"
    write(tmp_path, "222135-kakegawa.yaml", text)
    with pytest.raises(PolicyError) as caught:
        load_policies(tmp_path)
    message = str(caught.value)
    assert "222135-kakegawa.yaml: cancellation.time:" in message
    assert "222135-kakegawa.yaml: quota.monthly_cap_minutes:" in message


def test_invalid_yaml(tmp_path: Path) -> None:
    write(tmp_path, "222135-kakegawa.yaml", "code: [unclosed\n")
    with pytest.raises(PolicyError, match=r"222135-kakegawa\.yaml: not valid YAML"):
        load_policies(tmp_path)


def test_repeated_key_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "222135-kakegawa.yaml", VALID_YAML + 'name: "掛川市役所"\n')
    with pytest.raises(PolicyError, match="appears twice"):
        load_policies(tmp_path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "222135-kakegawa.yaml", "- 222135\n")
    with pytest.raises(PolicyError, match=r"222135-kakegawa\.yaml: expected a mapping"):
        load_policies(tmp_path)


def test_file_name_must_start_with_the_code(tmp_path: Path) -> None:
    write(tmp_path, "131016-chiyoda.yaml", VALID_YAML)
    with pytest.raises(PolicyError, match=r"131016-chiyoda\.yaml: code: .*222135"):
        load_policies(tmp_path)


def test_duplicate_codes_across_files(tmp_path: Path) -> None:
    write(tmp_path, "222135-kakegawa.yaml", VALID_YAML)
    write(tmp_path, "222135-kakegawa-copy.yaml", VALID_YAML)
    with pytest.raises(PolicyError, match=r"222135.*already defined in 222135-kakegawa-copy\.yaml"):
        load_policies(tmp_path)


def test_registry_rejects_duplicate_codes() -> None:
    kakegawa = PRESETS.get(KAKEGAWA)
    with pytest.raises(PolicyError, match="two policies"):
        PolicyRegistry([kakegawa, kakegawa])


def test_empty_or_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no policy files"):
        load_policies(tmp_path)
    with pytest.raises(PolicyError, match="no such policy directory"):
        load_policies(tmp_path / "missing")


# --- chargeable minutes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "charged"),
    [(0, 0), (1, 60), (59, 60), (60, 60), (61, 120), (120, 120), (121, 180)],
)
def test_chargeable_minutes_kakegawa_hour_units(actual: int, charged: int) -> None:
    # "利用は1時間単位", "1時間未満の利用は、1時間としてカウント"
    assert PRESETS.get(KAKEGAWA).chargeable_minutes(actual) == charged


@pytest.mark.parametrize(
    ("actual", "charged"),
    [(0, 0), (1, 60), (30, 60), (60, 60), (61, 90), (90, 90), (91, 120), (150, 150)],
)
def test_chargeable_minutes_one_hour_minimum_then_half_hours(actual: int, charged: int) -> None:
    assert QuotaPolicy(unit_minutes=30, minimum_minutes=60).chargeable_minutes(actual) == charged


def test_chargeable_minutes_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        QuotaPolicy().chargeable_minutes(-1)


# --- cancellation deadlines --------------------------------------------------------------------


def test_chiyoda_deadline_for_a_monday_is_friday_1700() -> None:
    deadline = PRESETS.get(CHIYODA).cancellation_deadline(date(2026, 6, 15), CALENDAR)
    assert deadline == at(2026, 6, 12, 17)
    assert deadline.tzinfo is JST


def test_chiyoda_deadline_skips_a_holiday_friday() -> None:
    # Friday 2026-03-20 is 春分の日, so 前日 for Monday 3/23 is Thursday 3/19.
    deadline = PRESETS.get(CHIYODA).cancellation_deadline(date(2026, 3, 23), CALENDAR)
    assert deadline == at(2026, 3, 19, 17)


def test_chiyoda_deadline_after_the_new_year_closure() -> None:
    deadline = PRESETS.get(CHIYODA).cancellation_deadline(date(2027, 1, 4), CALENDAR)
    assert deadline == at(2026, 12, 28, 17)


def test_chiyoda_deadline_uses_the_facility_calendar() -> None:
    facility = BusinessCalendar(extra_closed_days=frozenset({date(2026, 6, 12)}))
    deadline = PRESETS.get(CHIYODA).cancellation_deadline(date(2026, 6, 15), facility)
    assert deadline == at(2026, 6, 11, 17)


def test_kakegawa_deadline_for_a_tuesday_is_monday_noon() -> None:
    deadline = PRESETS.get(KAKEGAWA).cancellation_deadline(date(2026, 6, 16), CALENDAR)
    assert deadline == at(2026, 6, 15, 12)


def test_kakegawa_deadline_for_a_monday_is_friday_noon() -> None:
    deadline = PRESETS.get(KAKEGAWA).cancellation_deadline(date(2026, 6, 15), CALENDAR)
    assert deadline == at(2026, 6, 12, 12)


def test_kakegawa_deadline_after_a_holiday_weekend_is_the_previous_friday_noon() -> None:
    # Tuesday 2026-07-21 follows 海の日 (Monday 7/20) and the weekend.
    deadline = PRESETS.get(KAKEGAWA).cancellation_deadline(date(2026, 7, 21), CALENDAR)
    assert deadline == at(2026, 7, 17, 12)
    # Thursday 2026-09-24 follows Silver Week (9/19–9/23).
    deadline = PRESETS.get(KAKEGAWA).cancellation_deadline(date(2026, 9, 24), CALENDAR)
    assert deadline == at(2026, 9, 18, 12)


def test_two_business_days_before() -> None:
    rule = CancellationRule(kind=CancellationKind.BUSINESS_DAYS_BEFORE_AT, time=time(9, 30), days=2)
    assert rule.deadline(date(2026, 5, 7), CALENDAR) == at(2026, 4, 30, 9, 30)


def test_chiyoda_boundary_instants() -> None:
    chiyoda, monday = PRESETS.get(CHIYODA), date(2026, 6, 15)
    assert chiyoda.is_timely_cancellation(at(2026, 6, 12, 16, 59, 59), monday, CALENDAR)
    assert chiyoda.is_timely_cancellation(at(2026, 6, 12, 17, 0, 0), monday, CALENDAR)
    assert not chiyoda.is_timely_cancellation(at(2026, 6, 12, 17, 0, 1), monday, CALENDAR)
    just_after = at(2026, 6, 12, 17) + timedelta(microseconds=1)
    assert not chiyoda.is_timely_cancellation(just_after, monday, CALENDAR)
    # Saturday is after Friday's deadline even though no one works that day.
    assert not chiyoda.is_timely_cancellation(at(2026, 6, 13, 9), monday, CALENDAR)


def test_kakegawa_boundary_instants() -> None:
    kakegawa, tuesday = PRESETS.get(KAKEGAWA), date(2026, 6, 16)
    assert kakegawa.is_timely_cancellation(at(2026, 6, 15, 12, 0, 0), tuesday, CALENDAR)
    assert not kakegawa.is_timely_cancellation(at(2026, 6, 15, 12, 0, 1), tuesday, CALENDAR)


def test_timeliness_compares_instants_not_wall_clocks() -> None:
    chiyoda, monday = PRESETS.get(CHIYODA), date(2026, 6, 15)
    utc_1700_jst = datetime.fromisoformat("2026-06-12T08:00:00+00:00")
    assert chiyoda.is_timely_cancellation(utc_1700_jst, monday, CALENDAR)
    utc_1701_jst = datetime.fromisoformat("2026-06-12T08:01:00+00:00")
    assert not chiyoda.is_timely_cancellation(utc_1701_jst, monday, CALENDAR)


def test_naive_cancellation_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        PRESETS.get(CHIYODA).is_timely_cancellation(
            datetime(2026, 6, 12, 17), date(2026, 6, 15), CALENDAR
        )


# --- attendance ---------------------------------------------------------------------------------


def test_late_pickup_is_ten_minutes_or_more_after_the_booked_end() -> None:
    attendance = PRESETS.get(CHIYODA).attendance
    booked_end = at(2026, 6, 15, 12)
    assert not attendance.is_late_pickup(booked_end, booked_end + timedelta(minutes=9, seconds=59))
    assert attendance.is_late_pickup(booked_end, booked_end + timedelta(minutes=10))
    assert (
        attendance.late_pickup_charge_minutes(booked_end, booked_end + timedelta(minutes=10)) == 60
    )
    assert attendance.late_pickup_charge_minutes(booked_end, booked_end + timedelta(minutes=5)) == 0


def test_model_can_be_built_in_code() -> None:
    policy = MunicipalityPolicy.model_validate(
        {
            "code": "011002",  # 札幌市: the leading zero survives because the code is text
            "name": "札幌市",
            "prefecture": "北海道",
            "cancellation": {"kind": "previous_open_day_at", "time": "17:00"},
            "eligibility": {"excluded_enrollment_types": ["licensed_nursery"]},
            "notification": {
                "sender_name": "札幌市",
                "sender_address": "noreply@sapporo.example.jp",
            },
        }
    )
    assert policy.code == "011002"


def test_each_preset_names_its_own_sender_and_reminder_hour() -> None:
    chiyoda, kakegawa = PRESETS.get(CHIYODA).notification, PRESETS.get(KAKEGAWA).notification
    assert chiyoda.sender_address != kakegawa.sender_address
    assert "千代田区" in chiyoda.sender_name
    assert "掛川市" in kakegawa.sender_name
    assert 0 <= kakegawa.reminder_hour <= 23


def test_kakegawa_takes_applications_from_16_february_2026() -> None:
    # Issue 17, item 5: "利用認定申請の受付開始は、令和8年2月16日からです".
    from tsuen_common.policy import ApplicationPhase

    rule = load_policies().get("222135").eligibility
    assert rule.application_phase(date(2026, 2, 15)) is ApplicationPhase.UPCOMING
    assert rule.application_phase(date(2026, 2, 16)) is ApplicationPhase.OPEN
    assert [d.day for d in rule.key_dates] == [date(2026, 3, 2), date(2026, 3, 26)]
    chiyoda = load_policies().get("131016").eligibility
    assert chiyoda.application_phase(date(2020, 1, 1)) is ApplicationPhase.OPEN
    assert chiyoda.decided_facility_only_through == date(2026, 3, 31)
