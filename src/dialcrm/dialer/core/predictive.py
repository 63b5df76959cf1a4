"""`predictive`: our model-based pacing strategy.

The question at every decision: if one more call is placed now, and a live person answers it, how
likely is it that no agent is free for them within the connect window? Place calls while that
marginal abandon risk stays under an allowed risk, then let a feedback loop on the measured
abandon rate set the allowed risk so that the cap holds over the campaign window and every hour.

Model (all learned from observable events, see `learning.LearnedModel`):

- A new call that ends live is answered at T, drawn from the learned time-to-live-answer shape;
  T is integrated over a few quantile points t_k.
- Agents free by t_k + connect window: ready agents, plus each talking agent with probability
  P(talk + wrap <= e + h | talk > e) from the learned talk and wrap shapes (e = time already in
  the call), each wrapping agent likewise, times the learned share of agents who come back
  ready after a call (not paused or logged out).
- Live people arriving before the marginal call: the queue, each ringing call with probability
  P(live answer within t_k | still ringing at its age), from the learned live rate and the two
  ring-time shapes (live answers / other endings), and each other new call with probability
  live rate x P(T <= t_k).
- Free agents minus arrivals is a sum of independent Bernoulli terms: a normal approximation
  (with a continuity correction) gives the marginal risk. Calls for ready agents with nothing
  coming to them are always placed (progressive is the floor: it cannot abandon).

Feedback: the allowed risk is target x exp(g). The target sits `confidence_z` Poisson
deviations under the cap for a shift's worth of live answers (further under for small teams, at
most `target_share_of_cap` of it), lowered when the campaign window has no slack left (spread
over the next half hour) and when this clock hour's own budget runs low (once it is spent, a
tenth is kept). g is a stochastic-approximation step on every observed live answer:
+gain x target, and -gain on every abandon, so the measured rate settles on the target whatever
the model's bias. Cold: no handle times -> nobody is predicted to free; live rate prior 1.0 ->
ringing calls count as coming to an agent: it starts as progressive.

Ring-time management (`decide`): a call that has rung the legal minimum (15 s) and would now
likely bring a person to no agent is hung up, most likely-to-answer first, while keeping it
risks more than `release_risk_multiple` x the allowed risk. `calls_to_place` never releases.

Cost: per decision a few table look-ups per busy agent and per ringing call (sums over `map`),
and a handful of `erfc` calls; tables are rebuilt only when the learned model changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from dialcrm.dialer.core.learning import LearnedModel
from dialcrm.dialer.core.snapshot import PacingSnapshot

_SQRT2 = math.sqrt(2.0)
_TAIL_SAMPLES = 5
_FLOOR_MINIMUM_HOUR_BUDGET = 5.0


@dataclass(frozen=True, slots=True)
class PredictiveSettings:
    target_share_of_cap: float = 0.92
    """Never aim the campaign-window rate above this share of the cap."""
    planning_horizon_s: float = 8 * 3600.0
    """The abandon rate must hold over about this long (a shift): the fewer live answers it
    brings, the wider the rate wanders, and the further under the cap the target goes."""
    confidence_z: float = 1.0
    hour_confidence_z: float = 0.5
    spent_hour_share_of_target: float = 0.1
    """Once the clock hour's budget is spent, keep this share of the target (0: progressive);
    only for teams whose hourly budget is at least five abandons."""
    hour_floor_share_of_cap: float = 0.5
    """Each clock hour aims at least this share of the cap (small teams cannot hold an hour)."""
    feedback_gain: float = 0.2
    """Step of the log risk multiplier per abandoned call."""
    answer_points: int = 3
    """Quadrature points for the time a new call is answered."""
    default_answer_s: float = 10.0
    """Assumed time to a live answer before any has been observed."""
    slack_spread_s: float = 1800.0
    """Spend (or repay) the campaign window's slack over this long."""
    release_risk_multiple: float = 3.0
    """A ringing call past the minimum ring is hung up when keeping it risks an abandon above
    this multiple of the risk allowed for placing a new call."""
    use_budgets: bool = True
    """Lower the target when the campaign window or the clock hour runs out of budget."""
    minimum_log_gain: float = -4.0
    maximum_log_gain: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.target_share_of_cap <= 1:
            raise ValueError("target_share_of_cap must be within (0, 1]")
        if self.answer_points < 1:
            raise ValueError("answer_points must be at least 1")


