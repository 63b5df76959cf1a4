"""The call-center simulator: reproducible, consistent, and honest about what it counts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from dialer_core_helpers import SMALL

from dialcrm.dialer.core.pacing import STRATEGY_NAMES, Ratio
from dialcrm.dialer.core.scenario import Scenario, parse_scenario
from dialcrm.dialer.core.simulator import LeadOrder, SimulationResult, simulate


def small_scenario(**changes: Any) -> Scenario:
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return parse_scenario(data)


def without_timing(result: SimulationResult) -> dict[str, object]:
    figures = result.as_dict()
    del figures["wall_seconds"]
    return figures


@pytest.mark.parametrize("pacing", STRATEGY_NAMES)
def test_the_same_seed_gives_the_same_day(pacing: str) -> None:
    scenario = small_scenario()

    first = simulate(scenario, pacing, seed=4)
    second = simulate(scenario, pacing, seed=4)

    assert without_timing(first) == without_timing(second)


def test_another_seed_gives_another_day() -> None:
    scenario = small_scenario()

    assert (
        simulate(scenario, "predictive", seed=1).dials
        != simulate(scenario, "predictive", seed=2).dials
    )


@pytest.mark.parametrize("pacing", STRATEGY_NAMES)
def test_the_figures_agree_with_each_other(pacing: str) -> None:
    result = simulate(small_scenario(), pacing, seed=7)

    assert result.pacing == pacing
    assert result.contacts + result.abandoned == result.human_answers
    assert 0.0 <= result.abandon_rate <= result.worst_hour_abandon_rate <= 1.0
    assert 0.0 < result.occupancy <= 1.0
    assert result.contacts_per_dial == result.contacts / result.dials
    assert sum(hour.human_answers for hour in result.hourly) == result.human_answers
    assert sum(hour.abandoned for hour in result.hourly) == result.abandoned
    assert [hour.hour for hour in result.hourly] == [9]


@pytest.mark.parametrize("shift_s", [600, 3600])
def test_every_logged_in_second_is_counted_once(shift_s: int) -> None:
    """Ready, busy and paused time add up to the time logged in, also when pauses run past
    the end of the shift (a short shift ends inside many of them)."""
    scenario = small_scenario(
        agents=30,
        shift_s=shift_s,
        pauses={"per_agent_hour": 6.0, "duration_s": {"dist": "exponential", "mean": 300}},
    )

    for seed in range(3):
        result = simulate(scenario, "predictive", seed=seed)

        parts = result.ready_hours + result.busy_hours + result.paused_hours
        assert parts == pytest.approx(result.logged_in_hours, rel=1e-9)
        assert result.occupancy == pytest.approx(
            result.busy_hours / (result.ready_hours + result.busy_hours)
        )


def test_progressive_never_abandons_when_nobody_pauses() -> None:
    scenario = small_scenario(
        pauses={"per_agent_hour": 0.0, "duration_s": {"dist": "constant", "value": 0}}
    )

    result = simulate(scenario, "progressive", seed=3)

    assert result.abandoned == 0
    assert result.human_answers > 0


def test_the_abandon_guard_holds_an_overdialling_campaign_near_its_cap() -> None:
    scenario = small_scenario(
        agents=20,
        shift_s=4 * 3600,
        abandon_cap=0.03,
        pauses={"per_agent_hour": 0.0, "duration_s": {"dist": "constant", "value": 0}},
    )
    overdialling = Ratio(3.0)  # a fixed dial level far above what 20 agents can take

    free = simulate(scenario, overdialling, seed=2)
    guarded = simulate(scenario, Ratio(3.0), seed=2, abandon_guard=True)

    assert free.abandon_rate > 0.10
    # Held to one call per ready agent whenever the rate reaches the cap, it hovers there.
    assert guarded.abandon_rate < 0.04
    assert guarded.human_answers > 0.5 * free.human_answers  # the floor kept working


def test_a_small_list_runs_dry_and_each_lead_gets_at_most_max_attempts() -> None:
    scenario = small_scenario(leads=10, retry_delay_s=60)

    result = simulate(scenario, "predictive", seed=5)

    assert 10 <= result.dials <= 10 * 3


def test_scored_lead_order_is_reproducible_too() -> None:
    scenario = small_scenario(segments={"lists": 2, "regions": 2, "explained": 0.5})

    first = simulate(scenario, "predictive", seed=9, lead_order=LeadOrder.SCORED)
    second = simulate(scenario, "predictive", seed=9, lead_order="scored")

    assert first.lead_order == "scored"
    assert without_timing(first) == without_timing(second)


def test_redialling_only_when_all_agents_are_busy_still_dials_fresh_leads() -> None:
    scenario = small_scenario(redial_only_when_all_agents_busy=True)

    result = simulate(scenario, "progressive", seed=2)

    assert result.dials > 0


def test_agents_logging_in_over_time_work_a_full_shift_each() -> None:
    scenario = small_scenario(login_spread_s=600)

    result = simulate(scenario, "predictive", seed=6)

    assert result.contacts_per_agent_hour > 0
    assert [hour.hour for hour in result.hourly] == [9]


def test_an_unknown_lead_order_is_refused() -> None:
    with pytest.raises(ValueError, match="'random' is not a valid LeadOrder"):
        simulate(small_scenario(), "progressive", lead_order="random")


def test_predictive_hangs_up_unanswered_calls_only_after_the_minimum_ring() -> None:
    managed = simulate(small_scenario(agents=8, shift_s=3600), "predictive", seed=3)
    unmanaged = simulate(
        small_scenario(agents=8, shift_s=3600, minimum_ring_s=25), "predictive", seed=3
    )

    assert managed.released_calls > 0
    assert managed.released_people <= managed.released_calls
    assert unmanaged.released_calls == 0


def test_peers_never_hang_up_ringing_calls() -> None:
    for pacing in ("progressive", "ratio", "vicidial-adapt", "issabel-erlang"):
        assert simulate(small_scenario(), pacing, seed=1).released_calls == 0
