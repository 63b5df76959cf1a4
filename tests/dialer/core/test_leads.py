"""Lead selection: the online scorer and the hopper order."""

from __future__ import annotations

import random

import pytest

from dialcrm.dialer.core.leads import (
    LeadCandidate,
    LeadProfile,
    LeadScorer,
    feature_keys,
    rank_candidates,
)
from dialcrm.dialer.core.outcomes import CallOutcome

MORNING_LIST = LeadProfile(list_id="retired", region="north")
EVENING_LIST = LeadProfile(list_id="workers", region="south")


def trained_scorer() -> LeadScorer:
    """Retired people answer in the morning (40%), workers in the evening (40%), else 5%."""
    rng = random.Random(11)
    scorer = LeadScorer()
    for _ in range(6000):
        hour = rng.choice((9, 18))
        profile = rng.choice((MORNING_LIST, EVENING_LIST))
        good_time = (profile is MORNING_LIST) == (hour == 9)
        answered = rng.random() < (0.4 if good_time else 0.05)
        scorer.observe(profile, hour, 2, live_answer=answered)
    return scorer


def test_an_untrained_scorer_scores_the_prior_rate() -> None:
    assert LeadScorer(prior_rate=0.2).score(MORNING_LIST, 9, 2) == pytest.approx(0.2)


def test_the_scorer_learns_each_list_best_hour() -> None:
    scorer = trained_scorer()

    # An online estimate: near the truth, and above all in the right order.
    assert scorer.score(MORNING_LIST, 9, 2) == pytest.approx(0.4, abs=0.06)
    assert scorer.score(MORNING_LIST, 18, 2) == pytest.approx(0.05, abs=0.03)
    assert scorer.score(MORNING_LIST, 9, 2) > 4 * scorer.score(MORNING_LIST, 18, 2)
    assert scorer.score(EVENING_LIST, 18, 2) > scorer.score(EVENING_LIST, 9, 2)
    assert scorer.observations == 6000


def test_the_scorer_learns_that_repeated_no_answers_answer_less() -> None:
    scorer = LeadScorer()
    rng = random.Random(3)
    fresh = LeadProfile()
    tired = LeadProfile(attempts=3, last_outcome=CallOutcome.NO_ANSWER)
    for _ in range(3000):
        scorer.observe(fresh, 12, 1, live_answer=rng.random() < 0.3)
        scorer.observe(tired, 12, 1, live_answer=rng.random() < 0.05)

    assert scorer.score(fresh, 12, 1) > 2 * scorer.score(tired, 12, 1)


def candidate(
    lead_id: str,
    profile: LeadProfile,
    *,
    due_at_s: float = 0.0,
    hour: int = 9,
    is_callback: bool = False,
) -> LeadCandidate:
    return LeadCandidate(lead_id, profile, due_at_s, hour, 2, is_callback=is_callback)


def test_due_callbacks_come_first_then_leads_by_score() -> None:
    scorer = trained_scorer()
    candidates = [
        candidate("evening", EVENING_LIST),
        candidate("morning", MORNING_LIST),
        candidate("callback-late", EVENING_LIST, due_at_s=50.0, is_callback=True),
        candidate("callback-early", EVENING_LIST, due_at_s=10.0, is_callback=True),
        candidate("not-due", MORNING_LIST, due_at_s=500.0),
    ]

    order = rank_candidates(candidates, scorer, 100.0, all_agents_busy=False)

    assert [c.lead_id for c in order] == ["callback-early", "callback-late", "morning", "evening"]


def test_redials_wait_for_all_agents_busy_when_the_campaign_says_so() -> None:
    scorer = LeadScorer()
    redial = LeadProfile(attempts=1, last_outcome=CallOutcome.BUSY)
    candidates = [candidate("fresh", LeadProfile()), candidate("redial", redial)]

    while_free = rank_candidates(
        candidates, scorer, 0.0, all_agents_busy=False, redial_only_when_all_agents_busy=True
    )
    while_busy = rank_candidates(
        candidates, scorer, 0.0, all_agents_busy=True, redial_only_when_all_agents_busy=True
    )

    assert [c.lead_id for c in while_free] == ["fresh"]
    assert {c.lead_id for c in while_busy} == {"fresh", "redial"}


def test_feature_keys_refuse_an_impossible_hour_or_weekday() -> None:
    with pytest.raises(ValueError, match="local_hour must be within 0..23"):
        feature_keys(LeadProfile(), 24, 0)
    with pytest.raises(ValueError, match="weekday must be within 0..6"):
        feature_keys(LeadProfile(), 9, 7)


def test_a_negative_attempt_count_is_refused() -> None:
    with pytest.raises(ValueError, match="attempts must not be negative"):
        LeadProfile(attempts=-1)
