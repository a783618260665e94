"""規則の確認: the policy document eligibility gives, as the lines the officer's page shows."""

from tsuen_common.policy import load_policies
from tsuen_portal.domain.rules import sections


def _lines(code: str) -> dict[str, tuple[str, object]]:
    policy = load_policies().get(code).model_dump(mode="json")
    return {r.label: (r.kind, r.value) for s in sections(policy) for r in s.rules}


def test_kakegawas_rules_as_its_officer_reads_them():
    lines = _lines("222135")
    assert lines["Monthly hours per child"] == ("hours", 600)  # 月10時間
    kind, deadline = lines["Free cancellation until"]
    assert kind == "deadline"
    assert isinstance(deadline, dict)
    assert (deadline["kind"], deadline["days"], deadline["time"][:5]) == (
        "business_days_before_at",
        1,
        "12:00",
    )
    assert lines["Places drawn by lot"] == ("yes_no", False)  # 掛川市 reviews directly
    assert "Days to accept a place" not in lines  # a lottery's rule: no lottery, no line


def test_chiyodas_lottery_and_deadline_differ():
    lines = _lines("131016")
    assert lines["Places drawn by lot"] == ("yes_no", True)
    assert lines["Days to accept a place"][0] == "days"
    assert lines["Free cancellation until"][1]["kind"] == "previous_open_day_at"  # type: ignore[index]
