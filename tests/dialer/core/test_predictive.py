"""Our predictive strategy: cold start, prediction, the cap and the feedback loop."""

from __future__ import annotations

import pytest
from dialer_core_helpers import build_learned_model, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from dialcrm.dialer.core.learning import LearnedModel
from dialcrm.dialer.core.pacing import progressive_calls
from dialcrm.dialer.core.predictive import Predictive, PredictiveSettings
from dialcrm.dialer.core.snapshot import PacingSnapshot

BUSY = (20.0, 60.0, 100.0, 140.0, 180.0, 220.0, 260.0, 300.0)


def test_a_cold_start_dials_like_progressive() -> None:
    given_snapshot = snapshot(ready_agents=3, talking_elapsed_s=BUSY, ringing_ages_s=(2.0,))

    calls = Predictive().calls_to_place(given_snapshot)

    assert calls == progressive_calls(given_snapshot) == 2


def test_with_a_learned_model_it_dials_ahead_of_ready_agents(
    learned_model: LearnedModel,
) -> None:
    given_snapshot = snapshot(ready_agents=2, talking_elapsed_s=BUSY, model=learned_model)

    calls = Predictive().calls_to_place(given_snapshot)

    assert calls > progressive_calls(given_snapshot) == 2


def test_calls_already_ringing_hold_back_new_ones(learned_model: LearnedModel) -> None:
    quiet = snapshot(ready_agents=2, talking_elapsed_s=BUSY, model=learned_model)
    busy_lines = snapshot(
        ready_agents=2, talking_elapsed_s=BUSY, ringing_ages_s=(3.0,) * 8, model=learned_model
    )

    assert Predictive().calls_to_place(busy_lines) < Predictive().calls_to_place(quiet)


def test_agents_wrapping_up_count_as_soon_free(learned_model: LearnedModel) -> None:
    talking = snapshot(ready_agents=1, talking_elapsed_s=(5.0,) * 8, model=learned_model)
    wrapping = snapshot(ready_agents=1, wrapping_elapsed_s=(5.0,) * 8, model=learned_model)

    assert Predictive().calls_to_place(wrapping) > Predictive().calls_to_place(talking)


def test_agents_further_into_their_calls_count_as_sooner_free(
    learned_model: LearnedModel,
) -> None:
    fresh_calls = snapshot(ready_agents=3, talking_elapsed_s=(5.0,) * 8, model=learned_model)
    long_calls = snapshot(ready_agents=3, talking_elapsed_s=(200.0,) * 8, model=learned_model)

    assert Predictive().calls_to_place(long_calls) > Predictive().calls_to_place(fresh_calls)


def test_a_lower_cap_never_means_more_calls(learned_model: LearnedModel) -> None:
    counts = [
        Predictive().calls_to_place(
            snapshot(ready_agents=3, talking_elapsed_s=BUSY, abandon_cap=cap, model=learned_model)
        )
        for cap in (0.01, 0.03, 0.10)
    ]

    assert counts == sorted(counts)
    assert counts[0] < counts[2]


def test_an_hour_over_its_budget_keeps_a_tenth_of_the_risk(learned_model: LearnedModel) -> None:
    def hour_with(abandoned: int) -> PacingSnapshot:
        return snapshot(
            ready_agents=3,
            talking_elapsed_s=BUSY,
            human_answers_total=400,
            abandoned_total=6,
            human_answers_this_hour=100,
            abandoned_this_hour=abandoned,
            seconds_into_hour=1800.0,
            model=learned_model,
        )

    calm, spent = Predictive(), Predictive()
    calm_calls = calm.calls_to_place(hour_with(0))
    spent_calls = spent.calls_to_place(hour_with(6))

    assert spent.allowed_risk == pytest.approx(0.1 * calm.allowed_risk)
    assert progressive_calls(hour_with(6)) <= spent_calls < calm_calls


def test_abandons_lower_the_risk_and_connected_calls_raise_it(
    learned_model: LearnedModel,
) -> None:
    strategy = Predictive(PredictiveSettings(feedback_gain=0.5))
    strategy.calls_to_place(
        snapshot(human_answers_total=100, talking_elapsed_s=BUSY, model=learned_model)
    )

    strategy.calls_to_place(
        snapshot(
            human_answers_total=102, abandoned_total=2, talking_elapsed_s=BUSY, model=learned_model
        )
    )
    after_abandons = strategy.log_gain
    strategy.calls_to_place(
        snapshot(
            human_answers_total=302, abandoned_total=2, talking_elapsed_s=BUSY, model=learned_model
        )
    )

    assert after_abandons < 0.0
    assert strategy.log_gain > after_abandons


