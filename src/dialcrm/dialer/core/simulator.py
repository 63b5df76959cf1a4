"""A discrete-event call-center simulator: the proving ground for pacing and lead selection.

One run is one campaign day described by a `Scenario`, paced by one `PacingStrategy`, with
leads taken FIFO or by `LeadScorer` score. Everything random comes from `random.Random`
streams derived from the seed, so the same seed gives the same day.

The hidden truth (which leads are people, machines, when they pick up) lives here only; the
strategy sees a `PacingSnapshot` built from what a dialer observes, and learns through a
`PacingLearner` fed with observable events. Two ledgers are kept: the true one (live people
answered / abandoned, the regulatory figure reported) and the dialer's own (calls AMD classed
as live, which the strategy's feedback sees).

Time is seconds since the shift started (at `scenario.start_hour`, local time).
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from dialcrm.dialer.core.accounting import AbandonLedger, guarded_rate
from dialcrm.dialer.core.compliance import ComplianceRules, next_attempt_at
from dialcrm.dialer.core.leads import LeadProfile, LeadScorer
from dialcrm.dialer.core.learning import PacingLearner
from dialcrm.dialer.core.outcomes import CallOutcome
from dialcrm.dialer.core.pacing import (
    PacingStrategy,
    RingTimeManagingStrategy,
    make_strategy,
    progressive_calls,
)
from dialcrm.dialer.core.scenario import Scenario
from dialcrm.dialer.core.snapshot import PacingSnapshot

HOUR_S = 3600.0
_HOPPER_REFRESH_S = 60.0
_SIMULATED_WEEKDAY = 1  # a Tuesday: the lead scorer's weekday feature


class LeadOrder(StrEnum):
    FIFO = "fifo"
    """The list's order; redials first when they are due."""
    SCORED = "scored"
    """By `LeadScorer` score, refreshed every minute like a hopper."""


class _State(IntEnum):
    LOGGED_OUT = 0
    READY = 1
    TALKING = 2
    WRAPPING = 3
    PAUSED = 4


class _Truth(IntEnum):
    HUMAN = 0
    MACHINE = 1
    BUSY = 2
    FAILED = 3
    NO_ANSWER = 4


class _Event(IntEnum):
    CALL_ENDS_RINGING = 0
    QUEUE_TIMEOUT = 1
    TALK_ENDS = 2
    WRAP_ENDS = 3
    TICK = 4
    LOGIN = 5
    SHIFT_ENDS = 6
    PAUSE_DUE = 7
    PAUSE_ENDS = 8


@dataclass(frozen=True, slots=True)
class HourResult:
    hour: int
    """Local clock hour the calls were answered in."""
    human_answers: int
    abandoned: int

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.human_answers if self.human_answers else 0.0


@dataclass(frozen=True, slots=True)
class SimulationResult:
    scenario: str
    pacing: str
    seed: int
    lead_order: str
    agents: int
    dials: int
    human_answers: int
    """Live people answered and passed to the agents' queue by AMD."""
    contacts: int
    """Live people who talked with an agent."""
    abandoned: int
    abandon_rate: float
    worst_hour_abandon_rate: float
    occupancy: float
    """(talk + wrap) / (logged-in time - paused time)."""
    logged_in_hours: float
    """Agents' time logged in: ready + busy (talk and wrap-up) + paused."""
    ready_hours: float
    busy_hours: float
    paused_hours: float
    talk_minutes_per_agent_hour: float
    """Minutes talked with live people per logged-in agent hour."""
    mean_agent_wait_s: float
    """Ready (idle) time per call handed to an agent."""
    contacts_per_agent_hour: float
    contacts_per_dial: float
    measured_abandon_rate: float
    """The dialer's own figure: abandoned / answered calls that AMD classed as live."""
    amd_hangups_on_people: int
    """Live people AMD took for a machine and hung up on (lost contacts, not abandons)."""
    machines_to_agents: int
    released_calls: int
    """Unanswered calls the dialer hung up after the minimum ring (ring-time management)."""
    released_people: int
    """Of those, how many a live person would have answered (lost contacts; hidden truth)."""
    hourly: tuple[HourResult, ...]
    wall_seconds: float

    def as_dict(self) -> dict[str, object]:
        """The CLI's JSON object."""
        return {
            "scenario": self.scenario,
            "pacing": self.pacing,
            "seed": self.seed,
            "lead_order": self.lead_order,
            "agents": self.agents,
            "dials": self.dials,
            "human_answers": self.human_answers,
            "contacts": self.contacts,
            "abandoned": self.abandoned,
            "abandon_rate": round(self.abandon_rate, 6),
            "worst_hour_abandon_rate": round(self.worst_hour_abandon_rate, 6),
            "occupancy": round(self.occupancy, 6),
            "logged_in_hours": round(self.logged_in_hours, 4),
            "ready_hours": round(self.ready_hours, 4),
            "busy_hours": round(self.busy_hours, 4),
            "paused_hours": round(self.paused_hours, 4),
            "talk_minutes_per_agent_hour": round(self.talk_minutes_per_agent_hour, 4),
            "mean_agent_wait_s": round(self.mean_agent_wait_s, 4),
            "contacts_per_agent_hour": round(self.contacts_per_agent_hour, 4),
            "contacts_per_dial": round(self.contacts_per_dial, 6),
            "measured_abandon_rate": round(self.measured_abandon_rate, 6),
            "amd_hangups_on_people": self.amd_hangups_on_people,
            "machines_to_agents": self.machines_to_agents,
            "released_calls": self.released_calls,
            "released_people": self.released_people,
            "hourly": [
                {
                    "hour": hour.hour,
                    "human_answers": hour.human_answers,
                    "abandoned": hour.abandoned,
                    "abandon_rate": round(hour.abandon_rate, 6),
                }
                for hour in self.hourly
            ],
            "wall_seconds": round(self.wall_seconds, 4),
        }


