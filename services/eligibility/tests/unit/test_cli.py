"""The operator commands parse their own options (no database needed for these)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tsuen_eligibility.domain.lottery import new_seed, seed_commitment
from tsuen_eligibility.entrypoints.cli import main


def test_command_options_reach_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["expire-aged-out", "--help"])
    assert exit_info.value.code == 0
    assert "--on" in capsys.readouterr().out


def test_a_malformed_day_is_refused_with_the_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["lapse-acceptances", "--on", "1 April"])
    assert exit_info.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_replay_draw_reports_a_tampered_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = new_seed()
    ids = [str(uuid.UUID(int=i)) for i in range(1, 6)]
    published = {
        "seed": seed,
        "seed_hash": seed_commitment(seed),
        "places": 2,
        "applicants": [{"application_id": i, "tier": None, "family": None} for i in ids],
        "priority_tiers": [],
        "siblings_together": False,
        "waitlist_enabled": True,
    }
    round_file = tmp_path / "round.json"
    round_file.write_text(json.dumps(published))
    assert main(["replay-draw", str(round_file)]) == 0
    order = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["order"]

    round_file.write_text(json.dumps({**published, "order": order}))
    assert main(["replay-draw", str(round_file)]) == 0
    round_file.write_text(json.dumps({**published, "order": list(reversed(order))}))
    assert main(["replay-draw", str(round_file)]) == 1
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["matches_published_order"] is False
