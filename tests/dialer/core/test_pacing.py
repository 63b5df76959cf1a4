"""Pacing strategies over observable snapshots: the peers, and invariants every strategy keeps."""

from __future__ import annotations

from typing import Any

import pytest
from dialer_core_helpers import build_learned_model, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from dialcrm.dialer.core.learning import COLD_MODEL, LearnedModel
from dialcrm.dialer.core.pacing import (
    STRATEGY_NAMES,
    IssabelErlang,
    Progressive,
    Ratio,
    VicidialAdapt,
    make_strategy,
    progressive_calls,
)
from dialcrm.dialer.core.snapshot import PacingSnapshot


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ready_agents": -1}, "ready_agents must not be negative (got -1)"),
        ({"waiting_calls": -2}, "waiting_calls must not be negative (got -2)"),
        ({"max_lines": True}, "max_lines must be a whole number (got True)"),
        ({"talking_elapsed_s": (3.0, -1.0)}, "talking_elapsed_s must hold finite, non-negative"),
        ({"ringing_ages_s": (float("inf"),)}, "ringing_ages_s must hold finite, non-negative"),
        ({"abandon_cap": 0.0}, "abandon_cap must be between 0 and 1 (got 0.0)"),
        ({"connect_window_s": -1.0}, "connect_window_s must not be negative (got -1.0)"),
        ({"seconds_into_hour": 4000.0}, "seconds_into_hour must be within 0..3600"),
        ({"abandoned_total": 3, "human_answers_total": 2}, "abandoned_total must not exceed"),
        ({"abandoned_this_hour": 1}, "abandoned_this_hour must not exceed"),
        ({"now_s": float("nan")}, "now_s must be finite"),
    ],
)
def test_an_impossible_snapshot_is_refused_naming_the_field(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        snapshot(**changes)

    assert str(caught.value).startswith(message)


def test_snapshot_counts_lines_and_agents() -> None:
    given_snapshot = snapshot(
        ready_agents=2,
        talking_elapsed_s=(10.0, 20.0, 30.0),
        wrapping_elapsed_s=(5.0,),
        ringing_ages_s=(1.0, 2.0),
        waiting_calls=1,
        max_lines=10,
    )

    assert given_snapshot.working_agents == 6
    assert given_snapshot.lines_in_use == 6
    assert given_snapshot.free_lines == 4
    assert given_snapshot.calls_in_flight == 3


def test_progressive_places_one_call_per_ready_agent_with_nothing_coming() -> None:
    assert Progressive().calls_to_place(snapshot(ready_agents=5, ringing_ages_s=(3.0, 4.0))) == 3


def test_progressive_stops_at_the_free_lines() -> None:
    given_snapshot = snapshot(
        ready_agents=5, talking_elapsed_s=(1.0, 2.0), ringing_ages_s=(3.0,), max_lines=4
    )

    assert Progressive().calls_to_place(given_snapshot) == 1


def test_ratio_fills_the_dial_level_times_working_agents() -> None:
    given_snapshot = snapshot(
        ready_agents=3,
        talking_elapsed_s=(1.0,) * 5,
        wrapping_elapsed_s=(2.0, 3.0),
        ringing_ages_s=(4.0,) * 4,
    )

    # round(2.0 x 10 agents) = 20 lines, 9 in use (4 ringing, 5 talking)
    assert Ratio(2.0).calls_to_place(given_snapshot) == 11


def test_ratio_refuses_a_level_under_one() -> None:
    with pytest.raises(ValueError, match="dial_level must be at least 1.0"):
        Ratio(0.5)


def test_vicidial_dials_every_two_and_a_half_seconds() -> None:
    strategy = VicidialAdapt(day_start_s=0.0, day_end_s=28800.0)

    first = strategy.calls_to_place(snapshot(now_s=0.0, ready_agents=4))
    soon_after = strategy.calls_to_place(snapshot(now_s=1.0, ready_agents=4))
    later = strategy.calls_to_place(snapshot(now_s=2.5, ready_agents=4))

    assert (first, soon_after, later) == (4, 0, 4)


def test_vicidial_raises_its_level_by_ready_minus_waiting_over_agents() -> None:
    strategy = VicidialAdapt(day_start_s=0.0, day_end_s=28800.0)
    busy = (60.0,) * 8

    for second in range(16):
        strategy.calls_to_place(
            snapshot(now_s=float(second), ready_agents=2, talking_elapsed_s=busy)
        )

    # 15 s of samples with 2 ready and 0 waiting among 10 agents: +0.2
    assert strategy.dial_level == pytest.approx(1.2)


def test_vicidial_halves_its_level_when_most_of_the_last_minute_dropped() -> None:
    strategy = VicidialAdapt(day_start_s=0.0, day_end_s=28800.0, initial_level=2.0)
    strategy.calls_to_place(snapshot(now_s=0.0, talking_elapsed_s=(60.0,) * 10))

    strategy.calls_to_place(
        snapshot(
            now_s=15.0,
            talking_elapsed_s=(60.0,) * 10,
            human_answers_total=30,
            abandoned_total=20,
            human_answers_this_hour=30,
            abandoned_this_hour=20,
        )
    )

    # 20 of the last minute's 30 live answers dropped: 2.0 -> 1.0 (too few answers to taper).
    assert strategy.dial_level == pytest.approx(1.0)


def test_vicidial_tapers_toward_one_late_in_the_day_when_over_the_cap() -> None:
    strategy = VicidialAdapt(day_start_s=0.0, day_end_s=28800.0, initial_level=3.0)
    strategy.calls_to_place(snapshot(now_s=21585.0, talking_elapsed_s=(60.0,) * 10))

    strategy.calls_to_place(
        snapshot(
            now_s=21600.0,
            talking_elapsed_s=(60.0,) * 10,
            human_answers_total=1000,
            abandoned_total=40,
        )
    )

    # A quarter of the day left: the excess over 1.0 is scaled by 0.25.
    assert strategy.dial_level == pytest.approx(1.5)


def test_issabel_counts_only_free_agents_until_ten_calls_were_handled() -> None:
    assert IssabelErlang().calls_to_place(snapshot(ready_agents=3, ringing_ages_s=(1.0,))) == 2


def test_issabel_divides_free_and_finishing_agents_by_the_answer_rate(
    learned_model: LearnedModel,
) -> None:
    # With ~170 s calls, only agents about 9 minutes into a call count as about to free.
    given_snapshot = snapshot(
        ready_agents=1,
        talking_elapsed_s=(30.0, 900.0),
        ringing_ages_s=(5.0, 6.0),
        model=learned_model,
    )
    rate = max(0.2, learned_model.live_rate_last_30_min)

    calls = IssabelErlang().calls_to_place(given_snapshot)

    assert calls == round(2 / rate) - 2


def test_make_strategy_builds_every_named_strategy() -> None:
    for name in STRATEGY_NAMES:
        assert make_strategy(name).name == name


def test_make_strategy_refuses_an_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown pacing strategy 'psychic'"):
        make_strategy("psychic")


seconds = st.floats(min_value=0.0, max_value=2000.0, allow_nan=False)
MODELS = (COLD_MODEL, build_learned_model())


@st.composite
def snapshots(draw: st.DrawFn) -> PacingSnapshot:
    answers = draw(st.integers(min_value=0, max_value=5000))
    answers_this_hour = draw(st.integers(min_value=0, max_value=answers))
    return snapshot(
        now_s=draw(st.floats(min_value=0.0, max_value=30000.0)),
        ready_agents=draw(st.integers(min_value=0, max_value=120)),
        talking_elapsed_s=tuple(draw(st.lists(seconds, max_size=120))),
        wrapping_elapsed_s=tuple(draw(st.lists(seconds, max_size=20))),
        paused_agents=draw(st.integers(min_value=0, max_value=20)),
        ringing_ages_s=tuple(draw(st.lists(st.floats(0.0, 60.0), max_size=150))),
        waiting_calls=draw(st.integers(min_value=0, max_value=10)),
        max_lines=draw(st.integers(min_value=0, max_value=600)),
        abandon_cap=draw(st.floats(min_value=0.001, max_value=0.2)),
        connect_window_s=draw(st.floats(min_value=0.0, max_value=5.0)),
        human_answers_total=answers,
        abandoned_total=draw(st.integers(min_value=0, max_value=answers)),
        human_answers_this_hour=answers_this_hour,
        abandoned_this_hour=draw(st.integers(min_value=0, max_value=answers_this_hour)),
        seconds_into_hour=draw(st.floats(min_value=0.0, max_value=3600.0)),
        model=draw(st.sampled_from(MODELS)),
    )


@settings(max_examples=150, deadline=None)
@given(snapshots(), st.sampled_from(STRATEGY_NAMES))
def test_no_strategy_places_a_negative_count_or_more_than_the_free_lines(
    given_snapshot: PacingSnapshot, name: str
) -> None:
    calls = make_strategy(name).calls_to_place(given_snapshot)

    assert 0 <= calls <= given_snapshot.free_lines


@settings(max_examples=150, deadline=None)
@given(snapshots())
def test_progressive_is_ready_agents_minus_calls_in_flight(given_snapshot: PacingSnapshot) -> None:
    expected = max(
        0,
        min(
            given_snapshot.ready_agents - given_snapshot.calls_in_flight,
            given_snapshot.free_lines,
        ),
    )

    assert progressive_calls(given_snapshot) == expected


@settings(max_examples=150, deadline=None)
@given(snapshots())
def test_predictive_never_places_fewer_calls_than_progressive(
    given_snapshot: PacingSnapshot,
) -> None:
    calls = make_strategy("predictive").calls_to_place(given_snapshot)

    assert calls >= progressive_calls(given_snapshot)


@settings(max_examples=100, deadline=None)
@given(snapshots(), st.sampled_from(STRATEGY_NAMES))
def test_a_strategy_decides_the_same_twice_on_the_same_first_snapshot(
    given_snapshot: PacingSnapshot, name: str
) -> None:
    assert make_strategy(name).calls_to_place(given_snapshot) == make_strategy(name).calls_to_place(
        given_snapshot
    )
