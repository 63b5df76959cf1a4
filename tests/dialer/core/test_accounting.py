"""Abandon accounting: abandoned / live answers over the regulators' windows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialcrm.dialer.core.accounting import (
    DAY_S,
    HOUR_S,
    US_CAMPAIGN_WINDOW_S,
    AbandonCount,
    AbandonLedger,
)


def ledger_of(calls: list[tuple[float, bool]], *, hour_origin_s: float = 0.0) -> AbandonLedger:
    ledger = AbandonLedger(hour_origin_s=hour_origin_s)
    for answered_at_s, abandoned in calls:
        ledger.record(answered_at_s, abandoned=abandoned)
    return ledger


def test_an_empty_ledger_has_a_zero_rate() -> None:
    ledger = AbandonLedger()

    assert ledger.total == AbandonCount(0, 0)
    assert ledger.total.rate == 0.0
    assert ledger.worst_hour_rate() == 0.0
    assert ledger.worst_rolling_rate(DAY_S) == 0.0


def test_the_rate_is_abandoned_over_live_answers() -> None:
    ledger = ledger_of([(10.0, False), (20.0, True), (30.0, False), (40.0, False)])

    assert ledger.total == AbandonCount(human_answers=4, abandoned=1)
    assert ledger.total.rate == 0.25


def test_hours_are_bucketed_from_the_origin() -> None:
    # Origin at -9 h: time 0 is 09:00 local, so bucket 9 is 09:00-10:00.
    ledger = ledger_of(
        [(0.0, True), (3599.0, False), (3600.0, False), (7300.0, True)],
        hour_origin_s=-9 * HOUR_S,
    )

    assert ledger.hourly() == {
        9: AbandonCount(2, 1),
        10: AbandonCount(1, 0),
        11: AbandonCount(1, 1),
    }
    assert ledger.hour_counts(1800.0) == AbandonCount(2, 1)
    assert ledger.worst_hour_rate() == 1.0
    assert ledger.worst_hour_rate(minimum_answers=2) == 0.5


def test_the_us_window_forgets_calls_older_than_30_days() -> None:
    ledger = ledger_of([(0.0, True), (DAY_S, False), (31 * DAY_S, False)])

    assert ledger.us_campaign_rate(31 * DAY_S) == 0.0
    assert ledger.us_campaign_rate(29 * DAY_S) == 0.5
    assert ledger.window(US_CAMPAIGN_WINDOW_S, US_CAMPAIGN_WINDOW_S) == AbandonCount(1, 0)


def test_the_uk_rolling_24_hours_finds_the_worst_day() -> None:
    # Day 1: 1 abandon in 10 answers; a day later: 3 abandons in 10 answers.
    first = [(i * 60.0, i == 0) for i in range(10)]
    second = [(2 * DAY_S + i * 60.0, i < 3) for i in range(10)]
    ledger = ledger_of(first + second)

    assert ledger.rolling_rate(DAY_S - 1.0, DAY_S) == 0.1
    assert ledger.worst_rolling_rate(DAY_S, minimum_answers=10) == 0.3
    assert ledger.worst_rolling_rate(DAY_S) == 1.0  # the first call of day 2 alone


def test_out_of_order_calls_are_filed_in_order() -> None:
    ledger = ledger_of([(100.0, False), (50.0, True)])

    assert ledger.window(60.0, 20.0) == AbandonCount(1, 1)


def test_a_non_finite_time_is_refused() -> None:
    with pytest.raises(ValueError, match="answered_at_s must be a finite number"):
        AbandonLedger().record(float("nan"), abandoned=False)


def test_forgetting_old_calls_keeps_the_hour_buckets() -> None:
    ledger = ledger_of([(10.0, True), (5000.0, False)])

    ledger.forget_before(4000.0)

    assert ledger.total == AbandonCount(1, 0)
    assert ledger.hourly() == {0: AbandonCount(1, 1), 1: AbandonCount(1, 0)}


calls = st.lists(
    st.tuples(st.floats(min_value=0, max_value=5 * DAY_S, allow_nan=False), st.booleans()),
    max_size=60,
)


@given(calls)
def test_rates_are_probabilities_and_hours_add_up_to_the_total(
    recorded: list[tuple[float, bool]],
) -> None:
    ledger = ledger_of(recorded)

    hourly = ledger.hourly().values()
    assert sum(count.human_answers for count in hourly) == ledger.human_answers
    assert sum(count.abandoned for count in hourly) == ledger.abandoned
    assert ledger.abandoned <= ledger.human_answers
    for rate in (
        ledger.total.rate,
        ledger.worst_hour_rate(),
        ledger.worst_rolling_rate(DAY_S),
        ledger.us_campaign_rate(5 * DAY_S),
    ):
        assert 0.0 <= rate <= 1.0


@given(calls, st.floats(min_value=0, max_value=5 * DAY_S, allow_nan=False))
def test_a_window_never_counts_more_than_the_whole(
    recorded: list[tuple[float, bool]], now_s: float
) -> None:
    ledger = ledger_of(recorded)

    window = ledger.window(now_s, DAY_S)

    assert window.abandoned <= window.human_answers <= ledger.human_answers
    assert ledger.window(10 * DAY_S, 20 * DAY_S) == ledger.total


@given(calls)
def test_the_worst_rolling_day_is_at_least_any_day_ending_at_a_call(
    recorded: list[tuple[float, bool]],
) -> None:
    ledger = ledger_of(recorded)

    worst = ledger.worst_rolling_rate(DAY_S)

    for answered_at_s, _ in recorded:
        assert ledger.rolling_rate(answered_at_s, DAY_S) <= worst + 1e-12
