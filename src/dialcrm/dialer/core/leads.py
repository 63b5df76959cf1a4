"""Lead selection: "numbers we know will answer", learned online from outcomes only.

`LeadScorer` is a small logistic model trained one outcome at a time (AdaGrad steps) on one-hot
features of the lead and the moment: local hour, weekday, attempts so far, previous outcome,
list, region, and the crosses list x hour and region x hour (so each segment learns its own best
hours). `score` is the estimated chance that dialling the lead now reaches a live person.

`rank_candidates` orders a hopper: callbacks that are due first (earliest first), then the due
leads by score (retries compete with fresh leads on their score), and, when the campaign redials
only while all agents are busy (the seed's claim 1), redials are held back while an agent is free.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from dialcrm.dialer.core.outcomes import CallOutcome

_MAX_ATTEMPT_FEATURE = 5


@dataclass(frozen=True, slots=True)
class LeadProfile:
    """What the dialer knows about a lead's number, apart from the time of day."""

    list_id: str = ""
    region: str = ""
    attempts: int = 0
    last_outcome: CallOutcome | None = None

    def __post_init__(self) -> None:
        if self.attempts < 0:
            raise ValueError(f"attempts must not be negative (got {self.attempts})")


@dataclass(frozen=True, slots=True)
class LeadCandidate:
    """A lead that could go into the hopper; the caller computes its local hour and weekday."""

    lead_id: Hashable
    profile: LeadProfile
    due_at_s: float
    local_hour: int
    weekday: int
    is_callback: bool = False

    @property
    def is_redial(self) -> bool:
        return self.profile.attempts > 0 and not self.is_callback


def feature_keys(profile: LeadProfile, local_hour: int, weekday: int) -> tuple[str, ...]:
    if not 0 <= local_hour <= 23:
        raise ValueError(f"local_hour must be within 0..23 (got {local_hour})")
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be within 0..6 (got {weekday})")
    attempts = min(profile.attempts, _MAX_ATTEMPT_FEATURE)
    last = profile.last_outcome.value if profile.last_outcome is not None else "new"
    return (
        "bias",
        f"hour={local_hour}",
        f"weekday={weekday}",
        f"attempts={attempts}",
        f"last={last}",
        f"last={last}|attempts={attempts}",
        f"list={profile.list_id}",
        f"region={profile.region}",
        f"list={profile.list_id}|hour={local_hour}",
        f"region={profile.region}|hour={local_hour}",
    )


class LeadScorer:
    """Online logistic regression of "a live person answers" on lead and time features."""

    def __init__(self, *, learning_rate: float = 0.05, prior_rate: float = 0.2) -> None:
        if not 0 < prior_rate < 1:
            raise ValueError("prior_rate must be within (0, 1)")
        self.learning_rate = learning_rate
        self.observations = 0
        self._weights: dict[str, float] = {"bias": math.log(prior_rate / (1 - prior_rate))}
        self._squared_gradients: dict[str, float] = {}

    def score(self, profile: LeadProfile, local_hour: int, weekday: int) -> float:
        """Estimated P(live answer) if the lead is dialled at this local hour and weekday."""
        return self._probability(feature_keys(profile, local_hour, weekday))

    def observe(
        self, profile: LeadProfile, local_hour: int, weekday: int, *, live_answer: bool
    ) -> None:
        """Learn from one dial of a lead with this profile (as it was before the dial)."""
        keys = feature_keys(profile, local_hour, weekday)
        error = self._probability(keys) - (1.0 if live_answer else 0.0)
        weights, squared = self._weights, self._squared_gradients
        squared_error = error * error
        rate = self.learning_rate
        for key in keys:
            accumulated = squared.get(key, 1e-6) + squared_error
            squared[key] = accumulated
            weights[key] = weights.get(key, 0.0) - rate * error / math.sqrt(accumulated)
        self.observations += 1

    def _probability(self, keys: tuple[str, ...]) -> float:
        weights = self._weights
        logit = sum(weights.get(key, 0.0) for key in keys)
        if logit >= 0:
            return 1.0 / (1.0 + math.exp(-logit))
        odds = math.exp(logit)
        return odds / (1.0 + odds)


def rank_candidates(
    candidates: Iterable[LeadCandidate],
    scorer: LeadScorer,
    now_s: float,
    *,
    all_agents_busy: bool,
    redial_only_when_all_agents_busy: bool = False,
) -> list[LeadCandidate]:
    """The due candidates in dialling order (see the module docstring)."""
    callbacks: list[LeadCandidate] = []
    scored: list[tuple[float, float, LeadCandidate]] = []
    hold_redials = redial_only_when_all_agents_busy and not all_agents_busy
    for candidate in candidates:
        if candidate.due_at_s > now_s:
            continue
        if candidate.is_callback:
            callbacks.append(candidate)
        elif not (hold_redials and candidate.is_redial):
            score = scorer.score(candidate.profile, candidate.local_hour, candidate.weekday)
            scored.append((-score, candidate.due_at_s, candidate))
    callbacks.sort(key=lambda candidate: candidate.due_at_s)
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    return callbacks + [candidate for _, _, candidate in scored]
