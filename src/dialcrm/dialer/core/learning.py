"""What the dialer learns from what it observes, summarised for pacing as a `LearnedModel`.

`PacingLearner` is fed only observable events: how each dial ended and after how long, how long
each handled call lasted (talk, wrap-up), whether the agent came back ready afterwards. It starts
cold (no history) and follows drift: the live-answer rate is an exponentially weighted estimate
backed by per-hour-of-day counts, and the duration shapes come from sliding windows.

The model is rebuilt at most every `rebuild_interval_s` (cheap to read, stable between rebuilds,
so strategies may cache tables derived from it by `handle_version` / `ring_version`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

_MIN_HANDLED_FOR_SHAPES = 10
_MIN_DIALS_FOR_SHAPES = 20
_MAX_TABLE_S = 7200


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """Rates and duration shapes learned so far (all from observable events).

    Survival tables are indexed by whole seconds: `talk_survival[k]` = P(talk > k s). An empty
    table means "not enough data yet".
    """

    live_rate: float
    """Best current estimate of P(a new dial ends with a live person for an agent)."""
    live_rate_last_30_min: float
    """Plain share of live answers among dials that ended in the last 30 minutes (0 if none)."""
    dials_last_30_min: int
    dials_observed: int
    handled_calls: int
    mean_talk_s: float
    mean_wrap_s: float
    mean_live_answer_s: float
    ready_after_call_rate: float
    """Share of handled calls after which the agent went ready (not paused or logged out)."""
    talk_survival: tuple[float, ...] = ()
    """Kaplan-Meier: while long calls are still going it ends above 0 (the unknown tail)."""
    wrap_cdf: tuple[float, ...] = ()
    """P(wrap <= k s)."""
    live_answer_survival: tuple[float, ...] = ()
    """P(time to a live answer > k s | the dial ends live)."""
    other_end_survival: tuple[float, ...] = ()
    """P(time to the end of the dial > k s | the dial does not end live)."""
    handle_version: int = 0
    ring_version: int = 0

    @property
    def mean_handle_s(self) -> float:
        return self.mean_talk_s + self.mean_wrap_s

    @property
    def knows_handle_times(self) -> bool:
        return bool(self.talk_survival)

    @property
    def knows_ring_times(self) -> bool:
        return bool(self.live_answer_survival) and bool(self.other_end_survival)


COLD_MODEL = LearnedModel(
    live_rate=1.0,
    live_rate_last_30_min=0.0,
    dials_last_30_min=0,
    dials_observed=0,
    handled_calls=0,
    mean_talk_s=0.0,
    mean_wrap_s=0.0,
    mean_live_answer_s=0.0,
    ready_after_call_rate=0.9,
)


class PacingLearner:
    """Learns live-answer rates and duration shapes online from observable events."""

    def __init__(
        self,
        *,
        live_rate_half_life_dials: float = 600.0,
        prior_live_rate: float = 1.0,
        prior_weight_dials: float = 50.0,
        handled_window: int = 800,
        ring_window: int = 3000,
        rebuild_interval_s: float = 15.0,
    ) -> None:
        if not 0 < prior_live_rate <= 1:
            raise ValueError("prior_live_rate must be within (0, 1]")
        self._decay = 0.5 ** (1.0 / live_rate_half_life_dials)
        self._prior_live_rate = prior_live_rate
        self._prior_weight = prior_weight_dials
        self._rebuild_interval_s = rebuild_interval_s
        self._weighted_dials = 0.0
        self._weighted_live = 0.0
        self._dials = 0
        self._live = 0.0
        self._hour_counts: dict[int, list[float]] = {}
        self._recent: deque[tuple[float, float]] = deque()
        self._recent_live = 0.0
        self._live_answer_times: deque[float] = deque(maxlen=ring_window)
        self._other_end_times: deque[float] = deque(maxlen=ring_window)
        self._handled: deque[tuple[float, float, float]] = deque(maxlen=handled_window)
        self._handled_total = 0
        self._ready_after_call = 0.9
        self._handled_since_build = 0
        self._ring_since_build = 0
        self._model = COLD_MODEL
        self._built_at_s = -math.inf
        self._talk_survival: tuple[float, ...] = ()
        self._wrap_cdf: tuple[float, ...] = ()
        self._live_answer_survival: tuple[float, ...] = ()
        self._other_end_survival: tuple[float, ...] = ()
        self._handle_version = 0
        self._ring_version = 0
        self._mean_talk_s = 0.0
        self._mean_wrap_s = 0.0

    def record_dial_result(
        self, at_s: float, ring_s: float, *, is_live: bool, hour_of_day: int
    ) -> None:
        """A dial ended (or was answered) `ring_s` after it was placed; live = sent to agents."""
        decay = self._decay
        self._weighted_dials = self._weighted_dials * decay + 1.0
        self._weighted_live = self._weighted_live * decay + (1.0 if is_live else 0.0)
        self._dials += 1
        counts = self._hour_counts.get(hour_of_day)
        if counts is None:
            counts = self._hour_counts[hour_of_day] = [0.0, 0.0]
        counts[0] += 1.0
        if is_live:
            self._live += 1.0
            counts[1] += 1.0
            self._recent_live += 1.0
            self._live_answer_times.append(ring_s)
        else:
            self._other_end_times.append(ring_s)
        self._recent.append((at_s, 1.0 if is_live else 0.0))
        self._ring_since_build += 1

    def record_released(self, at_s: float, ring_s: float, *, hour_of_day: int) -> None:
        """The dialer hung up a call still ringing after `ring_s`: its outcome is unknown.

        It counts as a dial that would have come live with the probability the current model
        gives a call still ringing at that age (so releasing does not bias the live rate); the
        duration shapes leave it out (the release does not depend on the call's own fate, so
        what was observed stays representative past that age).
        """
        live_share = self._live_share_at(ring_s)
        decay = self._decay
        self._weighted_dials = self._weighted_dials * decay + 1.0
        self._weighted_live = self._weighted_live * decay + live_share
        self._dials += 1
        self._live += live_share
        counts = self._hour_counts.get(hour_of_day)
        if counts is None:
            counts = self._hour_counts[hour_of_day] = [0.0, 0.0]
        counts[0] += 1.0
        counts[1] += live_share
        self._recent.append((at_s, live_share))
        self._recent_live += live_share

    def _live_share_at(self, ring_s: float) -> float:
        model = self._model
        live_rate = model.live_rate
        live_survival = model.live_answer_survival
        other_survival = model.other_end_survival
        if not (live_survival and other_survival):
            return live_rate
        second = int(ring_s)
        still_live = live_rate * (live_survival[second] if second < len(live_survival) else 0.0)
        still_other = (1.0 - live_rate) * (
            other_survival[second] if second < len(other_survival) else 0.0
        )
        ringing = still_live + still_other
        return still_live / ringing if ringing > 0 else 0.0

    def record_handled_call(
        self, talk_s: float, wrap_s: float, *, went_ready: bool, ended_at_s: float
    ) -> None:
        """An agent finished a call (talk then wrap-up) at `ended_at_s` and went ready, or paused
        or logged out."""
        self._handled.append((ended_at_s - wrap_s - talk_s, talk_s, wrap_s))
        self._handled_total += 1
        self._handled_since_build += 1
        self._ready_after_call += 0.02 * ((1.0 if went_ready else 0.0) - self._ready_after_call)

    def model(
        self,
        now_s: float,
        hour_of_day: int,
        *,
        talking_elapsed_s: tuple[float, ...] = (),
        wrapping_elapsed_s: tuple[float, ...] = (),
    ) -> LearnedModel:
        """The current model; rebuilt when stale, or early on while shapes are still forming.

        The calls agents are on now (seconds talked, seconds wrapped) are the censored part of
        the handle-time sample: without them the first calls to finish, the short ones, would
        make everybody look about to free.
        """
        early = self._handled_total < 5 * _MIN_HANDLED_FOR_SHAPES and self._handled_since_build
        if now_s - self._built_at_s < self._rebuild_interval_s and not early:
            return self._model
        self._built_at_s = now_s
        self._drop_older_than(now_s - 1800.0)
        if self._handled_since_build and (
            self._handled_since_build >= 20 or self._handled_total < 100
        ):
            self._rebuild_handle_shapes(now_s, talking_elapsed_s, wrapping_elapsed_s)
        if self._ring_since_build and (
            self._ring_since_build >= 100 or self._dials < 10 * _MIN_DIALS_FOR_SHAPES
        ):
            self._rebuild_ring_shapes()
        recent_dials = len(self._recent)
        self._model = LearnedModel(
            live_rate=self._live_rate(hour_of_day),
            live_rate_last_30_min=self._recent_live / recent_dials if recent_dials else 0.0,
            dials_last_30_min=recent_dials,
            dials_observed=self._dials,
            handled_calls=self._handled_total,
            mean_talk_s=self._mean_talk_s,
            mean_wrap_s=self._mean_wrap_s,
            mean_live_answer_s=(
                sum(self._live_answer_times) / len(self._live_answer_times)
                if self._live_answer_times
                else 0.0
            ),
            ready_after_call_rate=self._ready_after_call,
            talk_survival=self._talk_survival,
            wrap_cdf=self._wrap_cdf,
            live_answer_survival=self._live_answer_survival,
            other_end_survival=self._other_end_survival,
            handle_version=self._handle_version,
            ring_version=self._ring_version,
        )
        return self._model

    def _live_rate(self, hour_of_day: int) -> float:
        hour = self._hour_counts.get(hour_of_day)
        if hour is not None and hour[0] >= 100:
            prior = hour[1] / hour[0]
        elif self._dials >= 100:
            prior = self._live / self._dials
        else:
            prior = self._prior_live_rate
        return (self._weighted_live + self._prior_weight * prior) / (
            self._weighted_dials + self._prior_weight
        )

    def _drop_older_than(self, cutoff_s: float) -> None:
        recent = self._recent
        while recent and recent[0][0] < cutoff_s:
            self._recent_live -= recent.popleft()[1]

    def _rebuild_handle_shapes(
        self,
        now_s: float,
        talking_elapsed_s: tuple[float, ...],
        wrapping_elapsed_s: tuple[float, ...],
    ) -> None:
        self._handled_since_build = 0
        handled = self._handled
        if len(handled) < _MIN_HANDLED_FOR_SHAPES:
            return
        # The cohort: calls that started since the oldest one remembered, finished or not
        # (all of them while nothing has been forgotten yet).
        cohort_start_s = (
            min(started for started, _, _ in handled)
            if self._handled_total > len(handled)
            else -math.inf
        )
        talks = [talk for _, talk, _ in handled]
        wraps = [wrap for _, _, wrap in handled]
        ongoing_talks = [
            elapsed for elapsed in talking_elapsed_s if now_s - elapsed >= cohort_start_s
        ]
        talk_survival = survival_table(talks, censored=ongoing_talks)
        wrap_survival = survival_table(wraps, censored=wrapping_elapsed_s)
        self._mean_talk_s = sum(talk_survival)
        self._mean_wrap_s = sum(wrap_survival)
        # While the longest calls are still going the tables end above 0: beyond their end
        # nothing is known, and readers must assume nobody frees there.
        self._talk_survival = talk_survival
        self._wrap_cdf = tuple(1.0 - p for p in wrap_survival)
        self._handle_version += 1

    def _rebuild_ring_shapes(self) -> None:
        self._ring_since_build = 0
        if (
            len(self._live_answer_times) < _MIN_DIALS_FOR_SHAPES // 4
            or len(self._other_end_times) < _MIN_DIALS_FOR_SHAPES
        ):
            return
        self._live_answer_survival = survival_table(self._live_answer_times)
        self._other_end_survival = survival_table(self._other_end_times)
        self._ring_version += 1


def survival_table(samples: Sequence[float], censored: Sequence[float] = ()) -> tuple[float, ...]:
    """P(X > k) for k = 0, 1, ... (Kaplan-Meier when some observations are `censored`, i.e. only
    known to last longer than the given value); ends at the largest observation."""
    if not samples:
        return ()
    top = min(math.ceil(max(max(samples), max(censored, default=0.0))), _MAX_TABLE_S)
    # An observation x is > k for k = 0 .. ceil(x) - 1: it leaves the risk set at ceil(x).
    ends = [0] * (top + 1)
    leaves = [0] * (top + 1)
    for sample in samples:
        second = min(math.ceil(sample), top)
        ends[second] += 1
        leaves[second] += 1
    for sample in censored:
        leaves[min(math.ceil(sample), top)] += 1
    survival: list[float] = []
    at_risk = len(samples) + len(censored)
    alive = 1.0
    for second in range(top + 1):
        if at_risk:
            alive *= 1.0 - ends[second] / at_risk
        at_risk -= leaves[second]
        survival.append(alive)
    return tuple(survival)
