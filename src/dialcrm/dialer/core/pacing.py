"""Pacing strategies: how many calls to place now, from an observable `PacingSnapshot`.

Every strategy has a `name` and `calls_to_place(snapshot) -> int`, never negative and never more
than the snapshot's free lines. Stateless ones are plain functions wrapped in a class; the adaptive
ones keep a little state derived only from the snapshots they were shown, so one instance serves
one campaign. `make_strategy(name)` builds any of them by its CLI name.

- `progressive`: one call per ready agent that has no call coming.
- `ratio`: a fixed dial level times working agents, minus lines in use.
- `vicidial-adapt`: VICIdial's ADAPT_TAPERED, re-implemented from its documented behaviour.
- `issabel-erlang`: Issabel's predictor, from its documented behaviour.
- `predictive`: ours, see `dialcrm.dialer.core.predictive`.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Protocol, runtime_checkable

from dialcrm.dialer.core.predictive import PacingDecision, Predictive, PredictiveSettings
from dialcrm.dialer.core.snapshot import PacingSnapshot


class PacingStrategy(Protocol):
    name: str

    def calls_to_place(self, snapshot: PacingSnapshot) -> int: ...


@runtime_checkable
class RingTimeManagingStrategy(Protocol):
    """A strategy that may also hang up unanswered calls that have rung the minimum time."""

    name: str

    def calls_to_place(self, snapshot: PacingSnapshot) -> int: ...

    def decide(self, snapshot: PacingSnapshot, *, release: bool = True) -> PacingDecision: ...


def within_lines(calls: int, snapshot: PacingSnapshot) -> int:
    """Clamp a wish to what the trunks allow: 0 .. free lines."""
    return max(0, min(calls, snapshot.free_lines))


def progressive_calls(snapshot: PacingSnapshot) -> int:
    """Ready agents minus the calls already coming to them (ringing or waiting)."""
    return within_lines(
        snapshot.ready_agents - len(snapshot.ringing_ages_s) - snapshot.waiting_calls, snapshot
    )


def ratio_calls(snapshot: PacingSnapshot, dial_level: float) -> int:
    """round(dial level x working agents) lines, minus the lines already in use."""
    wanted = math.floor(dial_level * snapshot.working_agents + 0.5)
    return within_lines(wanted - snapshot.lines_in_use, snapshot)


class Progressive:
    name = "progressive"

    def calls_to_place(self, snapshot: PacingSnapshot) -> int:
        return progressive_calls(snapshot)


class Ratio:
    name = "ratio"

    def __init__(self, dial_level: float = 2.0) -> None:
        if not dial_level >= 1.0:
            raise ValueError(f"dial_level must be at least 1.0 (got {dial_level})")
        self.dial_level = dial_level

    def calls_to_place(self, snapshot: PacingSnapshot) -> int:
        return ratio_calls(snapshot, self.dial_level)


class VicidialAdapt:
    """VICIdial ADAPT_TAPERED, from its documented behaviour (docs: reference/dialing.md).

    - Samples ready agents and waiting calls every second; every 15 s moves the dial level by
      (avg ready - avg waiting) / avg agents, within 1.0 .. `max_level` (3.0).
    - If more than half of the last minute's live answers (over 20) were dropped, halves it.
    - While today's drop rate (drops / live answers, after 50 answers) is above the cap, TAPERED
      pulls the level toward 1.0 at each adjustment, scaling its excess over 1.0 by the share of
      the calling day still ahead: gentle early, strict toward the campaign's latest hour
      (VICIdial lets the drop rate run over early in the shift and gets stricter as it goes on).
    - Every 2.5 s places round(level x counted agents) - lines in use; counted agents are
      ready, talking and wrapping-up ones.
    """

    name = "vicidial-adapt"

    def __init__(
        self,
        *,
        day_start_s: float,
        day_end_s: float,
        initial_level: float = 1.0,
        max_level: float = 3.0,
    ) -> None:
        if day_end_s <= day_start_s:
            raise ValueError("day_end_s must be after day_start_s")
        self.day_start_s = day_start_s
        self.day_end_s = day_end_s
        self.max_level = max_level
        self.dial_level = initial_level
        self._samples: list[tuple[int, int, int]] = []
        self._last_sample_s = -math.inf
        self._last_adjust_s: float | None = None
        self._last_dial_s = -math.inf
        self._minute: deque[tuple[float, int, int]] = deque()

    def calls_to_place(self, snapshot: PacingSnapshot) -> int:
        now = snapshot.now_s
        if now - self._last_sample_s >= 1.0:
            self._last_sample_s = now
            self._samples.append(
                (snapshot.ready_agents, snapshot.waiting_calls, snapshot.working_agents)
            )
            self._minute.append((now, snapshot.human_answers_total, snapshot.abandoned_total))
            while self._minute and self._minute[0][0] < now - 60.0:
                self._minute.popleft()
        if self._last_adjust_s is None:
            self._last_adjust_s = now
        elif now - self._last_adjust_s >= 15.0:
            self._last_adjust_s = now
            self._adjust(snapshot)
        if now - self._last_dial_s < 2.5:
            return 0
        self._last_dial_s = now
        return ratio_calls(snapshot, self.dial_level)

    def _adjust(self, snapshot: PacingSnapshot) -> None:
        samples, self._samples = self._samples, []
        if samples:
            count = len(samples)
            average_ready = sum(sample[0] for sample in samples) / count
            average_waiting = sum(sample[1] for sample in samples) / count
            average_agents = sum(sample[2] for sample in samples) / count
            if average_agents > 0:
                self.dial_level += (average_ready - average_waiting) / average_agents
        self.dial_level = min(self.max_level, max(1.0, self.dial_level))
        if self._minute:
            _, answers_then, drops_then = self._minute[0]
            answers = snapshot.human_answers_total - answers_then
            drops = snapshot.abandoned_total - drops_then
            if answers > 20 and drops > answers / 2:
                self.dial_level = max(1.0, self.dial_level / 2)
        answers_today = snapshot.human_answers_total
        if answers_today > 50 and snapshot.abandoned_total / answers_today > snapshot.abandon_cap:
            day = self.day_end_s - self.day_start_s
            remaining = min(1.0, max(0.0, (self.day_end_s - snapshot.now_s) / day))
            self.dial_level = 1.0 + (self.dial_level - 1.0) * remaining


class IssabelErlang:
    """Issabel's predictor, from its documented behaviour (docs: reference/dialing.md).

    calls = (free agents + busy agents about to free - waiting calls) / recent answer rate,
    minus the calls already ringing. A busy agent is about to free when
    1 - exp(-(t + average answer time) / average call duration) >= 0.97, t = seconds in call.
    Until 10 calls have been handled only free agents count; the answer rate is the last 30
    minutes' (at least 0.20).
    """

    name = "issabel-erlang"
    probability_threshold = 0.97
    minimum_handled_calls = 10
    minimum_answer_rate = 0.20

    def calls_to_place(self, snapshot: PacingSnapshot) -> int:
        model = snapshot.model
        free = snapshot.ready_agents - snapshot.waiting_calls
        if model.handled_calls < self.minimum_handled_calls or model.mean_handle_s <= 0:
            return within_lines(free - len(snapshot.ringing_ages_s), snapshot)
        # 1 - exp(-(t + a) / d) >= p  <=>  t >= -ln(1 - p) * d - a
        threshold_s = (
            -math.log(1.0 - self.probability_threshold) * model.mean_handle_s
            - model.mean_live_answer_s
        )
        about_to_free = sum(1 for t in snapshot.talking_elapsed_s if t >= threshold_s)
        wrap_threshold_s = threshold_s - model.mean_talk_s
        about_to_free += sum(1 for t in snapshot.wrapping_elapsed_s if t >= wrap_threshold_s)
        answer_rate = model.live_rate_last_30_min if model.dials_last_30_min else 1.0
        answer_rate = max(answer_rate, self.minimum_answer_rate)
        wanted = math.floor((free + about_to_free) / answer_rate + 0.5)
        return within_lines(wanted - len(snapshot.ringing_ages_s), snapshot)


STRATEGY_NAMES = ("progressive", "ratio", "vicidial-adapt", "issabel-erlang", "predictive")


def make_strategy(
    name: str,
    *,
    day_start_s: float = 0.0,
    day_end_s: float = 8 * 3600.0,
    dial_level: float = 2.0,
    predictive_settings: PredictiveSettings | None = None,
) -> PacingStrategy:
    """Build a fresh strategy by name (one instance per campaign: some keep state)."""
    if name == "progressive":
        return Progressive()
    if name == "ratio":
        return Ratio(dial_level)
    if name == "vicidial-adapt":
        return VicidialAdapt(day_start_s=day_start_s, day_end_s=day_end_s)
    if name == "issabel-erlang":
        return IssabelErlang()
    if name == "predictive":
        return Predictive(predictive_settings or PredictiveSettings())
    raise ValueError(
        f"unknown pacing strategy {name!r} (expected one of {', '.join(STRATEGY_NAMES)})"
    )
