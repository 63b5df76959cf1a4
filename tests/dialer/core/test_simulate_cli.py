"""`dialcrm simulate`: one JSON object out, or a message naming the bad key and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dialer_core_helpers import SMALL

from dialcrm.dialer.core.cli import main

REQUIRED_KEYS = {
    "pacing",
    "seed",
    "agents",
    "dials",
    "human_answers",
    "abandoned",
    "abandon_rate",
    "worst_hour_abandon_rate",
    "occupancy",
    "talk_minutes_per_agent_hour",
    "mean_agent_wait_s",
    "contacts_per_agent_hour",
    "contacts_per_dial",
    "wall_seconds",
}


def write_scenario(folder: Path, data: object) -> str:
    path = folder / "scenario.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_simulate_prints_one_json_object_with_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_scenario(tmp_path, SMALL)

    code = main(["--scenario", scenario, "--pacing", "predictive", "--seed", "3", "--json"])

    figures = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(figures) >= REQUIRED_KEYS
    assert (figures["pacing"], figures["seed"], figures["agents"]) == ("predictive", 3, 5)
    assert figures["lead_order"] == "fifo"


def test_a_malformed_scenario_exits_with_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_scenario(tmp_path, {**SMALL, "talk_s": {"dist": "weibull", "mean": 9}})

    code = main(["--scenario", scenario, "--pacing", "progressive", "--json"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "talk_s.dist: unknown distribution 'weibull'" in captured.err
    assert "Traceback" not in captured.err


def test_outcome_probabilities_over_one_exit_with_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = {"human": 0.6, "machine": 0.3, "busy": 0.2, "failed": 0.0}
    scenario = write_scenario(tmp_path, {**SMALL, "outcomes": outcomes})

    code = main(["--scenario", scenario, "--pacing", "progressive", "--json"])

    assert code == 2
    assert "outcomes: probabilities sum to 1.1, more than 1" in capsys.readouterr().err


def test_a_missing_file_exits_with_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--scenario", str(tmp_path / "nope.json"), "--pacing", "ratio", "--json"])

    assert code == 2
    assert "cannot read scenario" in capsys.readouterr().err


def test_invalid_json_exits_with_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"agents": ', encoding="utf-8")

    code = main(["--scenario", str(path), "--pacing", "ratio", "--json"])

    assert code == 2
    assert "is not valid JSON: line 1" in capsys.readouterr().err


def test_an_unknown_strategy_exits_with_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_scenario(tmp_path, SMALL)

    code = main(["--scenario", scenario, "--pacing", "psychic", "--json"])

    assert code == 2
    assert "invalid choice: 'psychic'" in capsys.readouterr().err
