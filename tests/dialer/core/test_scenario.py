"""Scenario parsing: the documented shape is accepted; bad input names the key at fault."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dialcrm.dialer.core.distributions import Distribution, DistributionKind, ScenarioError
from dialcrm.dialer.core.outcomes import CallOutcome
from dialcrm.dialer.core.scenario import HourCurve, HourCurveMode, parse_scenario

ISSUE_SCENARIO: dict[str, Any] = {
    "name": "s20",
    "agents": 20,
    "start_hour": 9,
    "shift_s": 28800,
    "talk_s": {"dist": "lognormal", "mean": 150, "sd": 90},
    "wrap_s": {"dist": "exponential", "mean": 15},
    "pauses": {"per_agent_hour": 1.0, "duration_s": {"dist": "exponential", "mean": 300}},
    "outcomes": {"human": 0.20, "machine": 0.08, "busy": 0.05, "failed": 0.02},
    "human_by_hour": {"9": 0.8, "12": 1.0, "18": 1.3},
    "time_to_answer_s": {"dist": "uniform", "min": 4, "max": 20},
    "ring_timeout_s": 25,
    "connect_window_s": 2,
    "abandon_cap": 0.03,
    "leads": 200000,
    "lead_heterogeneity": 0.5,
    "max_attempts": 5,
    "retry_delay_s": 3600,
    "amd": {"detects_machine": 0.85, "mistakes_human": 0.03},
}


def scenario_with(path: str, value: Any) -> dict[str, Any]:
    """The issue's scenario with one dotted key replaced (or removed when value is ...)."""
    data = copy.deepcopy(ISSUE_SCENARIO)
    *parents, last = path.split(".")
    target = data
    for parent in parents:
        target = target[parent]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return data


def refusal(data: Any) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    return str(caught.value)


def test_the_issue_scenario_is_accepted_with_its_values() -> None:
    scenario = parse_scenario(ISSUE_SCENARIO)

    assert scenario.name == "s20"
    assert scenario.agents == 20
    assert scenario.talk_s == Distribution(DistributionKind.LOGNORMAL, 150.0, 90.0)
    assert scenario.time_to_answer_s == Distribution(DistributionKind.UNIFORM, 4.0, 20.0)
    assert scenario.outcomes.no_answer == pytest.approx(0.65)
    assert scenario.amd.detects_machine == 0.85
    assert scenario.max_lines == 100
    assert scenario.retry_delay_for(CallOutcome.BUSY) == 3600.0


def test_optional_keys_override_the_defaults() -> None:
    data = copy.deepcopy(ISSUE_SCENARIO)
    data.update(
        max_lines=7,
        login_spread_s=60,
        segments={"lists": 2, "regions": 3, "explained": 0.5},
        retry_delay_by_outcome_s={"busy": 600},
        redial_only_when_all_agents_busy=True,
    )

    scenario = parse_scenario(data)

    assert scenario.max_lines == 7
    assert scenario.login_spread_s == 60.0
    assert scenario.segments.count == 6
    assert scenario.retry_delay_for(CallOutcome.BUSY) == 600.0
    assert scenario.retry_delay_for(CallOutcome.NO_ANSWER) == 3600.0
    assert scenario.redial_only_when_all_agents_busy is True


def test_linear_hour_curve_interpolates_and_holds_at_the_ends() -> None:
    curve = HourCurve(hours=(9.0, 12.0, 18.0), factors=(0.8, 1.0, 1.3))

    assert curve.factor(8.0) == 0.8
    assert curve.factor(10.5) == pytest.approx(0.9)
    assert curve.factor(15.0) == pytest.approx(1.15)
    assert curve.factor(20.0) == 1.3


def test_step_hour_curve_holds_each_value_until_the_next_hour() -> None:
    curve = HourCurve(hours=(9.0, 13.0), factors=(1.0, 0.5), mode=HourCurveMode.STEP)

    assert curve.factor(12.99) == 1.0
    assert curve.factor(13.0) == 0.5
    assert curve.factor(16.0) == 0.5


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("talk_s.dist", "weibull", "talk_s.dist: unknown distribution 'weibull'"),
        ("outcomes.human", 0.9, "outcomes: probabilities sum to 1.05, more than 1"),
        ("wrap_s.mean", -15, "wrap_s.mean: must not be negative (got -15)"),
        ("ring_timeout_s", -1, "ring_timeout_s: must be positive (got -1)"),
        ("connect_window_s", -2, "connect_window_s: must not be negative (got -2)"),
        ("retry_delay_s", -5, "retry_delay_s: must not be negative (got -5)"),
        ("agents", ..., "agents: missing key"),
        ("pauses.duration_s", ..., "pauses.duration_s: missing key"),
        ("time_to_answer_s.max", ..., "time_to_answer_s.max: missing key"),
        ("amd.detects_machine", 1.5, "amd.detects_machine: must be a probability within 0..1"),
        ("agents", 2.5, "agents: must be a whole number (got 2.5)"),
        ("agents", 0, "agents: must be at least 1 (got 0)"),
        ("abandon_cap", 3, "abandon_cap: must be between 0 and 1 (got 3)"),
        ("human_by_hour.nine", 1.0, "human_by_hour.nine: the key must be an hour of day"),
        ("human_by_hour.9", -0.5, "human_by_hour.9: must not be negative"),
        ("time_to_answer_s.min", 30, "time_to_answer_s.max: must not be less than min"),
        ("talk_s.mean", "long", "talk_s.mean: must be a number (got 'long')"),
        ("outcomes.voicemail", 0.1, "outcomes.voicemail: unknown outcome"),
        ("speed", 3, "speed: unknown key"),
        ("start_hour", 25, "start_hour: must be within 0..24 (got 25)"),
    ],
)
def test_a_malformed_scenario_is_refused_naming_the_key(
    path: str, value: Any, message: str
) -> None:
    data = scenario_with(path, value)

    text = refusal(data)

    assert text.startswith(message)


def test_a_scenario_that_is_not_an_object_is_refused() -> None:
    assert refusal([1, 2]) == "a scenario must be a JSON object"


def test_a_distribution_given_as_a_number_is_refused() -> None:
    assert refusal(scenario_with("wrap_s", 15)).startswith("wrap_s: must be an object")


def test_an_unknown_distribution_parameter_is_refused() -> None:
    text = refusal(scenario_with("wrap_s", {"dist": "exponential", "mean": 15, "sd": 3}))

    assert text == "wrap_s.sd: unknown key for a exponential distribution"