@dataclass(frozen=True, slots=True)
class PacingDecision:
    calls_to_place: int
    release: tuple[int, ...] = ()
    """Positions in the snapshot's `ringing_ages_s` of calls to hang up now (unanswered)."""


@dataclass(frozen=True, slots=True)
class _AgentTables:
    talk: tuple[list[float], ...]
    talk_squared: tuple[list[float], ...]
    wrap: tuple[list[float], ...]
    wrap_squared: tuple[list[float], ...]


@dataclass(frozen=True, slots=True)
class _CallTables:
    live: tuple[list[float], ...]
    live_squared: tuple[list[float], ...]
    new_call_live_before: tuple[float, ...]
    """Per point k: live rate x P(T <= t_k), for the other new calls."""


class Predictive:
    name = "predictive"

    def __init__(self, settings: PredictiveSettings | None = None) -> None:
        self.settings = settings or PredictiveSettings()
        self.log_gain = 0.0
        self.allowed_risk = 0.0
        self._target = self.settings.target_share_of_cap
        self._seen_counts: tuple[int, int] | None = None
        self._call_model: LearnedModel | None = None
        self._call_tables: _CallTables | None = None
        self._horizons: tuple[int, ...] = ()
        self._agent_key: tuple[int, tuple[int, ...]] | None = None
        self._agent_tables: _AgentTables | None = None

    def calls_to_place(self, snapshot: PacingSnapshot) -> int:
        """How many calls to place now (for a dialer that cannot hang up ringing calls)."""
        return self.decide(snapshot, release=False).calls_to_place

    def decide(self, snapshot: PacingSnapshot, *, release: bool = True) -> PacingDecision:
        """Calls to place now, and ringing calls to hang up (positions in `ringing_ages_s`).

        Only calls that have rung `minimum_ring_s` may be released, and only while keeping them
        would risk an abandon beyond `release_risk_multiple` x the allowed risk.
        """
        ringing = snapshot.ringing_ages_s
        talking = snapshot.talking_elapsed_s
        waiting = snapshot.waiting_calls
        self._follow_measured_rate(snapshot)
        allowed = self._allowed_risk(snapshot)
        self.allowed_risk = allowed
        model = snapshot.model
        lines_in_use = len(ringing) + waiting + len(talking)
        may_release = (
            release
            and model.knows_ring_times
            and bool(ringing)
            and max(ringing) >= snapshot.minimum_ring_s
        )
        floor_calls = max(0, snapshot.ready_agents - len(ringing) - waiting)
        if not may_release and (allowed <= 0.0 or snapshot.max_lines - lines_in_use <= floor_calls):
            return PacingDecision(max(0, min(floor_calls, snapshot.max_lines - lines_in_use)))

        calls = self._tables_for_calls(model)
        agents = self._tables_for_agents(model, snapshot.connect_window_s)
        back_ready = model.ready_after_call_rate
        wrapping = snapshot.wrapping_elapsed_s
        points = len(self._horizons)
        talk_index = _indexes(talking, len(agents.talk[0])) if talking else []
        wrap_index = _indexes(wrapping, len(agents.wrap[0])) if wrapping else []
        ring_index = _indexes(ringing, len(calls.live[0])) if ringing else []
        margins: list[float] = []
        variances: list[float] = []
        for k in range(points):
            supply = 0.0
            supply_squared = 0.0
            if talk_index:
                supply += sum(map(agents.talk[k].__getitem__, talk_index))
                supply_squared += sum(map(agents.talk_squared[k].__getitem__, talk_index))
            if wrap_index:
                supply += sum(map(agents.wrap[k].__getitem__, wrap_index))
                supply_squared += sum(map(agents.wrap_squared[k].__getitem__, wrap_index))
            demand = 0.0
            demand_squared = 0.0
            if ring_index:
                demand = sum(map(calls.live[k].__getitem__, ring_index))
                demand_squared = sum(map(calls.live_squared[k].__getitem__, ring_index))
            margins.append(snapshot.ready_agents - waiting + back_ready * supply - demand)
            variances.append(
                back_ready * supply
                - back_ready * back_ready * supply_squared
                + demand
                - demand_squared
            )

        released: list[int] = []
        if may_release:
            released = self._calls_to_release(
                snapshot, calls, ring_index, margins, variances, allowed
            )
        still_ringing = len(ringing) - len(released)
        free_lines = snapshot.max_lines - lines_in_use + len(released)
        floor_calls = min(max(0, snapshot.ready_agents - still_ringing - waiting), free_lines)
        if allowed <= 0.0 or free_lines <= floor_calls:
            return PacingDecision(max(0, floor_calls), tuple(released))
        arrive_before = calls.new_call_live_before

        def risk_of(calls_placed: int) -> float:
            others = calls_placed - 1
            total = 0.0
            for k in range(points):
                share = arrive_before[k]
                total += _shortfall_probability(
                    margins[k] - others * share,
                    variances[k] + others * share * (1.0 - share),
                )
            return total / points

        placed = _largest_within(floor_calls, free_lines, risk_of, allowed)
        return PacingDecision(placed, tuple(released))

    def _calls_to_release(
        self,
        snapshot: PacingSnapshot,
        calls: _CallTables,
        ring_index: list[int],
        margins: list[float],
        variances: list[float],
        allowed: float,
    ) -> list[int]:
        """Release the old ringing calls (most likely to come live first) while keeping one
        would mean a live person soon with too little chance of an agent; updates the margins."""
        minimum = snapshot.minimum_ring_s
        nearest = calls.live[0]
        old = sorted(
            (
                (nearest[ring_index[position]], position)
                for position, age in enumerate(snapshot.ringing_ages_s)
                if age >= minimum
            ),
            reverse=True,
        )
        limit = allowed * self.settings.release_risk_multiple
        released: list[int] = []
        for live_soon, position in old:
            if live_soon <= 0.0:
                break
            kept_margin = margins[0] + live_soon
            kept_variance = variances[0] - live_soon * (1.0 - live_soon)
            if _shortfall_probability(kept_margin, kept_variance) <= limit:
                break
            released.append(position)
            for k, table in enumerate(calls.live):
                live = table[ring_index[position]]
                margins[k] += live
                variances[k] -= live * (1.0 - live)
        return released

    def _follow_measured_rate(self, snapshot: PacingSnapshot) -> None:
        answers = snapshot.human_answers_total
        abandons = snapshot.abandoned_total
        seen = self._seen_counts
        self._seen_counts = (answers, abandons)
        if seen is None or answers < seen[0] or abandons < seen[1]:
            return
        new_answers = answers - seen[0]
        new_abandons = abandons - seen[1]
        if new_answers:
            settings = self.settings
            gain = self.log_gain + settings.feedback_gain * (
                self._target * new_answers - new_abandons
            )
            self.log_gain = min(settings.maximum_log_gain, max(settings.minimum_log_gain, gain))

    def _allowed_risk(self, snapshot: PacingSnapshot) -> float:
        settings = self.settings
        cap = snapshot.abandon_cap
        model = snapshot.model
        if model.mean_handle_s <= 0 or not settings.use_budgets:
            target = settings.target_share_of_cap * cap
        else:
            answers_per_s = snapshot.working_agents / model.mean_handle_s
            target = _safe_target(
                cap, answers_per_s * settings.planning_horizon_s, settings.confidence_z
            )
            target = min(target, settings.target_share_of_cap * cap)
            expected = answers_per_s * settings.slack_spread_s
            if expected >= 1.0:
                window_allows = (
                    target * (snapshot.human_answers_total + expected) - snapshot.abandoned_total
                ) / expected
                target = min(target, window_allows)
            rest_of_hour = answers_per_s * (3600.0 - snapshot.seconds_into_hour)
            if rest_of_hour >= 1.0:
                hour_target = max(
                    settings.hour_floor_share_of_cap * cap,
                    _safe_target(cap, answers_per_s * 3600.0, settings.hour_confidence_z),
                )
                hour_allows = (
                    hour_target * (snapshot.human_answers_this_hour + rest_of_hour)
                    - snapshot.abandoned_this_hour
                ) / rest_of_hour
                # A team that may drop only a call or two an hour cannot afford the floor.
                hour_budget = hour_target * answers_per_s * 3600.0
                floor = (
                    settings.spent_hour_share_of_target * target
                    if hour_budget >= _FLOOR_MINIMUM_HOUR_BUDGET
                    else 0.0
                )
                target = min(target, max(floor, hour_allows))
        target = max(0.0, target)
        self._target = target
        return min(0.5, target * math.exp(self.log_gain))

    def _tables_for_calls(self, model: LearnedModel) -> _CallTables:
        if self._call_tables is not None and self._call_model is model:
            return self._call_tables
        self._call_model = model
        live_rate = model.live_rate
        points = self.settings.answer_points
        live_survival = model.live_answer_survival
        other_survival = model.other_end_survival
        if model.knows_ring_times:
            horizons = tuple(
                _quantile_index(live_survival, (k + 0.5) / points) for k in range(points)
            )
            answered_by = tuple(1.0 - _at(live_survival, t) for t in horizons)
            length = max(len(live_survival), len(other_survival)) + 1
            live: list[list[float]] = []
            for t in horizons:
                table = []
                for age in range(length):
                    still_live = live_rate * _at(live_survival, age)
                    still_ringing = still_live + (1.0 - live_rate) * _at(other_survival, age)
                    if still_ringing <= 1e-12:
                        table.append(0.0)
                    else:
                        arriving = live_rate * (
                            _at(live_survival, age) - _at(live_survival, age + t)
                        )
                        table.append(arriving / still_ringing)
                live.append(table)
        else:
            # Nothing known about ring times yet: every ringing call may come live, and soon.
            default = self.settings.default_answer_s
            horizons = tuple(max(1, round(default * 2 * (k + 0.5) / points)) for k in range(points))
            answered_by = tuple((k + 0.5) / points for k in range(points))
            live = [[live_rate] for _ in range(points)]
        self._horizons = horizons
        self._call_tables = _CallTables(
            live=tuple(live),
            live_squared=tuple([p * p for p in table] for table in live),
            new_call_live_before=tuple(live_rate * share for share in answered_by),
        )
        return self._call_tables

    def _tables_for_agents(self, model: LearnedModel, connect_window_s: float) -> _AgentTables:
        window = int(connect_window_s)
        horizons = tuple(t + window for t in self._horizons)
        key = (model.handle_version, horizons)
        if self._agent_tables is not None and self._agent_key == key:
            return self._agent_tables
        self._agent_key = key
        if not model.knows_handle_times:
            nobody = tuple([0.0] for _ in horizons)
            self._agent_tables = _AgentTables(nobody, nobody, nobody, nobody)
            return self._agent_tables
        talk = tuple(_talking_frees_within(model, h) for h in horizons)
        wrap = tuple(_wrapping_frees_within(model, h) for h in horizons)
        self._agent_tables = _AgentTables(
            talk=talk,
            talk_squared=tuple([p * p for p in table] for table in talk),
            wrap=wrap,
            wrap_squared=tuple([p * p for p in table] for table in wrap),
        )
        return self._agent_tables