def simulate(
    scenario: Scenario,
    pacing: str | PacingStrategy,
    *,
    seed: int = 0,
    lead_order: LeadOrder | str = LeadOrder.FIFO,
    abandon_guard: bool = False,
) -> SimulationResult:
    """Run one campaign day; `pacing` is a strategy name or a fresh strategy instance. With
    `abandon_guard`, the campaign dials one call per ready agent while its abandon rate is at
    the cap (`accounting.guarded_rate`), as the engine does."""
    return CallCenterSimulation(
        scenario,
        pacing,
        seed=seed,
        lead_order=LeadOrder(lead_order),
        abandon_guard=abandon_guard,
    ).run()


class _Agent:
    __slots__ = (
        "index",
        "state",
        "since",
        "shift_ends_at",
        "shift_over",
        "pause_pending",
        "talk_s",
        "wrap_s",
        "call",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.state = _State.LOGGED_OUT
        self.since = 0.0
        self.shift_ends_at = 0.0
        self.shift_over = False
        self.pause_pending = False
        self.talk_s = 0.0
        self.wrap_s = 0.0
        self.call: _Call | None = None


class _Lead:
    __slots__ = ("segment", "propensity", "best_hour", "profile")

    def __init__(
        self, segment: int, propensity: float, best_hour: float, profile: LeadProfile
    ) -> None:
        self.segment = segment
        self.propensity = propensity
        self.best_hour = best_hour
        self.profile = profile


class _Call:
    __slots__ = ("lead", "dialed_at", "truth", "answered_at", "is_waiting", "is_released")

    def __init__(self, lead: _Lead, dialed_at: float, truth: _Truth) -> None:
        self.lead = lead
        self.dialed_at = dialed_at
        self.truth = truth
        self.answered_at = 0.0
        self.is_waiting = False
        self.is_released = False


class _Population:
    """The lead list: observable segments (list x region) and hidden per-lead propensities.

    Leads are created lazily, when first taken, with their hidden traits drawn then; segments
    share the list evenly. Propensity: lognormal with mean 1 and log-sd = heterogeneity; best
    hour: the segment's (with jitter) for the explained share of leads, anywhere otherwise.
    """

    def __init__(self, scenario: Scenario, rng: random.Random) -> None:
        self._rng = rng
        self.spread = scenario.lead_heterogeneity
        segments = scenario.segments
        self.segment_count = segments.count
        self._explained = segments.explained
        self.remaining = [
            scenario.leads // self.segment_count
            + (1 if s < scenario.leads % self.segment_count else 0)
            for s in range(self.segment_count)
        ]
        self.total_remaining = scenario.leads
        self._segment_push = [rng.gauss(0.0, 1.0) for _ in range(self.segment_count)]
        self._segment_best_hour = [rng.uniform(0.0, 24.0) for _ in range(self.segment_count)]
        self.profiles = [
            LeadProfile(
                list_id=f"list-{s // segments.regions}", region=f"region-{s % segments.regions}"
            )
            for s in range(self.segment_count)
        ]
        # exp(h cos x) averages I0(h) over a day: divide it out so the mean factor stays 1.
        self._hour_norm = _bessel_i0(self.spread)

    def take_fresh(self, segment: int | None = None) -> _Lead | None:
        if not self.total_remaining:
            return None
        rng = self._rng
        if segment is None:
            pick = rng.randrange(self.total_remaining)
            for segment_index, left in enumerate(self.remaining):
                if pick < left:
                    segment = segment_index
                    break
                pick -= left
        assert segment is not None
        if not self.remaining[segment]:
            return None
        self.remaining[segment] -= 1
        self.total_remaining -= 1
        spread = self.spread
        if spread == 0:
            return _Lead(segment, 1.0, 0.0, self.profiles[segment])
        explained = self._explained
        push = math.sqrt(explained) * self._segment_push[segment] + math.sqrt(
            1.0 - explained
        ) * rng.gauss(0.0, 1.0)
        propensity = math.exp(spread * push - spread * spread / 2)
        if rng.random() < explained:
            best_hour = self._segment_best_hour[segment] + rng.gauss(0.0, 1.5)
        else:
            best_hour = rng.uniform(0.0, 24.0)
        return _Lead(segment, propensity, best_hour, self.profiles[segment])

    def hour_factor(self, lead: _Lead, hour: float) -> float:
        if self.spread == 0:
            return 1.0
        angle = 2.0 * math.pi * (hour - lead.best_hour) / 24.0
        return math.exp(self.spread * math.cos(angle)) / self._hour_norm


class _FifoHopper:
    def __init__(self, population: _Population, redial_only_when_busy: bool) -> None:
        self._population = population
        self._redial_only_when_busy = redial_only_when_busy
        self._redials: list[tuple[float, int, _Lead]] = []
        self._sequence = 0

    def take(self, now: float, all_agents_busy: bool, local_hour: int) -> _Lead | None:
        redials = self._redials
        if (
            redials
            and redials[0][0] <= now
            and (all_agents_busy or not self._redial_only_when_busy)
        ):
            return heapq.heappop(redials)[2]
        return self._population.take_fresh()

    def put_back(self, lead: _Lead, due_at: float) -> None:
        self._sequence += 1
        heapq.heappush(self._redials, (due_at, self._sequence, lead))

    def learn(self, profile: LeadProfile, local_hour: int, live_answer: bool) -> None:
        """FIFO learns nothing."""


class _ScoredHopper:
    """Leads grouped by profile (segment, attempts, last outcome): one score per group.

    Every minute the groups are ranked by `LeadScorer` (like a hopper refill); each dial takes
    the first lead that is due from the best group that has one.
    """

    def __init__(
        self, population: _Population, scorer: LeadScorer, redial_only_when_busy: bool
    ) -> None:
        self._population = population
        self._scorer = scorer
        self._redial_only_when_busy = redial_only_when_busy
        self._redials: dict[LeadProfile, deque[tuple[float, _Lead]]] = {}
        self._order: list[tuple[LeadProfile, int | None]] = []
        self._refreshed_at = -math.inf
        self._hour = -1

    def take(self, now: float, all_agents_busy: bool, local_hour: int) -> _Lead | None:
        if now - self._refreshed_at >= _HOPPER_REFRESH_S or local_hour != self._hour:
            self._refresh(now, local_hour)
        allow_redials = all_agents_busy or not self._redial_only_when_busy
        population = self._population
        for profile, fresh_segment in self._order:
            if fresh_segment is not None:
                lead = population.take_fresh(fresh_segment)
                if lead is not None:
                    return lead
                continue
            if not allow_redials:
                continue
            queue = self._redials.get(profile)
            if queue and queue[0][0] <= now:
                return queue.popleft()[1]
        return None

    def put_back(self, lead: _Lead, due_at: float) -> None:
        queue = self._redials.get(lead.profile)
        if queue is None:
            queue = self._redials[lead.profile] = deque()
        if queue and queue[-1][0] > due_at:
            # Redial delays differ by outcome, not within one profile: keep the queue sorted.
            items = sorted([*queue, (due_at, lead)], key=lambda item: item[0])
            queue.clear()
            queue.extend(items)
        else:
            queue.append((due_at, lead))

    def learn(self, profile: LeadProfile, local_hour: int, live_answer: bool) -> None:
        self._scorer.observe(profile, local_hour, _SIMULATED_WEEKDAY, live_answer=live_answer)

    def _refresh(self, now: float, local_hour: int) -> None:
        self._refreshed_at = now
        self._hour = local_hour
        score = self._scorer.score
        ranked: list[tuple[float, int, LeadProfile, int | None]] = []
        for segment, profile in enumerate(self._population.profiles):
            if self._population.remaining[segment]:
                ranked.append((-score(profile, local_hour, 1), len(ranked), profile, segment))
        for profile, queue in self._redials.items():
            if queue:
                ranked.append((-score(profile, local_hour, 1), len(ranked), profile, None))
        ranked.sort()
        self._order = [(profile, segment) for _, _, profile, segment in ranked]


class CallCenterSimulation:
    """One simulated campaign day; call `run()` once."""

    def __init__(
        self,
        scenario: Scenario,
        pacing: str | PacingStrategy,
        *,
        seed: int = 0,
        lead_order: LeadOrder = LeadOrder.FIFO,
        abandon_guard: bool = False,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.lead_order = lead_order
        self.abandon_guard = abandon_guard
        self._campaign_end = scenario.shift_s + scenario.login_spread_s
        if isinstance(pacing, str):
            pacing = make_strategy(pacing, day_start_s=0.0, day_end_s=self._campaign_end)
        self.strategy = pacing
        self._ring_manager = (
            pacing
            if isinstance(pacing, RingTimeManagingStrategy)
            and scenario.minimum_ring_s < scenario.ring_timeout_s
            else None
        )
        self._call_rng = random.Random(f"{seed}:calls")
        self._agent_rng = random.Random(f"{seed}:agents")
        self._lead_rng = random.Random(f"{seed}:leads")
        self._population = _Population(scenario, self._lead_rng)
        redial_when_busy = scenario.redial_only_when_all_agents_busy
        self._hopper: _FifoHopper | _ScoredHopper
        if lead_order is LeadOrder.SCORED:
            self._hopper = _ScoredHopper(
                self._population, LeadScorer(prior_rate=0.2), redial_when_busy
            )
        else:
            self._hopper = _FifoHopper(self._population, redial_when_busy)
        redial_delays = {
            outcome: scenario.retry_delay_for(outcome)
            for outcome in (
                CallOutcome.NO_ANSWER,
                CallOutcome.BUSY,
                CallOutcome.MACHINE,
                CallOutcome.FAILED,
                CallOutcome.ABANDONED,
            )
        }
        self._rules = ComplianceRules(
            max_attempts_per_number=scenario.max_attempts,
            max_attempts_per_lead=scenario.max_attempts,
            redial_delay_s=redial_delays,
            abandoned_redial_block_s=scenario.abandoned_redial_block_s or None,
        )
        hour_origin = -scenario.start_hour * HOUR_S
        self._true_ledger = AbandonLedger(hour_origin_s=hour_origin)
        self._dialer_ledger = AbandonLedger(hour_origin_s=hour_origin)
        self._learner = PacingLearner()
        self._agents = [_Agent(index) for index in range(scenario.agents)]
        self._ready: dict[int, _Agent] = {}
        self._talking: dict[int, float] = {}
        self._wrapping: dict[int, float] = {}
        self._ringing: dict[_Call, float] = {}
        self._queue: deque[_Call] = deque()
        self._paused = 0
        self._events: list[tuple[float, int, _Event, object]] = []
        self._sequence = 0
        self._closing = False
        self._profiles: dict[tuple[int, int, CallOutcome | None], LeadProfile] = {}
        self._talk = scenario.talk_s.sampler(self._agent_rng)
        self._wrap = scenario.wrap_s.sampler(self._agent_rng)
        self._pause_length = scenario.pauses.duration_s.sampler(self._agent_rng)
        self._misdetected_machine = scenario.amd.misdetected_machine_s.sampler(self._agent_rng)
        self._answer_time = scenario.time_to_answer_s.sampler(self._call_rng)
        self._quick_result = scenario.quick_result_s.sampler(self._call_rng)
        # Totals
        self.dials = 0
        self.contacts = 0
        self.amd_hangups_on_people = 0
        self.machines_to_agents = 0
        self.released_calls = 0
        self.released_people = 0
        self._logged_in_s = 0.0
        self._paused_s = 0.0
        self._talk_live_s = 0.0
        self._talk_machine_s = 0.0
        self._wrap_s = 0.0
        self._ready_s = 0.0
        self._handed_to_agents = 0

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> SimulationResult:
        started = time.perf_counter()
        scenario = self.scenario
        for agent in self._agents:
            login = self._agent_rng.uniform(0.0, scenario.login_spread_s)
            agent.shift_ends_at = login + scenario.shift_s
            self._schedule(login, _Event.LOGIN, agent)
        self._schedule(0.0, _Event.TICK, None)
        events = self._events
        handlers: dict[_Event, Callable[[float, object], None]] = {
            _Event.CALL_ENDS_RINGING: self._on_call_ends_ringing,
            _Event.QUEUE_TIMEOUT: self._on_queue_timeout,
            _Event.TALK_ENDS: self._on_talk_ends,
            _Event.WRAP_ENDS: self._on_wrap_ends,
            _Event.TICK: self._on_tick,
            _Event.LOGIN: self._on_login,
            _Event.SHIFT_ENDS: self._on_shift_ends,
            _Event.PAUSE_DUE: self._on_pause_due,
            _Event.PAUSE_ENDS: self._on_pause_ends,
        }
        now = 0.0
        while events:
            now, _, kind, subject = heapq.heappop(events)
            handlers[kind](now, subject)
        for agent in self._agents:
            if agent.state is not _State.LOGGED_OUT:
                self._log_out(agent, now)
        return self._result(time.perf_counter() - started)

    def _schedule(self, at: float, kind: _Event, subject: object) -> None:
        self._sequence += 1
        heapq.heappush(self._events, (at, self._sequence, kind, subject))

    # -- pacing -----------------------------------------------------------------------------

    def _decide(self, now: float) -> None:
        if self._closing:
            return
        snapshot = self._snapshot(now)
        if (
            self.abandon_guard
            and guarded_rate(self._dialer_ledger, now, self.scenario.abandon_cap) is not None
        ):
            wanted = progressive_calls(snapshot)
        elif self._ring_manager is not None:
            ringing_calls = list(self._ringing)
            decision = self._ring_manager.decide(snapshot)
            for position in decision.release:
                self._release(ringing_calls[position], now)
            wanted = decision.calls_to_place
        else:
            wanted = self.strategy.calls_to_place(snapshot)
        if wanted <= 0:
            return
        wanted = min(wanted, snapshot.free_lines)
        local_hour = int(self.scenario.start_hour + now / HOUR_S) % 24
        all_busy = not self._ready
        for _ in range(wanted):
            lead = self._hopper.take(now, all_busy, local_hour)
            if lead is None:
                return
            self._dial(lead, now)

    def _snapshot(self, now: float) -> PacingSnapshot:
        scenario = self.scenario
        ledger = self._dialer_ledger
        hour = ledger.hour_counts(now)
        local = scenario.start_hour * HOUR_S + now
        talking = tuple([now - since for since in self._talking.values()])
        wrapping = tuple([now - since for since in self._wrapping.values()])
        return PacingSnapshot(
            now_s=now,
            ready_agents=len(self._ready),
            talking_elapsed_s=talking,
            wrapping_elapsed_s=wrapping,
            paused_agents=self._paused,
            ringing_ages_s=tuple([now - since for since in self._ringing.values()]),
            waiting_calls=len(self._queue),
            max_lines=scenario.max_lines,
            abandon_cap=scenario.abandon_cap,
            connect_window_s=scenario.connect_window_s,
            abandoned_total=ledger.abandoned,
            human_answers_total=ledger.human_answers,
            abandoned_this_hour=hour.abandoned,
            human_answers_this_hour=hour.human_answers,
            seconds_into_hour=local % HOUR_S,
            minimum_ring_s=scenario.minimum_ring_s,
            model=self._learner.model(
                now,
                int(local // HOUR_S) % 24,
                talking_elapsed_s=talking,
                wrapping_elapsed_s=wrapping,
            ),
        )

    def _dial(self, lead: _Lead, now: float) -> None:
        scenario = self.scenario
        rng = self._call_rng
        outcomes = scenario.outcomes
        hour = scenario.start_hour + now / HOUR_S
        live_ceiling = 1.0 - outcomes.machine - outcomes.busy - outcomes.failed
        human = outcomes.human * scenario.human_by_hour.factor(hour)
        if self._population.spread:
            human *= lead.propensity * self._population.hour_factor(lead, hour)
        human = min(human, live_ceiling)
        draw = rng.random()
        timeout = scenario.ring_timeout_s
        if draw < human + outcomes.machine:
            truth = _Truth.HUMAN if draw < human else _Truth.MACHINE
            ring = self._answer_time()
            if ring >= timeout:
                truth, ring = _Truth.NO_ANSWER, timeout
        elif draw < human + outcomes.machine + outcomes.busy:
            truth, ring = _Truth.BUSY, min(self._quick_result(), timeout)
        elif draw < human + outcomes.machine + outcomes.busy + outcomes.failed:
            truth, ring = _Truth.FAILED, min(self._quick_result(), timeout)
        else:
            truth, ring = _Truth.NO_ANSWER, timeout
        call = _Call(lead, now, truth)
        self._ringing[call] = now
        self.dials += 1
        self._schedule(now + ring, _Event.CALL_ENDS_RINGING, call)

    # -- calls ------------------------------------------------------------------------------

    def _release(self, call: _Call, now: float) -> None:
        """The dialer hangs up a call still ringing; whoever might have answered is lost."""
        del self._ringing[call]
        call.is_released = True
        self.released_calls += 1
        if call.truth is _Truth.HUMAN:
            self.released_people += 1
        hour_of_day = int(self.scenario.start_hour + now / HOUR_S) % 24
        self._learner.record_released(now, now - call.dialed_at, hour_of_day=hour_of_day)
        self._finish_lead(call, CallOutcome.NO_ANSWER, now)

    def _on_call_ends_ringing(self, now: float, subject: object) -> None:
        call = subject
        assert isinstance(call, _Call)
        if call.is_released:
            return
        del self._ringing[call]
        ring = now - call.dialed_at
        hour_of_day = int(self.scenario.start_hour + now / HOUR_S) % 24
        amd = self.scenario.amd
        truth = call.truth
        is_live = False
        if truth is _Truth.HUMAN:
            if self._call_rng.random() < amd.mistakes_human:
                self.amd_hangups_on_people += 1
                self._finish_lead(call, CallOutcome.MACHINE, now)
            else:
                is_live = True
        elif truth is _Truth.MACHINE:
            if self._call_rng.random() < amd.detects_machine:
                self._finish_lead(call, CallOutcome.MACHINE, now)
            else:
                is_live = True
        elif truth is _Truth.BUSY:
            self._finish_lead(call, CallOutcome.BUSY, now)
        elif truth is _Truth.FAILED:
            self._finish_lead(call, CallOutcome.FAILED, now)
        else:
            self._finish_lead(call, CallOutcome.NO_ANSWER, now)
        self._learner.record_dial_result(now, ring, is_live=is_live, hour_of_day=hour_of_day)
        if not is_live:
            self._close_if_done(now)
            return
        call.answered_at = now
        if self._ready:
            agent = self._ready.pop(next(iter(self._ready)))
            self._connect(agent, call, now)
        else:
            call.is_waiting = True
            self._queue.append(call)
            self._schedule(now + self.scenario.connect_window_s, _Event.QUEUE_TIMEOUT, call)

    def _on_queue_timeout(self, now: float, subject: object) -> None:
        call = subject
        assert isinstance(call, _Call)
        if not call.is_waiting:
            return
        call.is_waiting = False
        self._queue.remove(call)
        answered_at = self._accounting_time(call.answered_at)
        self._dialer_ledger.record(answered_at, abandoned=True)
        if call.truth is _Truth.HUMAN:
            self._true_ledger.record(answered_at, abandoned=True)
            self._finish_lead(call, CallOutcome.ABANDONED, now)
        else:
            self._finish_lead(call, CallOutcome.MACHINE, now)
        self._close_if_done(now)

    def _connect(self, agent: _Agent, call: _Call, now: float) -> None:
        self._ready_s += now - agent.since
        self._handed_to_agents += 1
        call.is_waiting = False
        answered_at = self._accounting_time(call.answered_at)
        self._dialer_ledger.record(answered_at, abandoned=False)
        if call.truth is _Truth.HUMAN:
            self._true_ledger.record(answered_at, abandoned=False)
            self.contacts += 1
            agent.talk_s = self._talk()
            agent.wrap_s = self._wrap()
            self._finish_lead(call, CallOutcome.CONTACT, now)
        else:
            self.machines_to_agents += 1
            agent.talk_s = self._misdetected_machine()
            agent.wrap_s = 0.0
            self._finish_lead(call, CallOutcome.MACHINE, now)
        agent.state = _State.TALKING
        agent.since = now
        agent.call = call
        self._talking[agent.index] = now
        self._schedule(now + agent.talk_s, _Event.TALK_ENDS, agent)

    def _finish_lead(self, call: _Call, outcome: CallOutcome, now: float) -> None:
        lead = call.lead
        profile = lead.profile
        local_hour = int(self.scenario.start_hour + call.dialed_at / HOUR_S) % 24
        self._hopper.learn(profile, local_hour, outcome.is_live_answer)
        attempts = profile.attempts + 1
        lead.profile = self._profile(lead.segment, attempts, outcome)
        if attempts >= self._rules.max_attempts_per_number:
            return
        due_at = next_attempt_at(outcome, now, self._rules)
        if due_at is not None and due_at < self._campaign_end:
            self._hopper.put_back(lead, due_at)

    def _profile(self, segment: int, attempts: int, outcome: CallOutcome | None) -> LeadProfile:
        key = (segment, attempts, outcome)
        profile = self._profiles.get(key)
        if profile is None:
            base = self._population.profiles[segment]
            profile = self._profiles[key] = LeadProfile(
                list_id=base.list_id, region=base.region, attempts=attempts, last_outcome=outcome
            )
        return profile

    def _accounting_time(self, answered_at: float) -> float:
        # Calls still ringing when the campaign closes are filed in its last hour.
        return min(answered_at, self._campaign_end - 1e-6)

    # -- agents -----------------------------------------------------------------------------

    def _on_talk_ends(self, now: float, subject: object) -> None:
        agent = subject
        assert isinstance(agent, _Agent)
        del self._talking[agent.index]
        call = agent.call
        if call is not None and call.truth is _Truth.HUMAN:
            self._talk_live_s += now - agent.since
        else:
            self._talk_machine_s += now - agent.since
        agent.state = _State.WRAPPING
        agent.since = now
        self._wrapping[agent.index] = now
        self._schedule(now + agent.wrap_s, _Event.WRAP_ENDS, agent)

    def _on_wrap_ends(self, now: float, subject: object) -> None:
        agent = subject
        assert isinstance(agent, _Agent)
        del self._wrapping[agent.index]
        self._wrap_s += now - agent.since
        agent.call = None
        went_ready = self._after_call(agent, now)
        self._learner.record_handled_call(
            agent.talk_s, agent.wrap_s, went_ready=went_ready, ended_at_s=now
        )
        if went_ready:
            self._decide(now)

    def _after_call(self, agent: _Agent, now: float) -> bool:
        """Where an agent goes when free: pause, log out or ready. True when ready."""
        if agent.shift_over and not self._must_stay(agent):
            self._log_out(agent, now)
            return False
        if agent.pause_pending and not agent.shift_over:
            agent.pause_pending = False
            self._start_pause(agent, now)
            return False
        self._become_ready(agent, now)
        return True

    def _must_stay(self, agent: _Agent) -> bool:
        # When the campaign closes, agents take the calls still ringing before they go.
        return self._closing and bool(self._ringing or self._queue)

    def _become_ready(self, agent: _Agent, now: float) -> None:
        agent.state = _State.READY
        agent.since = now
        if self._queue:
            call = self._queue.popleft()
            self._connect(agent, call, now)
        else:
            self._ready[agent.index] = agent

    def _start_pause(self, agent: _Agent, now: float) -> None:
        agent.state = _State.PAUSED
        agent.since = now
        self._paused += 1
        self._schedule(now + self._pause_length(), _Event.PAUSE_ENDS, agent)

    def _on_pause_ends(self, now: float, subject: object) -> None:
        agent = subject
        assert isinstance(agent, _Agent)
        if agent.shift_over:
            self._log_out(agent, now)  # which ends the pause
            return
        self._paused -= 1
        self._paused_s += now - agent.since
        self._schedule_next_pause(agent, now)
        self._become_ready(agent, now)
        self._decide(now)

    def _on_pause_due(self, now: float, subject: object) -> None:
        agent = subject
        assert isinstance(agent, _Agent)
        if agent.shift_over or agent.state is _State.LOGGED_OUT:
            return
        if agent.state is _State.READY:
            del self._ready[agent.index]
            self._ready_s += now - agent.since
            self._start_pause(agent, now)
        else:
            agent.pause_pending = True

    def _schedule_next_pause(self, agent: _Agent, now: float) -> None:
        rate = self.scenario.pauses.per_agent_hour
        if rate > 0:
            due = now + self._agent_rng.expovariate(rate / HOUR_S)
            if due < agent.shift_ends_at:
                self._schedule(due, _Event.PAUSE_DUE, agent)

    def _on_login(self, now: float, subject: object) -> None:
        agent = subject
        assert isinstance(agent, _Agent)
        agent.state = _State.READY
        agent.since = now
        self._logged_in_s -= now  # _log_out adds the logout time
        self._schedule(agent.shift_ends_at, _Event.SHIFT_ENDS, agent)
        self._schedule_next_pause(agent, now)
        self._become_ready(agent, now)
        self._decide(now)

    def _on_shift_ends(self, now: float, subject: object) -> None:
        agent = subject
        assert isinstance(agent, _Agent)
        agent.shift_over = True
        if now >= self._campaign_end:
            self._closing = True
        if agent.state is _State.READY and not self._must_stay(agent):
            del self._ready[agent.index]
            self._ready_s += now - agent.since
            self._log_out(agent, now)
        self._close_if_done(now)

    def _close_if_done(self, now: float) -> None:
        """Once the campaign is closed and no call is left, the agents still ready leave."""
        if not self._closing or self._ringing or self._queue:
            return
        for index in list(self._ready):
            agent = self._ready.pop(index)
            self._ready_s += now - agent.since
            self._log_out(agent, now)

    def _log_out(self, agent: _Agent, now: float) -> None:
        if agent.state is _State.PAUSED:
            self._paused -= 1
            self._paused_s += now - agent.since
        agent.state = _State.LOGGED_OUT
        agent.since = now
        self._logged_in_s += now

    def _on_tick(self, now: float, subject: object) -> None:
        if now >= self._campaign_end:
            self._closing = True
            self._close_if_done(now)
            return
        self._decide(now)
        self._schedule(now + self.scenario.decision_interval_s, _Event.TICK, None)

    # -- results ----------------------------------------------------------------------------

    def _result(self, wall_seconds: float) -> SimulationResult:
        scenario = self.scenario
        truth = self._true_ledger
        logged_in_h = self._logged_in_s / HOUR_S
        working_s = self._logged_in_s - self._paused_s
        busy_s = self._talk_live_s + self._talk_machine_s + self._wrap_s
        hourly = tuple(
            HourResult(
                hour=bucket % 24, human_answers=counts.human_answers, abandoned=counts.abandoned
            )
            for bucket, counts in truth.hourly().items()
        )
        return SimulationResult(
            scenario=scenario.name,
            pacing=self.strategy.name,
            seed=self.seed,
            lead_order=self.lead_order.value,
            agents=scenario.agents,
            dials=self.dials,
            human_answers=truth.human_answers,
            contacts=self.contacts,
            abandoned=truth.abandoned,
            abandon_rate=truth.total.rate,
            worst_hour_abandon_rate=truth.worst_hour_rate(),
            occupancy=busy_s / working_s if working_s > 0 else 0.0,
            logged_in_hours=logged_in_h,
            ready_hours=self._ready_s / HOUR_S,
            busy_hours=busy_s / HOUR_S,
            paused_hours=self._paused_s / HOUR_S,
            talk_minutes_per_agent_hour=(
                self._talk_live_s / 60.0 / logged_in_h if logged_in_h else 0.0
            ),
            mean_agent_wait_s=(
                self._ready_s / self._handed_to_agents if self._handed_to_agents else 0.0
            ),
            contacts_per_agent_hour=self.contacts / logged_in_h if logged_in_h else 0.0,
            contacts_per_dial=self.contacts / self.dials if self.dials else 0.0,
            measured_abandon_rate=self._dialer_ledger.total.rate,
            amd_hangups_on_people=self.amd_hangups_on_people,
            machines_to_agents=self.machines_to_agents,
            released_calls=self.released_calls,
            released_people=self.released_people,
            hourly=hourly,
            wall_seconds=wall_seconds,
        )


def _bessel_i0(x: float) -> float:
    """Modified Bessel function I0 by its power series (x is small here)."""
    total, term, k = 1.0, 1.0, 1
    while term > 1e-12 * total:
        term *= (x / (2 * k)) ** 2
        total += term
        k += 1
    return total