def test_a_new_campaign_window_resets_what_the_feedback_has_seen(
    learned_model: LearnedModel,
) -> None:
    strategy = Predictive()
    strategy.calls_to_place(
        snapshot(human_answers_total=500, abandoned_total=10, model=learned_model)
    )

    strategy.calls_to_place(snapshot(human_answers_total=3, model=learned_model))

    assert strategy.log_gain == 0.0


def test_no_free_line_means_no_call(learned_model: LearnedModel) -> None:
    given_snapshot = snapshot(
        ready_agents=5, talking_elapsed_s=BUSY, max_lines=8, model=learned_model
    )

    assert Predictive().calls_to_place(given_snapshot) == 0


def test_settings_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="target_share_of_cap must be within"):
        PredictiveSettings(target_share_of_cap=1.5)


def test_old_ringing_calls_are_released_when_no_agent_will_be_there(
    learned_model: LearnedModel,
) -> None:
    # Nobody ready, everybody just started a call: a late answer would find no agent.
    given_snapshot = snapshot(
        talking_elapsed_s=(1.0,) * 8,
        ringing_ages_s=(16.0, 3.0, 18.0, 15.5, 10.0),
        abandoned_total=2,
        human_answers_total=100,
        model=learned_model,
    )

    decision = Predictive().decide(given_snapshot)

    assert decision.release
    assert {given_snapshot.ringing_ages_s[p] for p in decision.release} <= {16.0, 18.0, 15.5}


def test_old_ringing_calls_are_kept_while_agents_are_ready(learned_model: LearnedModel) -> None:
    given_snapshot = snapshot(
        ready_agents=4, talking_elapsed_s=BUSY, ringing_ages_s=(16.0, 18.0), model=learned_model
    )

    assert Predictive().decide(given_snapshot).release == ()


def test_calls_younger_than_the_minimum_ring_are_never_released(
    learned_model: LearnedModel,
) -> None:
    given_snapshot = snapshot(
        talking_elapsed_s=(1.0,) * 8,
        ringing_ages_s=(16.0, 18.0),
        minimum_ring_s=20.0,
        model=learned_model,
    )

    assert Predictive().decide(given_snapshot).release == ()


def test_calls_to_place_alone_never_releases_and_places_no_more_than_decide(
    learned_model: LearnedModel,
) -> None:
    given_snapshot = snapshot(
        ready_agents=1,
        talking_elapsed_s=(1.0,) * 8,
        ringing_ages_s=(16.0,) * 6,
        model=learned_model,
    )

    decision = Predictive().decide(given_snapshot)

    assert Predictive().calls_to_place(given_snapshot) <= decision.calls_to_place


MODELS = (build_learned_model(),)
seconds = st.floats(min_value=0.0, max_value=600.0, allow_nan=False)


@st.composite
def busy_snapshots(draw: st.DrawFn) -> PacingSnapshot:
    answers = draw(st.integers(min_value=0, max_value=3000))
    return snapshot(
        ready_agents=draw(st.integers(min_value=0, max_value=10)),
        talking_elapsed_s=tuple(draw(st.lists(seconds, max_size=40))),
        wrapping_elapsed_s=tuple(draw(st.lists(seconds, max_size=5))),
        ringing_ages_s=tuple(draw(st.lists(st.floats(0.0, 30.0), max_size=60))),
        waiting_calls=draw(st.integers(min_value=0, max_value=3)),
        max_lines=draw(st.integers(min_value=0, max_value=200)),
        human_answers_total=answers,
        abandoned_total=draw(st.integers(min_value=0, max_value=answers // 10)),
        minimum_ring_s=draw(st.sampled_from((15.0, 0.0, 40.0))),
        model=draw(st.sampled_from(MODELS)),
    )


@settings(max_examples=200, deadline=None)
@given(busy_snapshots())
def test_a_decision_releases_distinct_old_calls_and_fills_only_freed_lines(
    given_snapshot: PacingSnapshot,
) -> None:
    decision = Predictive().decide(given_snapshot)

    ages = [given_snapshot.ringing_ages_s[position] for position in decision.release]
    assert len(set(decision.release)) == len(decision.release)
    assert all(age >= given_snapshot.minimum_ring_s for age in ages)
    assert 0 <= decision.calls_to_place <= given_snapshot.free_lines + len(decision.release)


def test_a_small_team_over_its_hour_budget_falls_back_to_progressive(
    learned_model: LearnedModel,
) -> None:
    given_snapshot = snapshot(
        ready_agents=2,
        talking_elapsed_s=(60.0,),
        human_answers_total=200,
        abandoned_total=3,
        human_answers_this_hour=40,
        abandoned_this_hour=3,
        seconds_into_hour=1800.0,
        model=learned_model,
    )
    strategy = Predictive()

    calls = strategy.calls_to_place(given_snapshot)

    assert strategy.allowed_risk == 0.0
    assert calls == progressive_calls(given_snapshot) == 2