def _shortfall_probability(mean: float, variance: float) -> float:
    """P(free agents minus earlier arrivals < 1) for a normal with continuity correction."""
    if variance <= 1e-12:
        return 1.0 if mean < 0.5 else 0.0
    return 0.5 * math.erfc((mean - 0.5) / (_SQRT2 * math.sqrt(variance)))


def _safe_target(cap: float, expected_answers: float, z: float) -> float:
    """The rate to aim at so that `expected_answers` calls end under `cap`: z standard
    deviations of a Poisson count of abandons (sqrt(cap / answers)) below it."""
    if expected_answers <= 0:
        return 0.0
    return max(0.0, cap - z * math.sqrt(cap / expected_answers))


def _largest_within(
    lowest: int, highest: int, risk_of: Callable[[int], float], allowed: float
) -> int:
    """The largest n in lowest..highest with risk_of(n) <= allowed (risk grows with n);
    `lowest` is accepted without asking. Galloping search: usually one to three evaluations."""
    if risk_of(lowest + 1) > allowed:
        return lowest
    good, step = lowest + 1, 1
    bad = highest + 1
    while good < highest:
        probe = min(highest, good + step)
        if risk_of(probe) > allowed:
            bad = probe
            break
        good = probe
        step *= 2
    while bad - good > 1:
        middle = (good + bad) // 2
        if risk_of(middle) > allowed:
            bad = middle
        else:
            good = middle
    return good


