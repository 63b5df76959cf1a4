"""The observable state a pacing strategy decides from: nothing a real dialer could not know."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dialcrm.dialer.core.learning import COLD_MODEL, LearnedModel


@dataclass(frozen=True, slots=True)
class PacingSnapshot:
    """One campaign's observable state at `now_s`; impossible values raise `ValueError`.

    Lines in use are the ringing calls, the live calls waiting for an agent and the calls being
    talked (a wrapping-up agent holds no line).
    """

    now_s: float
    ready_agents: int
    talking_elapsed_s: tuple[float, ...]
    """Seconds each talking agent has been in the current call."""
    wrapping_elapsed_s: tuple[float, ...]
    """Seconds each wrapping-up agent has been wrapping up."""
    paused_agents: int
    ringing_ages_s: tuple[float, ...]
    """Seconds since each dial that has not yet been answered or ended."""
    waiting_calls: int
    """Live answers waiting in the queue for an agent (at most the connect window)."""
    max_lines: int
    abandon_cap: float
    connect_window_s: float
    abandoned_total: int
    """Abandoned calls in the campaign's regulatory window (US: life up to 30 days)."""
    human_answers_total: int
    abandoned_this_hour: int
    human_answers_this_hour: int
    seconds_into_hour: float
    model: LearnedModel = COLD_MODEL
    minimum_ring_s: float = 15.0
    """An unanswered call may be hung up once it has rung this long (US TSR, Ofcom: 15 s)."""

    def __post_init__(self) -> None:
        for name in (
            "ready_agents",
            "paused_agents",
            "waiting_calls",
            "max_lines",
            "abandoned_total",
            "human_answers_total",
            "abandoned_this_hour",
            "human_answers_this_hour",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number (got {value!r})")
            if value < 0:
                raise ValueError(f"{name} must not be negative (got {value})")
        for name in ("talking_elapsed_s", "wrapping_elapsed_s", "ringing_ages_s"):
            values = getattr(self, name)
            if values and (not math.isfinite(sum(values)) or min(values) < 0):
                raise ValueError(f"{name} must hold finite, non-negative seconds")
        if not math.isfinite(self.now_s):
            raise ValueError(f"now_s must be finite (got {self.now_s})")
        if not 0 < self.abandon_cap < 1:
            raise ValueError(f"abandon_cap must be between 0 and 1 (got {self.abandon_cap})")
        if not (math.isfinite(self.connect_window_s) and self.connect_window_s >= 0):
            raise ValueError(f"connect_window_s must not be negative (got {self.connect_window_s})")
        if not self.minimum_ring_s >= 0:
            raise ValueError(f"minimum_ring_s must not be negative (got {self.minimum_ring_s})")
        if not 0 <= self.seconds_into_hour <= 3600:
            raise ValueError(f"seconds_into_hour must be within 0..3600 ({self.seconds_into_hour})")
        if self.abandoned_total > self.human_answers_total:
            raise ValueError("abandoned_total must not exceed human_answers_total")
        if self.abandoned_this_hour > self.human_answers_this_hour:
            raise ValueError("abandoned_this_hour must not exceed human_answers_this_hour")

    @property
    def talking_agents(self) -> int:
        return len(self.talking_elapsed_s)

    @property
    def wrapping_agents(self) -> int:
        return len(self.wrapping_elapsed_s)

    @property
    def ringing_calls(self) -> int:
        return len(self.ringing_ages_s)

    @property
    def working_agents(self) -> int:
        """Logged-in agents not on pause: ready, talking or wrapping up."""
        return self.ready_agents + len(self.talking_elapsed_s) + len(self.wrapping_elapsed_s)

    @property
    def lines_in_use(self) -> int:
        return len(self.ringing_ages_s) + self.waiting_calls + len(self.talking_elapsed_s)

    @property
    def free_lines(self) -> int:
        return max(0, self.max_lines - self.lines_in_use)

    @property
    def calls_in_flight(self) -> int:
        """Placed calls not yet with an agent: ringing, or answered and waiting."""
        return len(self.ringing_ages_s) + self.waiting_calls
