"""Municipality policy: each 市区町村's own rules of こども誰でも通園制度, loaded from YAML.

One file per municipality in ``presets/`` (or a directory the deployment chooses), validated at
start-up; see :mod:`tsuen_common.policy.model` for what each field means and where it comes from.

    registry = load_policies()
    kakegawa = registry.get("222135")
    kakegawa.chargeable_minutes(61)                   # 120
    kakegawa.cancellation_deadline(use_date, calendar)  # 12:00 JST, 1 business day before
"""

from tsuen_common.policy.loader import (
    PolicyError,
    PolicyRegistry,
    UnknownMunicipality,
    load_policies,
    parse_policy,
)
from tsuen_common.policy.model import (
    PREFECTURES,
    ApplicationPhase,
    AttendancePolicy,
    CancellationKind,
    CancellationRule,
    EligibilityPolicy,
    EnrollmentType,
    KeyDate,
    LotteryPolicy,
    MunicipalityPolicy,
    NotificationPolicy,
    QuotaPolicy,
)

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
    "NotificationPolicy",
    "PolicyError",
    "PolicyRegistry",
    "QuotaPolicy",
    "UnknownMunicipality",
    "load_policies",
    "parse_policy",
]
