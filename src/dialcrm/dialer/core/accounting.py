"""Abandon accounting as regulators define it: abandoned calls / calls answered by a live person.

Times are float seconds (the engine passes aware datetimes as `.timestamp()`); a call is filed at
the moment a live person answered it. Windows:

- US (FCC / FTC TSR): per campaign over its life, at most the last 30 days -> `us_campaign_rate`.
- UK (Ofcom): any 24 hours -> `rolling_rate(now, DAY_S)` now, `worst_rolling_rate(DAY_S)` over
  the whole record (trailing windows ending at each live answer).
- Per clock hour -> `hour_counts`, `hourly`, `worst_hour_rate`.

The abandon guard (`guarded_rate`): while the rate is at the cap in a legal window, a campaign
dials one call per ready agent (VICIdial's ADAPT_HARD_LIMIT), in the engine and the simulator.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S
US_CAMPAIGN_WINDOW_S = 30 * DAY_S


@dataclass(frozen=True, slots=True)
class AbandonCount:
    """Live answers and how many of them were abandoned, over some window."""

    human_answers: int
    abandoned: int

    @property
    def rate(self) -> float:
        return self.abandoned / self.human_answers if self.human_answers else 0.0


class AbandonLedger:
    """Files every live answer (abandoned or not) and answers rate questions over windows.

    `hour_origin_s` aligns the hour buckets: bucket = floor((t - hour_origin_s) / 3600). With
    epoch seconds and an origin of minus the UTC offset, buckets are local clock hours.
    """

    def __init__(self, *, hour_origin_s: float = 0.0) -> None:
        self._hour_origin_s = hour_origin_s
        self._answer_times: list[float] = []
        self._abandon_times: list[float] = []
        self._hours: dict[int, list[int]] = {}

    @property
    def human_answers(self) -> int:
        return len(self._answer_times)

    @property
    def abandoned(self) -> int:
        return len(self._abandon_times)

    @property
    def total(self) -> AbandonCount:
        return AbandonCount(len(self._answer_times), len(self._abandon_times))

    def record(self, answered_at_s: float, *, abandoned: bool) -> None:
        """File one call answered by a live person at `answered_at_s`."""
        if not math.isfinite(answered_at_s):
            raise ValueError(f"answered_at_s must be a finite number of seconds: {answered_at_s}")
        _append_sorted(self._answer_times, answered_at_s)
        bucket = self.hour_bucket(answered_at_s)
        counts = self._hours.get(bucket)
        if counts is None:
            counts = self._hours[bucket] = [0, 0]
        counts[0] += 1
        if abandoned:
            _append_sorted(self._abandon_times, answered_at_s)
            counts[1] += 1

    def hour_bucket(self, at_s: float) -> int:
        return math.floor((at_s - self._hour_origin_s) / HOUR_S)

    def hour_counts(self, at_s: float) -> AbandonCount:
        """Counts of the clock hour that contains `at_s`."""
        counts = self._hours.get(self.hour_bucket(at_s), (0, 0))
        return AbandonCount(counts[0], counts[1])

    def hourly(self) -> dict[int, AbandonCount]:
        """Every hour bucket that saw a live answer, in order."""
        return {
            bucket: AbandonCount(counts[0], counts[1])
            for bucket, counts in sorted(self._hours.items())
        }

    def worst_hour_rate(self, *, minimum_answers: int = 1) -> float:
        """The highest hourly rate among hours with at least `minimum_answers` live answers."""
        rates = [
            counts[1] / counts[0] for counts in self._hours.values() if counts[0] >= minimum_answers
        ]
        return max(rates, default=0.0)

    def window(self, now_s: float, window_s: float) -> AbandonCount:
        """Counts over the half-open window (now - window_s, now]."""
        if window_s < 0:
            raise ValueError(f"window_s must not be negative: {window_s}")
        start = now_s - window_s
        return AbandonCount(
            _count_between(self._answer_times, start, now_s),
            _count_between(self._abandon_times, start, now_s),
        )

    def rolling_rate(self, now_s: float, window_s: float) -> float:
        return self.window(now_s, window_s).rate

    def us_campaign_rate(self, now_s: float) -> float:
        """FCC/TSR: over the campaign's life, at most the last 30 days."""
        return self.rolling_rate(now_s, US_CAMPAIGN_WINDOW_S)

    def worst_rolling_rate(self, window_s: float, *, minimum_answers: int = 1) -> float:
        """The highest rate over the trailing `window_s` seconds (UK: 24 hours) as a dialer
        watching it live would see it: at each live answer, over the window ending there.
        Windows with fewer than `minimum_answers` live answers are skipped (one abandoned call
        alone is a 100% rate)."""
        worst = 0.0
        answers, abandons = self._answer_times, self._abandon_times
        for index, end in enumerate(answers):
            start = bisect.bisect_right(answers, end - window_s)
            last = bisect.bisect_right(answers, end, lo=index)
            answered = last - start
            if answered >= minimum_answers:
                dropped = _count_between(abandons, end - window_s, end)
                worst = max(worst, dropped / answered)
        return worst

    def forget_before(self, before_s: float) -> None:
        """Drop call times older than `before_s` (hour buckets are kept): bounds memory."""
        del self._answer_times[: bisect.bisect_left(self._answer_times, before_s)]
        del self._abandon_times[: bisect.bisect_left(self._abandon_times, before_s)]


def _append_sorted(times: list[float], at_s: float) -> None:
    if not times or times[-1] <= at_s:
        times.append(at_s)
    else:
        bisect.insort(times, at_s)


def _count_between(times: list[float], start_exclusive: float, end_inclusive: float) -> int:
    return bisect.bisect_right(times, end_inclusive) - bisect.bisect_right(times, start_exclusive)


# The abandon guard judges a rate only over this many live answers at least (as VICIdial does):
# one abandoned call among a campaign's first ten answers is not a rate.
ABANDON_GUARD_MIN_ANSWERS = 50
# The legal windows the abandon rate is held over: 30 days (United States), 24 hours (UK).
ABANDON_GUARD_WINDOWS_S = (US_CAMPAIGN_WINDOW_S, DAY_S)


def guarded_rate(ledger: AbandonLedger, now_s: float, cap: float) -> float | None:
    """The abandon rate that reached the cap in one of the legal windows, or None."""
    for window_s in ABANDON_GUARD_WINDOWS_S:
        count = ledger.window(now_s, window_s)
        if count.human_answers >= ABANDON_GUARD_MIN_ANSWERS and count.rate >= cap:
            return count.rate
    return None
