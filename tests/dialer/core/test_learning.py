"""What the dialer learns from observable events."""

from __future__ import annotations

import pytest

from dialcrm.dialer.core.learning import COLD_MODEL, PacingLearner, survival_table


def test_survival_table_counts_what_lasts_longer_than_each_second() -> None:
    assert survival_table([0.5, 1.0, 2.5, 3.0]) == (1.0, 0.5, 0.5, 0.0)


def test_censored_observations_keep_the_survival_up() -> None:
    # Two calls ended at 1 s; two are still going after 3 s: half survive for sure.
    assert survival_table([1.0, 1.0], censored=[3.0, 3.0]) == (1.0, 0.5, 0.5, 0.5)


def test_an_empty_sample_gives_an_empty_table() -> None:
    assert survival_table([]) == ()


def test_a_new_learner_gives_the_cold_model() -> None:
    model = PacingLearner().model(0.0, 9)

    assert model.live_rate == 1.0
    assert not model.knows_handle_times
    assert not model.knows_ring_times
    assert model == COLD_MODEL


def test_the_live_rate_moves_from_the_prior_to_what_is_seen() -> None:
    learner = PacingLearner(rebuild_interval_s=0.0)
    for second in range(3000):
        learner.record_dial_result(float(second), 10.0, is_live=second % 5 == 0, hour_of_day=10)

    model = learner.model(3000.0, 10)

    assert model.live_rate == pytest.approx(0.2, abs=0.01)
    assert model.live_rate_last_30_min == pytest.approx(0.2, abs=0.001)
    assert model.dials_last_30_min == 1800
    assert model.knows_ring_times


def test_the_live_rate_follows_a_drop_within_a_few_half_lives() -> None:
    learner = PacingLearner(rebuild_interval_s=0.0, live_rate_half_life_dials=300.0)
    for second in range(2000):
        learner.record_dial_result(float(second), 10.0, is_live=second % 5 == 0, hour_of_day=10)
    for second in range(2000, 4000):
        learner.record_dial_result(float(second), 10.0, is_live=second % 10 == 0, hour_of_day=11)

    assert learner.model(4000.0, 11).live_rate == pytest.approx(0.1, abs=0.01)


def test_calls_still_going_keep_the_talk_table_open() -> None:
    learner = PacingLearner(rebuild_interval_s=0.0)
    for index in range(20):
        learner.record_handled_call(10.0, 5.0, went_ready=True, ended_at_s=100.0 + index)

    # Thirty calls started at 90 s are still being talked: 20 of 50 ended at 10 s, the rest
    # are only known to last more than 30 s.
    still_talking = learner.model(120.0, 9, talking_elapsed_s=(30.0,) * 30)
    for index in range(20, 60):
        learner.record_handled_call(45.0, 5.0, went_ready=True, ended_at_s=130.0 + index)
    all_done = learner.model(300.0, 9)

    assert len(still_talking.talk_survival) == 31
    assert still_talking.talk_survival[9:11] == (1.0, 0.6)
    assert still_talking.talk_survival[-1] == pytest.approx(0.6)
    assert all_done.talk_survival[-1] == 0.0
    assert all_done.mean_talk_s == pytest.approx(33.33, abs=0.01)


def test_agents_who_pause_after_calls_lower_the_ready_after_call_rate() -> None:
    learner = PacingLearner(rebuild_interval_s=0.0)
    for index in range(200):
        learner.record_handled_call(100.0, 10.0, went_ready=index % 2 == 0, ended_at_s=float(index))

    assert learner.model(300.0, 9).ready_after_call_rate == pytest.approx(0.5, abs=0.05)


def test_a_prior_rate_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="prior_live_rate must be within"):
        PacingLearner(prior_live_rate=0.0)


def test_a_released_call_counts_as_the_live_share_of_calls_still_ringing_at_its_age() -> None:
    learner = PacingLearner(rebuild_interval_s=0.0)
    # Live answers come at 5 s; everything else rings out at 25 s: a call still ringing
    # at 10 s will not be live.
    for second in range(1000):
        is_live = second % 4 == 0
        learner.record_dial_result(
            float(second), 5.0 if is_live else 25.0, is_live=is_live, hour_of_day=10
        )
    before = learner.model(1000.0, 10).live_rate

    for second in range(1000, 1300):
        learner.record_released(float(second), 10.0, hour_of_day=10)

    assert before == pytest.approx(0.25, abs=0.02)
    assert learner.model(1300.0, 10).live_rate < before * 0.8