def _indexes(seconds: tuple[float, ...], length: int) -> list[int]:
    last = length - 1
    return [int(value) if value < last else last for value in seconds]


def _at(table: tuple[float, ...], index: int) -> float:
    return table[index] if index < len(table) else 0.0


def _quantile_index(survival: tuple[float, ...], share: float) -> int:
    """Smallest whole second t with P(X <= t) >= share."""
    for second, remaining in enumerate(survival):
        if 1.0 - remaining >= share:
            return max(1, second)
    return max(1, len(survival) - 1)


def _quantiles(cdf: tuple[float, ...], count: int) -> list[int]:
    points = []
    for k in range(count):
        share = (k + 0.5) / count
        second = 0
        while second < len(cdf) - 1 and cdf[second] < share:
            second += 1
        points.append(second)
    return points


def _talking_frees_within(model: LearnedModel, horizon: int) -> list[float]:
    """Per second already talked e: P(talk + wrap <= e + horizon | talk > e).

    The wrap-up time is integrated over four quantile points. Where fewer than a handful of
    observed talks last longer than e, an exponential tail with the mean talk time takes over;
    while the longest calls are still going (the table ends above 0) nobody is predicted to
    free beyond what has been seen.
    """
    survival = model.talk_survival
    wraps = _quantiles(model.wrap_cdf, 4) if model.wrap_cdf else [0]
    last = len(survival) - 1
    complete = survival[last] == 0.0
    minimum = _TAIL_SAMPLES / max(1, min(model.handled_calls, 800))
    tail_from = len(survival)
    for second, remaining in enumerate(survival):
        if remaining < minimum:
            tail_from = second
            break
    mean_talk = max(1.0, model.mean_talk_s)
    tail = (
        sum(1.0 - math.exp(-max(0, horizon - wrap) / mean_talk) for wrap in wraps) / len(wraps)
        if complete
        else 0.0
    )
    table = []
    for elapsed in range(tail_from):
        alive = survival[elapsed]
        frees = 0.0
        for wrap in wraps:
            talk_budget = horizon - wrap
            if talk_budget > 0:
                frees += alive - survival[min(elapsed + talk_budget, last)]
        table.append(frees / (alive * len(wraps)))
    table.append(tail)
    return table


def _wrapping_frees_within(model: LearnedModel, horizon: int) -> list[float]:
    """Per second already wrapped w: P(wrap <= w + horizon | wrap > w)."""
    cdf = model.wrap_cdf
    minimum = _TAIL_SAMPLES / max(1, min(model.handled_calls, 800))
    mean_wrap = max(1.0, model.mean_wrap_s)
    tail = 1.0 - math.exp(-horizon / mean_wrap)
    table = []
    for elapsed, done in enumerate(cdf):
        remaining = 1.0 - done
        if remaining < minimum:
            break
        finished_by = cdf[elapsed + horizon] if elapsed + horizon < len(cdf) else 1.0
        table.append((finished_by - done) / remaining)
    table.append(tail)
    return table
