"""The dialer engine: the seed's fig. 4 as a running service.

One asyncio task per engine processes every input in order (gateway events, agents' commands,
ticks), so the live state of a campaign (its agents, its calls in flight, its queue) changes in
one place. The database is written from one thread of its own, in order; a dial waits for its
attempt record before it is placed, so no call happens without a record.

For each running campaign it owns, on every tick and every event, the engine asks the pacing
strategy how many calls to place, takes that many leads from the hopper (claimed ahead from the
database), originates them, routes an answered person to the longest-idle ready agent or queues
them for at most the connect window, then plays the abandoned-call message and counts the
abandon. Outcomes update the lead and its number in the same transaction as the attempt.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import datetime
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from dialcrm.campaigns import services as campaign_services
from dialcrm.campaigns.choices import StopReason
from dialcrm.dialer import store
from dialcrm.dialer.core.accounting import US_CAMPAIGN_WINDOW_S, AbandonLedger, guarded_rate
from dialcrm.dialer.core.compliance import is_within_calling_hours, local_time
from dialcrm.dialer.core.leads import LeadCandidate, LeadProfile, LeadScorer, rank_candidates
from dialcrm.dialer.core.learning import PacingLearner
from dialcrm.dialer.core.outcomes import CallOutcome
from dialcrm.dialer.core.pacing import (
    PacingStrategy,
    Progressive,
    RingTimeManagingStrategy,
    make_strategy,
    progressive_calls,
)
from dialcrm.dialer.core.snapshot import PacingSnapshot
from dialcrm.dialer.core.states import AgentStatus as AgentState
from dialcrm.dialer.figures import WallboardFigures
from dialcrm.dialer.writer import RecordWriter
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.gateway import (
    AnsweredBy,
    CallAnswered,
    CallEnded,
    CallExists,
    CallProgress,
    EndCause,
    Gateway,
    GatewayError,
    GatewayEvent,
    Originate,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

HOUR_S = 3600.0
TICK_S = 1.0  # clock seconds between pacing decisions when nothing happens
SYNC_EVERY_S = 5.0  # real seconds between looks at which campaigns run
STOP_CHECK_S = 30.0  # real seconds between checks of a campaign's stop conditions
FIGURES_EVERY_S = 0.5  # real seconds between a campaign's figures to its wallboards
SWITCH_INTERVAL_S = 0.0005  # the interpreter's thread switch interval in an engine's process
_STOP = ("stop",)  # the engine's last input
MAX_LINES_PER_AGENT = 4  # a safety bound on lines, whatever the strategy says
HOPPER_LOW_WATER = 20
FETCH_WAIT_BUCKETS_MS = (0.0, 1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0)


@dataclass(frozen=True)
class AgentCommand:
    """What an agent (or their desk, or a team leader, or a bot) asks the engine."""

    kind: str  # one of COMMANDS
    agent_id: int
    campaign_id: int | None = None
    reason: str = ""
    call_id: str = ""
    status_code: str = ""
    callback_at_s: float | None = None
    callback_agent_id: int | None = None
    note: str = ""
    endpoint: str = ""
    go_ready: bool = True  # after a disposition
    number: str = ""  # manual mode: the number to dial
    target_agent_id: int | None = None  # transfer, consult: the agent who takes the call
    auto_ready: bool = True  # login: ready again after each call's status (else paused)
    wrap_up_s: int | None = None  # login: the agent's wrap-up time (the campaign's limit at most)


@dataclass(frozen=True)
class Refusal:
    """Why a command was not done: a code and its parameters, which the desk words in the
    agent's language (`dialcrm.dialer.refusals`)."""

    code: str
    params: dict[str, str] = field(default_factory=dict)


COMMANDS = {
    "login",
    "ready",
    "pause",
    "hang_up",
    "disposition",
    "logout",
    "preview_next",
    "dial",
    "skip",
    "hold",
    "unhold",
    "transfer",
    "consult",
    "consult_transfer",
    "consult_conference",
    "consult_cancel",
}
AGENT_DIALED_MODES = {"preview", "manual"}


@dataclass
class AgentSession:
    agent_id: int
    campaign_id: int
    state: str
    since_s: float
    pause_reason: str = ""
    call_id: str | None = None
    talk_started_s: float | None = None
    wrap_started_s: float | None = None
    pause_after_call: str | None = None
    logout_after_call: bool = False
    previewed: store.HopperLead | None = None
    auto_ready: bool = True
    wrap_up_s: float | None = None  # the agent's own wrap-up time, within the campaign's limit
    consulted_on: str | None = None  # a colleague consults them about this call


@dataclass
class Consultation:
    """An agent talking to a colleague about their call while the customer waits on hold, or
    the three of them in conference. The phone system's steps for it run one after another."""

    agent_id: int
    colleague_id: int
    started_s: float
    is_conference: bool = False
    steps: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class LiveCall:
    call_id: str
    lead: store.HopperLead
    dialed_s: float  # when the call was placed (the decision to dial it, until then)
    created: Future[None]
    answered_s: float | None = None
    agent_id: int | None = None
    phase: str = "dialing"  # dialing | ringing | waiting | connected | machine | ending
    deadline_s: float | None = None
    reserved_for: int | None = None  # preview and manual calls belong to the agent who dials
    on_hold: bool = False
    consultation: Consultation | None = None


Listener = Callable[[dict[str, Any]], None]


class Publisher:
    """Where the engine's messages go: Channels groups in the product, a list in tests."""

    async def to_agent(self, agent_id: int, message: dict[str, Any]) -> None:
        return None

    async def to_campaign(self, campaign_id: int, message: dict[str, Any]) -> None:
        return None

    async def call_dialed(self, message: dict[str, Any]) -> None:
        """A call was placed (the desks prepare the lead's card before anyone answers)."""
        return None


class CampaignRunner:
    """The live state of one campaign and the decisions about it."""

    def __init__(self, engine: Engine, settings: store.CampaignSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.agents: dict[int, AgentSession] = {}
        self.calls: dict[str, LiveCall] = {}
        self.queue: collections.deque[str] = collections.deque()
        self.hopper: collections.deque[store.HopperLead] = collections.deque()
        self.refill_future: Future[list[store.HopperLead]] | None = None
        self.is_dialing = settings.state == "running"
        self.learner = PacingLearner()
        self.scorer = LeadScorer()
        self.zone = ZoneInfo(settings.time_zone)
        # Hours of the ledger are the campaign's clock hours (a half-hour offset included).
        self.ledger = AbandonLedger(hour_origin_s=-self._utc_offset_s(engine.clock.now()))
        self.strategy = self._strategy()
        self.ringing_order: list[LiveCall] = []
        self.dials = 0
        self.stop_code = ""  # why the engine stopped the campaign (a StopReason), if it did
        # The abandon rate while it is at the cap in a legal window (the abandon guard holds
        # dialing to one call per ready agent meanwhile), None otherwise.
        self.guarded_rate: float | None = None
        self.stop_checked_at = -1e9  # the event loop's time of the last stop-condition check
        self.figures_sent_at = -1e9  # ... and of the last figures sent to the wallboards
        self.decision_due = False  # a decision is asked for (`decide_soon`)
        self.decisions_to_dial = 0  # decisions that wanted calls placed ...
        self.decisions_short = 0  # ... and those of them the hopper could not serve in full
        # How long the dials waited for their leads (the hopper empty): dials counted by wait,
        # up to each of FETCH_WAIT_BUCKETS_MS and over the last; `short_since` is the event
        # loop's time since when a decision's calls wait.
        self.fetch_waits = [0] * (len(FETCH_WAIT_BUCKETS_MS) + 1)
        self.short_since: float | None = None
        self.stopping = False  # the engine is recording a stop: a look at the states waits
        self.wallboard = WallboardFigures()

    def write(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Run a database function with the campaign's records, in order (see `Engine.write`)."""
        return self.engine.write(self.settings.campaign_id, function, *args, **kwargs)

    def claim(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Run a hopper function for the campaign, in order (see `Engine.claim`)."""
        return self.engine.claim(self.settings.campaign_id, function, *args, **kwargs)

    def _strategy(self) -> PacingStrategy | None:
        mode = self.settings.dial_mode
        if mode == "predictive":
            return make_strategy("predictive")
        if mode == "progressive":
            return Progressive()
        return None  # preview and manual: the agent dials

    # --- the campaign's clock ----------------------------------------------------------------------

    def _utc_offset_s(self, at_s: float) -> float:
        offset = datetime.datetime.fromtimestamp(at_s, self.zone).utcoffset()
        return offset.total_seconds() if offset is not None else 0.0

    def local_hour(self, at_s: float) -> int:
        """The campaign's clock hour (0-23) at epoch `at_s`."""
        return int((at_s + self._utc_offset_s(at_s)) // HOUR_S) % 24

    def seconds_into_hour(self, at_s: float) -> float:
        """Seconds since the campaign's clock hour began: with an offset of 5:30 the hour
        begins at half past, UTC."""
        return (at_s + self._utc_offset_s(at_s)) % HOUR_S

    # --- pacing --------------------------------------------------------------------------------

    def snapshot(self, now_s: float) -> PacingSnapshot:
        ready = talking = wrapping = paused = 0
        talking_elapsed: list[float] = []
        wrapping_elapsed: list[float] = []
        for agent in self.agents.values():
            if agent.state == AgentState.READY:
                ready += 1
            elif agent.state in (AgentState.ON_CALL, AgentState.RESERVED):
                talking += 1
                talking_elapsed.append(max(0.0, now_s - (agent.talk_started_s or agent.since_s)))
            elif agent.state == AgentState.WRAP_UP:
                wrapping += 1
                wrapping_elapsed.append(max(0.0, now_s - agent.since_s))
            else:
                paused += 1
        # The dialer's own calls still ringing, in the order a decision's releases refer to
        # (an agent's preview or manual call is theirs, not the pacing's).
        self.ringing_order = [
            call
            for call in self.calls.values()
            if call.phase in ("dialing", "ringing") and call.reserved_for is None
        ]
        ringing = tuple(max(0.0, now_s - call.dialed_s) for call in self.ringing_order)
        total = self.ledger.window(now_s, US_CAMPAIGN_WINDOW_S)
        hour = self.ledger.hour_counts(now_s)
        talking_tuple, wrapping_tuple = tuple(talking_elapsed), tuple(wrapping_elapsed)
        return PacingSnapshot(
            now_s=now_s,
            ready_agents=ready,
            talking_elapsed_s=talking_tuple,
            wrapping_elapsed_s=wrapping_tuple,
            paused_agents=paused,
            ringing_ages_s=ringing,
            waiting_calls=len(self.queue),
            max_lines=max(1, MAX_LINES_PER_AGENT * (ready + talking + wrapping)),
            abandon_cap=max(1e-6, min(0.999, self.settings.abandon_cap)),
            connect_window_s=self.settings.connect_window_s,
            abandoned_total=total.abandoned,
            human_answers_total=total.human_answers,
            abandoned_this_hour=hour.abandoned,
            human_answers_this_hour=hour.human_answers,
            seconds_into_hour=self.seconds_into_hour(now_s),
            model=self.learner.model(
                now_s,
                self.local_hour(now_s),
                talking_elapsed_s=talking_tuple,
                wrapping_elapsed_s=wrapping_tuple,
            ),
        )

    def decide_soon(self) -> None:
        """Decide once the engine has taken in the inputs waiting with this one: a burst (a
        floor's calls ending, agents going ready) makes one decision, not one each. The tick
        decides too, so a flood of inputs never holds dialing back."""
        if not self.decision_due:
            self.decision_due = True
            asyncio.get_running_loop().call_soon(self._decide_due)

    def _decide_due(self) -> None:
        self.decision_due = False
        if self.engine.runners.get(self.settings.campaign_id) is not self:
            return  # stopped or dropped meanwhile
        try:
            self.decide(self.engine.clock.now())
        except Exception:  # as `Engine.handle`: one bad decision must never stop the engine
            logger.exception("engine: could not decide for campaign %s", self.settings.campaign_id)

    def decide(self, now_s: float) -> None:
        """Place as many calls as the strategy asks, from the hopper."""
        if not self.is_dialing or self.strategy is None or not self.engine.gateway_up:
            return
        self._guard(now_s)
        if (
            not any(agent.state == AgentState.READY for agent in self.agents.values())
            and not self.calls
        ):
            return
        snapshot = self.snapshot(now_s)
        if self.guarded_rate is not None:
            # The abandon guard: one call per ready agent, which cannot abandon, until the rate
            # is back under the cap (VICIdial's ADAPT_HARD_LIMIT). The floor keeps working.
            wanted = progressive_calls(snapshot)
        elif isinstance(self.strategy, RingTimeManagingStrategy):
            decision = self.strategy.decide(snapshot)
            wanted = decision.calls_to_place
            self._release(decision.release, now_s)
        else:
            wanted = self.strategy.calls_to_place(snapshot)
        self.top_up(now_s, wanted)
        # Decisions to dial the hopper could not serve in full: dialing waited for the database.
        if wanted:
            self.decisions_to_dial += 1
            self.decisions_short += wanted > len(self.hopper)
        served = min(wanted, len(self.hopper))
        loop_time = asyncio.get_running_loop().time()
        if served:
            waited_ms = 0.0 if self.short_since is None else (loop_time - self.short_since) * 1000
            self.fetch_waits[bisect.bisect_left(FETCH_WAIT_BUCKETS_MS, waited_ms)] += served
        if wanted > served:
            self.short_since = self.short_since if self.short_since is not None else loop_time
        else:
            self.short_since = None
        for lead in self._leads_to_dial(served, now_s):
            self.dial(lead, now_s)

    def _leads_to_dial(self, count: int, now_s: float) -> list[store.HopperLead]:
        """The next leads of the hopper that may still be called now: a lead claimed as its
        calling hours (or day) were ending is given back, not dialled after them."""
        leads: list[store.HopperLead] = []
        late: list[store.HopperLead] = []
        while self.hopper and len(leads) < count:
            lead = self.hopper.popleft()
            weekday = local_time(now_s, lead.time_zone).weekday()
            if weekday in self.settings.calling_days and is_within_calling_hours(
                now_s, lead.time_zone, self.settings.rules
            ):
                leads.append(lead)
            else:
                late.append(lead)
        if late:
            self.claim(store.release_leads, late)
        return leads

    def top_up(self, now_s: float, wanted: int = 0, agents: int | None = None) -> None:
        """Keep leads claimed well ahead, so dialing never waits for the database: below two
        per agent (those logged in, unless `agents` says how many to expect) or per call
        `wanted` now, claim twice as many. An agent logging in tops up too, and so does the
        engine taking the campaign (for the people assigned to it)."""
        if not self.is_dialing or self.strategy is None:
            return
        expected = len(self.agents) if agents is None else agents
        low_water = max(HOPPER_LOW_WATER, 2 * expected, 2 * wanted)
        if len(self.hopper) < low_water:
            self.refill(now_s, 2 * low_water)

    def _guard(self, now_s: float) -> None:
        rate = guarded_rate(self.ledger, now_s, self.settings.abandon_cap)
        if (rate is None) != (self.guarded_rate is None):
            logger.info(
                "engine: campaign %s %s",
                self.settings.campaign_id,
                f"abandon rate {rate:.2%} at its cap: dialing one call per ready agent"
                if rate is not None
                else "abandon rate back under its cap: pacing resumes",
            )
        self.guarded_rate = rate

    def _release(self, positions: tuple[int, ...], now_s: float) -> None:
        """Hang up calls that rang the legal minimum and would now most likely find no agent
        (ring-time management): they are redialled later as no-answers."""
        for position in positions:
            call = self.ringing_order[position]
            if call.phase != "ringing":
                continue
            call.phase = "released"
            self.learner.record_released(
                now_s, now_s - call.dialed_s, hour_of_day=self.local_hour(now_s)
            )
            self.engine.spawn(self.engine.gateway.hang_up(call.call_id, EndCause.NO_ANSWER))

    def refill(self, now_s: float, size: int) -> None:
        if self.refill_future is not None:
            return
        future = self.claim(store.claim_leads, self.settings, size, now_s)
        self.refill_future = future
        future.add_done_callback(
            lambda done: self.engine.post(("hopper", self.settings.campaign_id, done))
        )

    def take_hopper(self, claimed: list[store.HopperLead], now_s: float) -> None:
        self.refill_future = None
        all_busy = not any(agent.state == AgentState.READY for agent in self.agents.values())
        by_id = {lead.lead_id: lead for lead in claimed}
        candidates = []
        for lead in claimed:
            local = local_time(now_s, lead.time_zone)
            profile = LeadProfile(
                list_id=str(lead.list_id),
                region=lead.region,
                attempts=lead.attempts,
                last_outcome=store._OUTCOMES.get(lead.last_outcome),
            )
            candidates.append(
                LeadCandidate(
                    lead.lead_id,
                    profile,
                    min(lead.due_at_s, now_s),
                    local.hour,
                    local.weekday(),
                    lead.is_callback,
                )
            )
        ranked = rank_candidates(
            candidates,
            self.scorer,
            now_s,
            all_agents_busy=all_busy,
            redial_only_when_all_agents_busy=self.settings.redial_only_when_all_busy,
        )
        chosen = [by_id[int(str(candidate.lead_id))] for candidate in ranked]
        held = [lead for lead in claimed if lead.lead_id not in {item.lead_id for item in chosen}]
        if held:
            self.claim(store.release_leads, held)
        if not self.is_dialing:
            self.claim(store.release_leads, chosen)
            return
        self.hopper.extend(chosen)

    def dial(self, lead: store.HopperLead, now_s: float, reserved_for: int | None = None) -> str:
        call_id = str(uuid.uuid4())
        created = self.engine.record_dial(store.create_attempt, self.settings, lead, call_id, now_s)
        call = LiveCall(
            call_id=call_id, lead=lead, dialed_s=now_s, created=created, reserved_for=reserved_for
        )
        self.calls[call_id] = call
        self.engine.calls[call_id] = self
        self.dials += 1
        request = Originate(
            call_id=call_id,
            number=lead.number,
            caller_id=self.settings.caller_id,
            ring_timeout_s=self.settings.ring_timeout_s,
            variables={
                "DIALCRM_CAMPAIGN": str(self.settings.campaign_id),
                "DIALCRM_LEAD": str(lead.lead_id),
            },
        )
        self.engine.spawn(self._originate(call, request))
        return call_id

    async def _originate(self, call: LiveCall, request: Originate) -> None:
        await asyncio.wrap_future(call.created)  # the record exists before the call does
        # The call rings from now: its age in the pacing's eyes, and the ring time learned from
        # it, start here, not at the decision (the record took its time).
        call.dialed_s = self.engine.clock.now()
        try:
            await self.engine.gateway.originate(request)
        except CallExists:
            logger.info("originate %s was placed already", call.call_id)
        except GatewayError as error:
            logger.warning("originate %s refused: %s", call.call_id, error)
            self.engine.post(("originate_failed", call.call_id))
            return
        await self.engine.publisher.call_dialed(
            {
                "type": "call.dialed",
                "call_id": call.call_id,
                "campaign_id": self.settings.campaign_id,
                "lead_id": call.lead.lead_id,
                "number": call.lead.number,
            }
        )

    def originate_failed(self, call_id: str) -> None:
        call = self.calls.pop(call_id, None)
        self.engine.calls.pop(call_id, None)
        if call is not None:
            self.write(store.cancel_attempt, call_id)
            self.engine.note_gateway_down()

    # --- gateway events -------------------------------------------------------------------------

    def on_progress(self, event: CallProgress) -> None:
        call = self.calls.get(event.call_id)
        if call is not None and call.phase == "dialing":
            call.phase = "ringing"

    def on_answered(self, event: CallAnswered, now_s: float) -> None:
        call = self.calls.get(event.call_id)
        if call is None or call.answered_s is not None:
            return
        call.answered_s = event.at
        is_live = event.answered_by != AnsweredBy.MACHINE
        if call.phase == "released":
            self._answered_as_released(call, event, is_live)
            return
        self.learner.record_dial_result(
            event.at,
            event.at - call.dialed_s,
            is_live=is_live,
            hour_of_day=self.local_hour(event.at),
        )
        self._learn_lead(call, now_s, live=is_live)
        self.write(store.mark_answered, call.call_id, event.at, event.answered_by.value)
        reserved = self.agents.get(call.reserved_for) if call.reserved_for is not None else None
        if reserved is not None:
            self._connect(call, reserved, now_s)  # the agent's own call: they hear whoever answers
            return
        if not is_live:
            self._machine(call, now_s)
            return
        agent = self._longest_idle_agent()
        if agent is not None:
            self._connect(call, agent, now_s)
        else:
            call.phase = "waiting"
            call.deadline_s = event.at + self.settings.connect_window_s
            self.queue.append(call.call_id)
            self.engine.spawn(self._expire_at(call.deadline_s - now_s))

    async def _expire_at(self, after_s: float) -> None:
        """The connect window is the law's: a caller nobody took is abandoned when it closes,
        not at the next tick."""
        await self.engine.clock.sleep(after_s)
        self.engine.post(("expire", self.settings.campaign_id))

    def _answered_as_released(self, call: LiveCall, event: CallAnswered, is_live: bool) -> None:
        """Someone answered as the dialer hung up on a call it released (ring-time management):
        the hang-up is on its way and the call is not put through. A live person is counted as
        an abandoned call, as the law counts them; a machine ends as a released no-answer."""
        self.write(store.mark_answered, call.call_id, event.at, event.answered_by.value)
        if not is_live:
            return
        call.phase = "ending"
        self.ledger.record(event.at, abandoned=True)
        self.write(
            store.finish_attempt,
            self.settings,
            call.call_id,
            CallOutcome.ABANDONED,
            event.at,
            cause="released",
            wait_s=0.0,
        )

    def _learn_lead(self, call: LiveCall, now_s: float, *, live: bool) -> None:
        lead = call.lead
        local = local_time(call.dialed_s, lead.time_zone)
        profile = LeadProfile(
            str(lead.list_id), lead.region, lead.attempts, store._OUTCOMES.get(lead.last_outcome)
        )
        self.scorer.observe(profile, local.hour, local.weekday(), live_answer=live)

    def _machine(self, call: LiveCall, now_s: float) -> None:
        handling = self.settings.machine_handling
        if handling == "connect":
            agent = self._longest_idle_agent()
            if agent is not None:
                self._connect(call, agent, now_s)
                return
        call.phase = "machine"
        message = self.settings.machine_message if handling == "leave_message" else ""
        self.engine.spawn(self._play_then_hang_up(call.call_id, message))

    def _longest_idle_agent(self) -> AgentSession | None:
        ready = [agent for agent in self.agents.values() if agent.state == AgentState.READY]
        return min(ready, key=lambda agent: agent.since_s) if ready else None

    def _connect(self, call: LiveCall, agent: AgentSession, now_s: float) -> None:
        call.phase = "connected"
        call.agent_id = agent.agent_id
        wait = max(0.0, now_s - (call.answered_s or now_s))
        self.ledger.record(call.answered_s or now_s, abandoned=False)
        agent.call_id = call.call_id
        agent.talk_started_s = now_s
        self.engine.set_state(self, agent, AgentState.ON_CALL, now_s)
        recording = (
            f"campaign-{self.settings.campaign_id}-{call.call_id}"
            if self.settings.record_calls
            else ""
        )
        self.write(store.mark_connected, call.call_id, agent.agent_id, now_s, wait, recording)
        self.engine.spawn(self._put_through(call, agent))
        if recording:
            self.engine.spawn(self.engine.gateway.start_recording(call.call_id, recording))
        self.engine.publish_agent(
            agent.agent_id,
            {
                "type": "call.offered",
                "call_id": call.call_id,
                "campaign_id": self.settings.campaign_id,
                "lead_id": call.lead.lead_id,
                "number": call.lead.number,
                "answered_at": call.answered_s,
                "wait_s": round(wait, 3),
            },
        )

    async def _put_through(self, call: LiveCall, agent: AgentSession) -> None:
        try:
            await self.engine.gateway.connect(call.call_id, agent.agent_id)
        except GatewayError as error:
            logger.warning(
                "could not put %s through to agent %s: %s", call.call_id, agent.agent_id, error
            )

    def expire_queue(self, now_s: float) -> None:
        """Callers who waited the whole connect window are abandoned, with the message."""
        while self.queue:
            call = self.calls.get(self.queue[0])
            if call is None or call.phase != "waiting":
                self.queue.popleft()
                continue
            if call.deadline_s is not None and call.deadline_s > now_s:
                break
            self.queue.popleft()
            self._abandon(call, now_s)

    def _abandon(self, call: LiveCall, now_s: float) -> None:
        call.phase = "ending"
        answered = call.answered_s or now_s
        self.ledger.record(answered, abandoned=True)
        self.write(
            store.finish_attempt,
            self.settings,
            call.call_id,
            CallOutcome.ABANDONED,
            now_s,
            cause="abandoned",
            wait_s=now_s - answered,
        )
        self.engine.spawn(self._play_then_hang_up(call.call_id, self.settings.safe_harbour_message))

    async def _play_then_hang_up(self, call_id: str, message: str) -> None:
        """Play a message to the end (the gateway returns when it finished), then hang up."""
        try:
            if message:
                await self.engine.gateway.play(call_id, message)
            await self.engine.gateway.hang_up(call_id)
        except GatewayError as error:
            logger.warning("could not end call %s: %s", call_id, error)

    def serve_queue(self, now_s: float) -> None:
        """A ready agent takes the caller who has waited longest."""
        while self.queue:
            agent = self._longest_idle_agent()
            if agent is None:
                return
            call = self.calls.get(self.queue.popleft())
            if call is not None and call.phase == "waiting":
                self._connect(call, agent, now_s)

    def on_ended(self, event: CallEnded, now_s: float) -> None:
        call = self.calls.pop(event.call_id, None)
        self.engine.calls.pop(event.call_id, None)
        if call is None:
            return
        settings, write = self.settings, self.write
        if call.phase in ("dialing", "ringing") and call.reserved_for is not None:
            self._own_call_unanswered(call, event, now_s)
        elif call.phase == "released":
            write(
                store.finish_attempt,
                settings,
                call.call_id,
                CallOutcome.NO_ANSWER,
                event.at,
                cause="released",
                cause_code=event.cause_code,
            )
        elif call.phase in ("dialing", "ringing"):
            outcome = {
                EndCause.BUSY: CallOutcome.BUSY,
                EndCause.NO_ANSWER: CallOutcome.NO_ANSWER,
            }.get(event.cause, CallOutcome.FAILED)
            self.learner.record_dial_result(
                event.at,
                event.at - call.dialed_s,
                is_live=False,
                hour_of_day=self.local_hour(event.at),
            )
            self._learn_lead(call, now_s, live=False)
            write(
                store.finish_attempt,
                settings,
                call.call_id,
                outcome,
                event.at,
                cause=event.cause.value,
                cause_code=event.cause_code,
            )
        elif call.phase == "waiting":
            # The person hung up before an agent was free: still an abandoned call.
            with contextlib.suppress(ValueError):
                self.queue.remove(call.call_id)
            answered = call.answered_s or event.at
            self.ledger.record(answered, abandoned=True)
            write(
                store.finish_attempt,
                settings,
                call.call_id,
                CallOutcome.ABANDONED,
                event.at,
                cause="caller_hung_up",
                wait_s=event.at - answered,
            )
        elif call.phase == "machine":
            write(
                store.finish_attempt,
                settings,
                call.call_id,
                CallOutcome.MACHINE,
                event.at,
                cause="answering_machine",
                cause_code=event.cause_code,
            )
        elif call.phase == "connected" and call.agent_id is not None:
            self._end_consultation(call, now_s, "customer_hung_up", customer_back=False)
            write(store.mark_ended, call.call_id, event.at)
            agent = self.agents.get(call.agent_id)
            if agent is not None and agent.call_id == call.call_id:
                self.engine.set_state(self, agent, AgentState.WRAP_UP, now_s)
                agent.wrap_started_s = now_s
            self.engine.publish_agent(
                call.agent_id,
                {"type": "call.ended", "call_id": call.call_id, "cause": event.cause.value},
            )

    def _own_call_unanswered(self, call: LiveCall, event: CallEnded, now_s: float) -> None:
        outcome = {EndCause.BUSY: CallOutcome.BUSY, EndCause.NO_ANSWER: CallOutcome.NO_ANSWER}.get(
            event.cause, CallOutcome.FAILED
        )
        self.write(
            store.finish_attempt,
            self.settings,
            call.call_id,
            outcome,
            event.at,
            cause=event.cause.value,
            cause_code=event.cause_code,
        )
        agent = self.agents.get(call.reserved_for or 0)
        if agent is None:
            return
        agent.call_id = None
        self.engine.publish_agent(
            agent.agent_id,
            {"type": "call.ended", "call_id": call.call_id, "cause": event.cause.value},
        )
        self.after_call(agent, now_s, go_ready=True)

    def after_call(
        self, agent: AgentSession, now_s: float, *, go_ready: bool, reason: str = ""
    ) -> None:
        """The agent's part in a call is over: logged out or paused if they asked during it,
        paused if they chose not to be ready again, ready otherwise."""
        agent.call_id = None
        agent.talk_started_s = agent.wrap_started_s = None
        if agent.logout_after_call:
            self.engine.remove_agent(self, agent, now_s)
        elif agent.pause_after_call is not None or not go_ready:
            agent.pause_reason = agent.pause_after_call or reason or "not_ready"
            agent.pause_after_call = None
            self.engine.set_state(self, agent, AgentState.PAUSED, now_s)
        else:
            self.engine.set_state(self, agent, AgentState.READY, now_s)

    # --- wrap-up --------------------------------------------------------------------------------

    def wrap_up_limit(self, asked_s: int | None) -> float:
        """The agent's wrap-up time: their own (if they gave one) within the campaign's limit."""
        limit = self.settings.max_wrap_up_s
        return min(float(asked_s), limit) if asked_s else limit

    def enforce_wrap_up(self, now_s: float) -> None:
        """An agent still without a status when their wrap-up time is over is paused: no call
        is put through to them, the status is still theirs to give, and they stay paused after
        it until they say they are ready."""
        for agent in list(self.agents.values()):
            if (
                agent.state == AgentState.WRAP_UP
                and agent.wrap_started_s is not None
                and now_s - agent.wrap_started_s > (agent.wrap_up_s or self.settings.max_wrap_up_s)
            ):
                agent.pause_reason = "wrap_up_over"
                agent.pause_after_call = agent.pause_after_call or "wrap_up_over"
                self.engine.set_state(self, agent, AgentState.PAUSED, now_s)

    # --- hold and transfer ---------------------------------------------------------------------

    def _connected_call(self, agent: AgentSession) -> LiveCall | None:
        call = self.calls.get(agent.call_id or "")
        if call is None or call.phase != "connected" or call.agent_id != agent.agent_id:
            return None
        return call

    def hold(self, agent: AgentSession, *, on_hold: bool) -> Refusal | None:
        call = self._connected_call(agent)
        if call is None or agent.state != AgentState.ON_CALL:
            return Refusal("not_connected")
        if call.consultation is not None:
            return Refusal("in_consultation")
        if call.on_hold == on_hold:
            return Refusal("already_on_hold" if on_hold else "not_on_hold")
        call.on_hold = on_hold
        self.engine.spawn(self._hold(call, agent.agent_id, on_hold=on_hold))
        return None

    async def _hold(self, call: LiveCall, agent_id: int, *, on_hold: bool) -> None:
        gateway = self.engine.gateway
        try:
            await (gateway.hold(call.call_id) if on_hold else gateway.unhold(call.call_id))
        except GatewayError as error:
            logger.warning("hold %s of %s refused: %s", on_hold, call.call_id, error)
            if call.agent_id == agent_id:
                call.on_hold = not on_hold
            self.engine.refuse(
                agent_id, "hold" if on_hold else "unhold", Refusal("phone_system_refused")
            )
            return
        self.engine.publish_agent(
            agent_id, {"type": "call.hold", "call_id": call.call_id, "on_hold": on_hold}
        )

    def transfer(self, agent: AgentSession, target_id: int | None, now_s: float) -> Refusal | None:
        """A blind transfer to a ready agent of the campaign: the call, its card and its
        status are theirs from now on; the agent who transferred is free."""
        call = self._connected_call(agent)
        if call is None or agent.state != AgentState.ON_CALL:
            return Refusal("not_connected")
        if call.consultation is not None:
            return Refusal("in_consultation")
        if target_id == agent.agent_id:
            return Refusal("transfer_to_self")
        target = self.agents.get(target_id or 0)
        if target is None or target.state != AgentState.READY:
            return Refusal("transfer_target_unavailable")
        self._hand_over(call, agent, target, now_s)
        self.engine.spawn(self._move(call, agent.agent_id, target.agent_id))
        return None

    def _hand_over(
        self, call: LiveCall, agent: AgentSession, target: AgentSession, now_s: float
    ) -> None:
        """The call, its card and its status go to `target`; `agent` is free."""
        call.agent_id, call.on_hold = target.agent_id, False
        target.call_id, target.talk_started_s = call.call_id, now_s
        self.engine.set_state(self, target, AgentState.ON_CALL, now_s)
        self.write(store.mark_transferred, call.call_id, agent.agent_id, target.agent_id, now_s)
        self.engine.publish_agent(
            agent.agent_id,
            {"type": "call.transferred", "call_id": call.call_id, "to_agent_id": target.agent_id},
        )
        self.engine.publish_agent(
            target.agent_id,
            {
                "type": "call.offered",
                "call_id": call.call_id,
                "campaign_id": self.settings.campaign_id,
                "lead_id": call.lead.lead_id,
                "number": call.lead.number,
                "answered_at": call.answered_s,
                "wait_s": 0.0,
                "transferred_from": agent.agent_id,
            },
        )
        self.after_call(agent, now_s, go_ready=agent.auto_ready)

    async def _move(self, call: LiveCall, from_id: int, to_id: int) -> None:
        try:
            await self.engine.gateway.transfer(call.call_id, to_id)
        except GatewayError as error:
            logger.warning(
                "could not move %s from agent %s to %s: %s", call.call_id, from_id, to_id, error
            )
            self.engine.refuse(to_id, "transfer", Refusal("phone_system_refused"))

    # --- consultation (warm transfer) and conference -------------------------------------------
    #
    # The customer waits on hold while the agent's line is put through to a ready colleague's.
    # Then the agent completes the transfer (the colleague takes the call, as in a blind
    # transfer), cancels (the colleague is ready again, the customer back with the agent), or
    # joins the customer to them (a conference), which the agent may leave later (the colleague
    # keeps the call). The colleague is on a call meanwhile, with no call of their own: they get
    # no dialer calls, and their time counts as talk.

    def consult(self, agent: AgentSession, target_id: int | None, now_s: float) -> Refusal | None:
        call = self._connected_call(agent)
        if call is None or agent.state != AgentState.ON_CALL:
            return Refusal("not_connected")
        if call.consultation is not None:
            return Refusal("already_consulting")
        if target_id == agent.agent_id:
            return Refusal("consult_self")
        colleague = self.agents.get(target_id or 0)
        if colleague is None:
            return Refusal("colleague_not_here")
        if colleague.state != AgentState.READY:
            return Refusal("colleague_not_ready")
        consultation = Consultation(agent.agent_id, colleague.agent_id, now_s)
        call.consultation = consultation
        was_on_hold, call.on_hold = call.on_hold, True
        colleague.consulted_on, colleague.talk_started_s = call.call_id, now_s
        self.engine.set_state(self, colleague, AgentState.ON_CALL, now_s)
        self.engine.spawn(self._bring_together(call, consultation, was_on_hold=was_on_hold))
        started = {"type": "consult.started", "call_id": call.call_id}
        self.engine.publish_agent(
            agent.agent_id, {**started, "role": "consulting", "colleague_id": colleague.agent_id}
        )
        self.engine.publish_agent(
            colleague.agent_id,
            {
                **started,
                "role": "consulted",
                "consulting_agent_id": agent.agent_id,
                "campaign_id": self.settings.campaign_id,
                "lead_id": call.lead.lead_id,
                "number": call.lead.number,
            },
        )
        return None

    async def _bring_together(
        self, call: LiveCall, consultation: Consultation, *, was_on_hold: bool
    ) -> None:
        gateway = self.engine.gateway
        async with consultation.steps:
            is_held = was_on_hold
            try:
                if not was_on_hold:
                    await gateway.hold(call.call_id)
                    is_held = True
                await gateway.consult(consultation.agent_id, consultation.colleague_id)
            except GatewayError as error:
                logger.warning("consultation on %s could not start: %s", call.call_id, error)
                if call.consultation is consultation:
                    self.engine.refuse(
                        consultation.agent_id, "consult", Refusal("phone_system_refused")
                    )
                    call.on_hold = False
                    self._end_consultation(
                        call, self.engine.clock.now(), "failed", customer_back=is_held
                    )

    def _consultation_of(self, agent: AgentSession) -> tuple[LiveCall, Consultation] | Refusal:
        """The call an agent consults a colleague about (asked by that agent)."""
        if agent.consulted_on is not None:
            return Refusal("only_consulting_agent")
        call = self._connected_call(agent)
        if call is None or agent.state != AgentState.ON_CALL:
            return Refusal("not_connected")
        if call.consultation is None:
            return Refusal("not_consulting")
        return call, call.consultation

    def complete_consultation(self, agent: AgentSession, now_s: float) -> Refusal | None:
        """The colleague takes the call (in a conference: the agent leaves it)."""
        found = self._consultation_of(agent)
        if isinstance(found, Refusal):
            return found
        call, consultation = found
        colleague = self.agents.get(consultation.colleague_id)
        if colleague is None:
            return Refusal("colleague_not_here")
        call.consultation, colleague.consulted_on = None, None
        talk_started = colleague.talk_started_s
        self._publish_consultation_end(call, consultation, "transferred", agent.agent_id)
        self._hand_over(call, agent, colleague, now_s)
        colleague.talk_started_s = talk_started or now_s
        self.engine.spawn(self._finish_hand_over(call, consultation))
        return None

    async def _finish_hand_over(self, call: LiveCall, consultation: Consultation) -> None:
        gateway = self.engine.gateway
        async with consultation.steps:
            try:
                await gateway.end_consultation(consultation.agent_id)
                if not consultation.is_conference:  # in conference the customer is there
                    await gateway.transfer(call.call_id, consultation.colleague_id)
            except GatewayError as error:
                logger.warning("consultation on %s: the hand-over failed: %s", call.call_id, error)
                self.engine.refuse(
                    consultation.colleague_id, "consult_transfer", Refusal("phone_system_refused")
                )

    def conference(self, agent: AgentSession) -> Refusal | None:
        """The customer joins the agent and the colleague."""
        found = self._consultation_of(agent)
        if isinstance(found, Refusal):
            return found
        call, consultation = found
        if consultation.is_conference:
            return Refusal("already_in_conference")
        consultation.is_conference, call.on_hold = True, False
        self.engine.spawn(self._join_all(call, consultation))
        message = {"type": "consult.conference", "call_id": call.call_id}
        self.engine.publish_agent(consultation.agent_id, message)
        self.engine.publish_agent(consultation.colleague_id, message)
        return None

    async def _join_all(self, call: LiveCall, consultation: Consultation) -> None:
        async with consultation.steps:
            try:
                # The agent's line is on the colleague's side already: the customer joins them.
                await self.engine.gateway.transfer(call.call_id, consultation.colleague_id)
            except GatewayError as error:
                logger.warning("conference on %s could not start: %s", call.call_id, error)
                if call.consultation is consultation:
                    consultation.is_conference, call.on_hold = False, True
                    self.engine.refuse(
                        consultation.agent_id, "consult_conference", Refusal("phone_system_refused")
                    )

    def cancel_consultation(self, agent: AgentSession, now_s: float) -> Refusal | None:
        """Asked by either side: the colleague is free, the customer back with the agent."""
        call = self.calls.get(agent.consulted_on or agent.call_id or "")
        consultation = call.consultation if call is not None else None
        if (
            call is None
            or consultation is None
            or agent.agent_id not in (consultation.agent_id, consultation.colleague_id)
        ):
            return Refusal("not_consulting")
        call.on_hold = False
        self._end_consultation(call, now_s, "cancelled", customer_back=True, by=agent.agent_id)
        return None

    def colleague_leaves(
        self, agent: AgentSession, command: AgentCommand, now_s: float
    ) -> Refusal | None:
        """A consulted colleague who pauses or logs out leaves the consultation first."""
        if command.kind == "ready":
            return Refusal("in_consultation")
        if command.kind == "logout":
            agent.logout_after_call = True
        else:
            agent.pause_after_call = command.reason or "other"
        return self.cancel_consultation(agent, now_s)

    def _end_consultation(
        self,
        call: LiveCall,
        now_s: float,
        reason: str,
        *,
        customer_back: bool,
        by: int | None = None,
    ) -> None:
        """The consultation is over without a hand-over: the colleague is free (ready, or as
        they asked meanwhile); the agent's line goes back to their own, and the customer, if
        still there, back to the agent off hold."""
        consultation = call.consultation
        if consultation is None:
            return
        call.consultation = None
        self._publish_consultation_end(call, consultation, reason, by)
        colleague = self.agents.get(consultation.colleague_id)
        if colleague is not None and colleague.consulted_on == call.call_id:
            colleague.consulted_on = None
            self.after_call(colleague, now_s, go_ready=True)
        self.engine.spawn(self._part(call, consultation, customer_back=customer_back))

    async def _part(
        self, call: LiveCall, consultation: Consultation, *, customer_back: bool
    ) -> None:
        gateway = self.engine.gateway
        async with consultation.steps:
            try:
                await gateway.end_consultation(consultation.agent_id)
                if not customer_back:
                    return
                if consultation.is_conference:
                    await gateway.transfer(call.call_id, consultation.agent_id)
                else:
                    await gateway.unhold(call.call_id)
            except GatewayError as error:
                logger.warning("consultation on %s: could not part: %s", call.call_id, error)
                if customer_back:
                    self.engine.refuse(
                        consultation.agent_id, "consult_cancel", Refusal("phone_system_refused")
                    )
                return
        if customer_back:
            self.engine.publish_agent(
                consultation.agent_id,
                {"type": "call.hold", "call_id": call.call_id, "on_hold": False},
            )

    def _publish_consultation_end(
        self, call: LiveCall, consultation: Consultation, reason: str, by: int | None
    ) -> None:
        message: dict[str, Any] = {"type": "consult.ended", "call_id": call.call_id}
        message["reason"] = reason
        if by is not None:
            message["by_agent_id"] = by
        self.engine.publish_agent(consultation.agent_id, message)
        self.engine.publish_agent(consultation.colleague_id, message)

    # --- preview and manual modes ------------------------------------------------------------------

    def preview_next(self, agent: AgentSession, now_s: float) -> Refusal | None:
        if self.settings.dial_mode not in AGENT_DIALED_MODES:
            return Refusal("campaign_dials_itself")
        if agent.state != AgentState.READY or agent.previewed is not None:
            return Refusal("be_ready_to_preview")
        self.engine.set_state(self, agent, AgentState.RESERVED, now_s)
        claim = self.claim(store.claim_leads, self.settings, 1, now_s)
        claim.add_done_callback(
            lambda done: self.engine.post(
                ("previewed", self.settings.campaign_id, agent.agent_id, done)
            )
        )
        return None

    def take_preview(
        self, agent_id: int, claim: Future[list[store.HopperLead]], now_s: float
    ) -> None:
        leads = [] if claim.exception() else claim.result()
        agent = self.agents.get(agent_id)
        if agent is None or agent.state != AgentState.RESERVED:
            if leads:
                self.claim(store.release_leads, leads)
            return
        if not leads:
            self.engine.set_state(self, agent, AgentState.READY, now_s)
            self.engine.refuse(agent_id, "preview_next", Refusal("no_lead_now"))
            return
        agent.previewed = leads[0]
        self.engine.publish_agent(
            agent_id,
            {
                "type": "lead.previewed",
                "campaign_id": self.settings.campaign_id,
                "lead_id": leads[0].lead_id,
                "number": leads[0].number,
            },
        )

    def dial_for(self, agent: AgentSession, command: AgentCommand, now_s: float) -> Refusal | None:
        if self.settings.dial_mode not in AGENT_DIALED_MODES:
            return Refusal("campaign_dials_itself")
        if agent.call_id is not None:
            return Refusal("on_call_already")
        if command.number:
            if self.settings.dial_mode != "manual":
                return Refusal("manual_only")
            if (
                agent.state not in (AgentState.READY, AgentState.RESERVED)
                or agent.previewed is not None
            ):
                return Refusal("be_ready_to_dial")
            self.engine.set_state(self, agent, AgentState.RESERVED, now_s)
            lookup = self.claim(store.manual_lead, self.settings, command.number, now_s)
            lookup.add_done_callback(
                lambda done: self.engine.post(
                    ("manual", self.settings.campaign_id, agent.agent_id, done)
                )
            )
            return None
        if agent.previewed is None:
            return Refusal("preview_first")
        lead, agent.previewed = agent.previewed, None
        self._dial_own(agent, lead, now_s)
        return None

    def take_manual(self, agent_id: int, lookup: Future[store.HopperLead], now_s: float) -> None:
        agent = self.agents.get(agent_id)
        error = lookup.exception()
        if agent is None:
            if error is None:
                self.claim(store.release_leads, [lookup.result()])
            return
        if error is not None:
            refusal = (
                Refusal(error.code, error.params)
                if isinstance(error, store.DialRefused)
                else Refusal("number_not_dialled")
            )
            self.engine.set_state(self, agent, AgentState.READY, now_s)
            self.engine.refuse(agent_id, "dial", refusal)
            return
        self._dial_own(agent, lookup.result(), now_s)

    def _dial_own(self, agent: AgentSession, lead: store.HopperLead, now_s: float) -> None:
        call_id = self.dial(lead, now_s, reserved_for=agent.agent_id)
        agent.call_id = call_id
        self.engine.set_state(self, agent, AgentState.RESERVED, now_s)
        self.engine.publish_agent(
            agent.agent_id,
            {
                "type": "call.dialing",
                "call_id": call_id,
                "campaign_id": self.settings.campaign_id,
                "lead_id": lead.lead_id,
                "number": lead.number,
            },
        )

    def skip(self, agent: AgentSession, now_s: float) -> Refusal | None:
        if agent.previewed is None:
            return Refusal("no_lead_to_skip")
        self.claim(store.release_leads, [agent.previewed])
        agent.previewed = None
        self.engine.set_state(self, agent, AgentState.READY, now_s)
        return None

    # --- agents ------------------------------------------------------------------------------------

    def disposition(
        self, agent: AgentSession, command: AgentCommand, now_s: float
    ) -> Refusal | None:
        if agent.call_id is None or (command.call_id and command.call_id != agent.call_id):
            return Refusal("no_call_to_close")
        call_id = agent.call_id
        if agent.state == AgentState.ON_CALL:
            # The agent closes the call and sets the status at once.
            closed = self.calls.get(call_id)
            if closed is not None:
                self._end_consultation(closed, now_s, "call_ended", customer_back=False)
            self.engine.spawn(self.engine.gateway.hang_up(call_id))
            self.calls.pop(call_id, None)
            self.engine.calls.pop(call_id, None)
            self.write(store.mark_ended, call_id, now_s)
            agent.wrap_started_s = now_s
        self.write(
            store.record_disposition,
            self.settings,
            call_id,
            command.status_code,
            now_s,
            callback_at_s=command.callback_at_s,
            callback_agent_id=command.callback_agent_id,
            note=command.note,
        )
        self.wallboard.note_status(command.status_code, now_s)
        talk_started = agent.talk_started_s or now_s
        wrap_started = agent.wrap_started_s or now_s
        self.learner.record_handled_call(
            wrap_started - talk_started,
            now_s - wrap_started,
            went_ready=command.go_ready and agent.pause_after_call is None,
            ended_at_s=now_s,
        )
        self.after_call(agent, now_s, go_ready=command.go_ready, reason=command.reason)
        return None

    def halt(self) -> None:
        """No new dials: the calls in flight finish; the leads in the hopper are given back."""
        self.is_dialing = False
        self.claim(store.release_leads, list(self.hopper))
        self.hopper.clear()

    def figures(self, now_s: float) -> dict[str, Any]:
        states = collections.Counter(agent.state for agent in self.agents.values())
        total = self.ledger.window(now_s, US_CAMPAIGN_WINDOW_S)
        day = self.ledger.window(now_s, 24 * HOUR_S)
        return {
            "type": "campaign.figures",
            "campaign_id": self.settings.campaign_id,
            "at": now_s,
            "agents": dict(states),
            "ringing": sum(
                1 for call in self.calls.values() if call.phase in ("dialing", "ringing")
            ),
            "waiting": len(self.queue),
            "connected": sum(1 for call in self.calls.values() if call.phase == "connected"),
            "dials": self.dials,
            "hopper": len(self.hopper),
            "abandon_rate_30d": round(total.rate, 5),
            "abandon_rate_24h": round(day.rate, 5),
            "human_answers_24h": day.human_answers,
            "is_dialing": self.is_dialing,
            "stop_reason": self.stop_code,
            "abandon_guard_rate": guarded_rate(self.ledger, now_s, self.settings.abandon_cap),
            **self.wallboard.figures(self, now_s),
        }


class Engine:
    """Owns running campaigns (one engine per campaign at a time) and runs their dialing."""

    def __init__(
        self,
        gateway: Gateway,
        clock: Clock | None = None,
        publisher: Publisher | None = None,
        *,
        campaign_ids: list[int] | None = None,
    ) -> None:
        self.gateway = gateway
        self.clock = clock or Clock()
        self.publisher = publisher or Publisher()
        self.only_campaigns = set(campaign_ids) if campaign_ids is not None else None
        self.runners: dict[int, CampaignRunner] = {}
        self.calls: dict[str, CampaignRunner] = {}
        self.agent_campaign: dict[int, int] = {}
        # Agents whose login is being checked, with the commands they sent since, in order.
        self._logging_in: dict[int, list[AgentCommand]] = {}
        self.listeners: dict[int, list[Listener]] = collections.defaultdict(list)
        self._agent_outbox: dict[int, collections.deque[dict[str, Any]]] = {}
        self.gateway_up = True
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        # Database threads, each in order. The control thread holds the campaigns' ownership
        # locks on its connection and runs reads (logins, set-up, figures); records threads
        # (attempts, outcomes, agents' time), batched into transactions, each take whole
        # campaigns (a call's records stay in order) and whole agents (so do their intervals),
        # so the records of a busy floor are written side by side; the hopper's thread claims
        # and releases leads, so that a claim never delays a dial's record. A dial's record
        # (the attempt, written before the call is placed) has a thread of its own: queued
        # behind the outcomes of a busy floor, it held calls back for seconds. Every other
        # record of a call is written after the call was placed, so after its attempt.
        self._control = RecordWriter(name="dialer-control")
        self._dials = RecordWriter(name="dialer-dials")
        self._records = [
            RecordWriter(name=f"dialer-records-{index}") for index in range(_record_threads())
        ]
        self._claims = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"dialer-hopper-{index}")
            for index in range(len(self._records))
        ]
        # The wallboards' slow counts (the leads left, a scan of each list) on a thread of their
        # own: on the control thread a cold database's counts held the floor's logins back for
        # minutes.
        self._counts = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dialer-counts")
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_sync = -1e9
        self.sync_every_s = SYNC_EVERY_S
        self.stop_check_s = STOP_CHECK_S
        self.engine_key = uuid.uuid4().int & 0x7FFFFFFF
        self._registered = False
        self._syncing = False

    # --- plumbing ---------------------------------------------------------------------------------

    def write(self, shard: int, function: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Run a database function in the records thread of `shard` (a campaign's id for its
        calls' records, an agent's for their intervals), in order with the shard's other
        records, in a transaction with those queued then; failures are logged."""
        future = self._records[shard % len(self._records)].submit(function, *args, **kwargs)
        future.add_done_callback(_log_failure)
        return future

    def record_dial(self, function: Callable[..., T], *args: Any) -> Future[T]:
        """Write a dial's attempt in the dials' thread, batched with the other dials queued."""
        future = self._dials.submit(function, *args)
        future.add_done_callback(_log_failure)
        return future

    def claim(self, shard: int, function: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Run a hopper function (claim, release, stop check) in the hopper thread of `shard`
        (a campaign's id: its claims and releases stay in order), beside the records threads
        (one hopper thread each)."""
        return _submit(self._claims[shard % len(self._claims)], function, *args, **kwargs)

    def count(self, function: Callable[..., T], *args: Any) -> Future[T]:
        """Run a slow read that nothing waits for (the wallboards' counts) on its own thread."""
        return _submit(self._counts, function, *args)

    def look_up(self, function: Callable[..., T], *args: Any) -> Future[T]:
        """Run a database function in the control thread, in order, on its own (ownership
        locks are taken this way, on the connection that holds them; reads run there, off the
        records' way); failures are logged."""
        future = self._control.submit(function, *args, alone=True)
        future.add_done_callback(_log_failure)
        return future

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """`look_up`, awaited."""
        return await asyncio.wrap_future(self.look_up(function, *args))

    def spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished_task)

    def _finished_task(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            if isinstance(error, GatewayError):
                logger.warning("gateway: %s", error)
                self.note_gateway_down()
            else:
                logger.error("engine task failed", exc_info=error)

    def post(self, item: Any) -> None:
        """Queue an input from any thread."""
        loop = self._loop
        if loop is None:
            self._inbox.put_nowait(item)
        else:
            loop.call_soon_threadsafe(self._inbox.put_nowait, item)

    def submit(self, command: AgentCommand) -> None:
        if command.kind not in COMMANDS:
            logger.warning("ignoring unknown agent command %r", command.kind)
            return
        self.post(command)

    def listen(self, agent_id: int, listener: Listener) -> None:
        """In-process listeners (the demo's simulated agents) get the agent's messages."""
        self.listeners[agent_id].append(listener)

    def publish_agent(self, agent_id: int, message: dict[str, Any]) -> None:
        message = {**message, "agent_id": agent_id}
        for listener in self.listeners.get(agent_id, ()):
            listener(message)
        waiting = self._agent_outbox.get(agent_id)
        if waiting is not None:
            waiting.append(message)  # a send to this agent is under way: this one follows it
            return
        self._agent_outbox[agent_id] = collections.deque([message])
        self.spawn(self._send_to_agent(agent_id))

    async def _send_to_agent(self, agent_id: int) -> None:
        """Send an agent's messages one after another, so their desk receives them in the order
        the engine published them (separate sends to one group may overtake each other)."""
        waiting = self._agent_outbox[agent_id]
        try:
            while waiting:
                message = waiting.popleft()
                try:
                    await self.publisher.to_agent(agent_id, message)
                except Exception:
                    logger.exception("could not send %s to agent %s", message["type"], agent_id)
        finally:
            del self._agent_outbox[agent_id]

    def note_gateway_down(self) -> None:
        if self.gateway_up:
            logger.warning("the phone system is unreachable: dialing paused until it answers again")
        self.gateway_up = False

    # --- the loop ------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        # The database threads hand each result back through the interpreter's lock: at the
        # default 5 ms switch interval a busy event loop makes every statement of theirs wait
        # up to 5 ms for it (measured: the records fell tens of seconds behind with 1,000
        # agents while the database sat idle, waiting for the engine).
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        events = asyncio.ensure_future(self._pump_events())
        ticker = asyncio.ensure_future(self._tick_forever())
        stopper = asyncio.ensure_future(self._stop_when(stop))
        try:
            await self.sync_campaigns()
            while (item := await self._inbox.get()) is not _STOP:
                await self.handle(item)
        finally:
            events.cancel()
            ticker.cancel()
            stopper.cancel()
            await self.shutdown()

    async def _stop_when(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._inbox.put_nowait(_STOP)

    async def _pump_events(self) -> None:
        while True:
            try:
                async for event in self.gateway.events():
                    self.post(event)
            except GatewayError as error:
                logger.warning("gateway event stream lost: %s", error)
                self.note_gateway_down()
                await asyncio.sleep(1.0)

    async def _tick_forever(self) -> None:
        while True:
            await self.clock.sleep(TICK_S)
            self.post(("tick",))

    async def handle(self, item: Any) -> None:
        now_s = self.clock.now()
        try:
            if isinstance(item, AgentCommand):
                self.command(item, now_s)
            elif isinstance(item, CallProgress | CallAnswered | CallEnded):
                self.on_gateway_event(item, now_s)
            elif item[0] == "tick":
                await self.tick(now_s)
            elif item[0] == "hopper":
                runner = self.runners.get(item[1])
                future: Future[list[store.HopperLead]] = item[2]
                if runner is not None:
                    runner.take_hopper([] if future.exception() else future.result(), now_s)
                    runner.decide_soon()
                elif not future.exception():
                    self.claim(item[1], store.release_leads, future.result())
            elif item[0] == "logged_in":
                self.logged_in(item[1], item[2], now_s)
            elif item[0] == "expire":
                runner = self.runners.get(item[1])
                if runner is not None:
                    runner.expire_queue(now_s)
            elif item[0] in ("previewed", "manual"):
                runner = self.runners.get(item[1])
                if runner is None:
                    return
                if item[0] == "previewed":
                    runner.take_preview(item[2], item[3], now_s)
                else:
                    runner.take_manual(item[2], item[3], now_s)
            elif item[0] == "originate_failed":
                runner = self.calls.get(item[1])
                if runner is not None:
                    runner.originate_failed(item[1])
        except Exception:  # one bad input must never stop the engine
            logger.exception("engine: could not handle %r", item)

    def on_gateway_event(self, event: GatewayEvent, now_s: float) -> None:
        runner = self.calls.get(event.call_id)
        if runner is None:
            logger.info("ignoring %s for a call this engine does not hold", type(event).__name__)
            return
        self.gateway_up = True
        if isinstance(event, CallProgress):
            runner.on_progress(event)
        elif isinstance(event, CallAnswered):
            runner.on_answered(event, now_s)
        else:
            runner.on_ended(event, now_s)
            runner.decide_soon()

    async def tick(self, now_s: float) -> None:
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._last_sync >= self.sync_every_s and not self._syncing:
            # In the background: its reads wait behind the records queued before them, and
            # events (an answered call waiting for an agent) must not wait with them.
            self._last_sync = loop_time
            self._syncing = True
            self.spawn(self._sync_in_background())
        for runner in list(self.runners.values()):
            if runner.is_dialing and loop_time - runner.stop_checked_at >= self.stop_check_s:
                runner.stop_checked_at = loop_time
                self.spawn(self._check_stop(runner, now_s))
            runner.expire_queue(now_s)
            runner.enforce_wrap_up(now_s)
            runner.decide(now_s)
            # Twice a real second whatever the clock's speed: wallboards stay under a second
            # behind, and a fast clock does not spend its time on figures nobody reads.
            if loop_time - runner.figures_sent_at >= FIGURES_EVERY_S:
                runner.figures_sent_at = loop_time
                self.spawn(
                    self.publisher.to_campaign(runner.settings.campaign_id, runner.figures(now_s))
                )

    async def _sync_in_background(self) -> None:
        try:
            await self.sync_campaigns()
            if not self.gateway_up:
                await self._probe_gateway()
        finally:
            self._syncing = False

    async def _probe_gateway(self) -> None:
        try:
            live = await self.gateway.live_calls()
        except GatewayError:
            return
        self.gateway_up = True
        logger.info("the phone system answers again: dialing resumes")
        now_s = self.clock.now()
        for call_id, runner in list(self.calls.items()):
            call = runner.calls.get(call_id)
            if (
                call is not None
                and call_id not in live
                and call.phase in ("dialing", "ringing", "released", "machine")
            ):
                runner.on_ended(CallEnded(call_id, now_s, EndCause.FAILED), now_s)

    async def sync_campaigns(self) -> None:
        """Take running campaigns nobody owns, up to this engine's share when several engines
        run; give up any whose ownership was lost; follow pauses and stops of our own."""
        if not self._registered:
            await self.read(store.register_engine, self.engine_key)
            self._registered = True
        running = set(await self.read(store.running_campaign_ids))
        if self.only_campaigns is not None:
            running &= self.only_campaigns
        held, engines = await self.read(store.ownership)
        if held is not None:
            for campaign_id in [pk for pk in self.runners if pk not in held]:
                if not await self.read(store.try_own, campaign_id):
                    self.drop(campaign_id)  # another engine has it now: never two owners
        share = -(-len(running) // engines)  # a fair share, rounded up
        for campaign_id in sorted(running - set(self.runners)):
            if len(self.runners) >= share:
                break
            if await self.read(store.try_own, campaign_id):
                await self.take(campaign_id)
        states = await self.read(store.campaign_states, list(self.runners))
        for campaign_id, runner in list(self.runners.items()):
            is_running = states.get(campaign_id) == "running"
            if runner.is_dialing and not is_running:
                runner.halt()
            elif is_running and not runner.is_dialing and not runner.stopping:
                settings = await self.read(store.load_campaign, campaign_id)
                if runner.stopping or settings.state != "running":
                    continue  # the engine stopped it meanwhile: the states read were older
                runner.settings = settings
                runner.is_dialing = True
                runner.stop_code = ""

    async def _check_stop(self, runner: CampaignRunner, now_s: float) -> None:
        # In the hopper's thread, beside the other reads of leads: a dial's record never waits.
        code = await asyncio.wrap_future(runner.claim(store.stop_condition, runner.settings, now_s))
        if code is not None:
            await self.stop_campaign(runner, code)

    async def stop_campaign(self, runner: CampaignRunner, code: str) -> None:
        """Complete a campaign at a stop condition: no new dials,
        the calls in flight finish, the hopper's leads are given back; the campaign's state and
        reason are recorded through the campaigns' service (audited, webhook), and its agents
        and wallboards are told why."""
        if not runner.is_dialing or runner.stopping:
            return
        runner.stopping = True
        runner.halt()
        campaign_id = runner.settings.campaign_id
        try:
            # The records of the dials placed before the stop are written first: a campaign
            # shown stopped has every one of them (they are on another thread than the state).
            await asyncio.wrap_future(self.record_dial(_nothing))
            await asyncio.wrap_future(runner.write(_nothing))
            stopped = await self.read(campaign_services.system_stop, campaign_id, code)
            if stopped:
                runner.stop_code = code
        finally:
            runner.stopping = False
        if not stopped:
            return  # a manager changed its state first: the next sync follows that
        reason = StopReason(code)
        logger.info("engine stopped campaign %s: %s", campaign_id, code)
        message = {
            "type": "campaign.stopped",
            "campaign_id": campaign_id,
            "state": "completed",
            "reason": code,
            "label": str(reason.label),
        }
        for agent_id in list(runner.agents):
            self.publish_agent(agent_id, message)
        self.spawn(self.publisher.to_campaign(campaign_id, message))

    def drop(self, campaign_id: int) -> None:
        """Stop running a campaign whose ownership this engine lost (its database connection
        was cut): its calls are the new owner's to reconcile."""
        runner = self.runners.pop(campaign_id)
        logger.warning("engine lost campaign %s to another engine", campaign_id)
        for call_id in list(runner.calls):
            self.calls.pop(call_id, None)
        for agent_id in list(runner.agents):
            self.agent_campaign.pop(agent_id, None)

    async def take(self, campaign_id: int) -> None:
        settings = await self.read(store.load_campaign, campaign_id)
        runner = CampaignRunner(self, settings)
        now_s = self.clock.now()
        try:
            live = await self.gateway.live_calls()
        except GatewayError:
            live = set()
        closed = await self.read(store.recover_campaign, settings, live, now_s)
        for answered_s, abandoned in await self.read(
            store.abandon_history, campaign_id, now_s - US_CAMPAIGN_WINDOW_S
        ):
            runner.ledger.record(answered_s, abandoned=abandoned)
        self.runners[campaign_id] = runner
        # Leads for the people assigned to it, claimed before they log in: a floor starting at
        # once finds its first calls' leads waiting (1,000 agents in 5 s outran the claims).
        runner.top_up(now_s, agents=settings.assigned_agents)
        logger.info(
            "engine took campaign %s (%s); %s calls closed on recovery",
            campaign_id,
            settings.name,
            closed,
        )

    # --- agents ----------------------------------------------------------------------------------------

    def command(self, command: AgentCommand, now_s: float) -> None:
        waiting = self._logging_in.get(command.agent_id)
        if waiting is not None:
            waiting.append(command)  # after the login being checked, in order
            return
        if command.kind == "login":
            self._login(command)
            return
        campaign_id = self.agent_campaign.get(command.agent_id)
        runner = self.runners.get(campaign_id) if campaign_id is not None else None
        agent = runner.agents.get(command.agent_id) if runner is not None else None
        if runner is None or agent is None:
            self._refuse(command, Refusal("not_logged_in"))
            return
        error = self._apply(runner, agent, command, now_s)
        if error:
            self._refuse(command, error)
            return
        runner.serve_queue(now_s)
        runner.decide_soon()

    def _apply(
        self, runner: CampaignRunner, agent: AgentSession, command: AgentCommand, now_s: float
    ) -> Refusal | None:
        kind = command.kind
        if kind in ("ready", "pause", "logout") and agent.consulted_on is not None:
            return runner.colleague_leaves(agent, command, now_s)
        if kind in ("ready", "pause", "logout") and agent.previewed is not None:
            runner.skip(agent, now_s)  # leaving a previewed lead gives it back
        if kind == "ready":
            if agent.state in (AgentState.ON_CALL, AgentState.WRAP_UP) or agent.call_id:
                return Refusal("finish_call_first")
            agent.pause_reason = ""
            self.set_state(runner, agent, AgentState.READY, now_s)
        elif kind == "pause":
            if agent.state in (AgentState.ON_CALL, AgentState.WRAP_UP) or agent.call_id:
                agent.pause_after_call = command.reason or "other"
            else:
                agent.pause_reason = command.reason or "other"
                self.set_state(runner, agent, AgentState.PAUSED, now_s)
        elif kind == "hang_up":
            if agent.call_id is None or agent.state not in (
                AgentState.ON_CALL,
                AgentState.RESERVED,
            ):
                return Refusal("not_on_call")
            # Hanging up one's own call while it rings is a no-answer, not a failure.
            cause = EndCause.NORMAL if agent.state == AgentState.ON_CALL else EndCause.NO_ANSWER
            self.spawn(self.gateway.hang_up(agent.call_id, cause))
        elif kind == "disposition":
            return runner.disposition(agent, command, now_s)
        elif kind == "preview_next":
            return runner.preview_next(agent, now_s)
        elif kind == "dial":
            return runner.dial_for(agent, command, now_s)
        elif kind == "skip":
            return runner.skip(agent, now_s)
        elif kind in ("hold", "unhold"):
            return runner.hold(agent, on_hold=kind == "hold")
        elif kind == "transfer":
            return runner.transfer(agent, command.target_agent_id, now_s)
        elif kind == "consult":
            return runner.consult(agent, command.target_agent_id, now_s)
        elif kind == "consult_transfer":
            return runner.complete_consultation(agent, now_s)
        elif kind == "consult_conference":
            return runner.conference(agent)
        elif kind == "consult_cancel":
            return runner.cancel_consultation(agent, now_s)
        elif kind == "logout":
            if agent.state in (AgentState.ON_CALL, AgentState.WRAP_UP) or agent.call_id:
                agent.logout_after_call = True
            else:
                self.remove_agent(runner, agent, now_s)
        return None

    def _login(self, command: AgentCommand) -> None:
        """Check that the person may work on the campaign, on the control thread: the engine
        goes on meanwhile (a floor logging in at once held every call's events behind each
        check), and the person's next commands wait for the answer (`logged_in`)."""
        campaign_id = command.campaign_id
        if campaign_id is None or campaign_id not in self.runners:
            self._refuse(command, Refusal("campaign_not_running"))
            return
        self._logging_in[command.agent_id] = []
        check = self.look_up(store.may_work, command.agent_id, campaign_id)
        check.add_done_callback(lambda done: self.post(("logged_in", command, done)))

    def logged_in(self, command: AgentCommand, check: Future[bool], now_s: float) -> None:
        """The login's check is back: log the person in (or refuse), then run the commands
        they sent meanwhile."""
        waiting = self._logging_in.pop(command.agent_id, [])
        try:
            if check.exception() is not None:  # the database did not answer (logged there)
                self._refuse(command, Refusal("login_not_checked"))
            else:
                self._log_in(command, check.result(), now_s)
        finally:
            for later in waiting:
                self.command(later, now_s)

    def _log_in(self, command: AgentCommand, may_work: bool, now_s: float) -> None:
        campaign_id = command.campaign_id
        runner = self.runners.get(campaign_id) if campaign_id is not None else None
        if runner is None or campaign_id is None:
            self._refuse(command, Refusal("campaign_not_running"))
            return
        if not may_work:
            self._refuse(command, Refusal("not_assigned"))
            return
        previous = self.agent_campaign.get(command.agent_id)
        if previous is not None and previous != campaign_id and previous in self.runners:
            old = self.runners[previous].agents.get(command.agent_id)
            if old is not None and old.state in (AgentState.ON_CALL, AgentState.WRAP_UP):
                self._refuse(command, Refusal("finish_call_before_moving"))
                return
            if old is not None:
                self.remove_agent(self.runners[previous], old, now_s)
        if command.agent_id in runner.agents:
            return  # a second login (a reconnecting desk) changes nothing
        if command.endpoint:
            self.spawn(self.gateway.attach_agent(command.agent_id, command.endpoint))
        agent = AgentSession(
            command.agent_id,
            campaign_id,
            AgentState.PAUSED,
            now_s,
            pause_reason="not_ready",
            auto_ready=command.auto_ready,
            wrap_up_s=runner.wrap_up_limit(command.wrap_up_s),
        )
        runner.agents[command.agent_id] = agent
        self.agent_campaign[command.agent_id] = campaign_id
        runner.top_up(now_s)
        self.write(
            agent.agent_id,
            _close_then_open,
            agent.agent_id,
            campaign_id,
            AgentState.PAUSED,
            now_s,
            "other",
        )
        self.publish_agent(
            agent.agent_id,
            {"type": "agent.state", "state": agent.state, "campaign_id": campaign_id},
        )

    def _refuse(self, command: AgentCommand, refusal: Refusal) -> None:
        self.refuse(command.agent_id, command.kind, refusal)

    def refuse(self, agent_id: int, command: str, refusal: Refusal) -> None:
        """Tell the agent a command was not done: a code and parameters, worded by the desk."""
        self.publish_agent(
            agent_id,
            {
                "type": "command.refused",
                "command": command,
                "code": refusal.code,
                "params": refusal.params,
            },
        )

    def set_state(
        self, runner: CampaignRunner, agent: AgentSession, state: str, now_s: float
    ) -> None:
        if agent.state == state and state != AgentState.PAUSED:
            return
        agent.state = state
        agent.since_s = now_s
        reason = agent.pause_reason if state == AgentState.PAUSED else ""
        self.write(
            agent.agent_id,
            _close_then_open,
            agent.agent_id,
            runner.settings.campaign_id,
            state,
            now_s,
            reason,
        )
        self.publish_agent(
            agent.agent_id,
            {
                "type": "agent.state",
                "state": state,
                "campaign_id": runner.settings.campaign_id,
                "reason": reason,
            },
        )

    def remove_agent(self, runner: CampaignRunner, agent: AgentSession, now_s: float) -> None:
        runner.agents.pop(agent.agent_id, None)
        self.agent_campaign.pop(agent.agent_id, None)
        self.write(agent.agent_id, store.close_open_intervals, [agent.agent_id], now_s)
        self.spawn(self.gateway.detach_agent(agent.agent_id))
        self.publish_agent(agent.agent_id, {"type": "agent.state", "state": AgentState.LOGGED_OUT})

    async def shutdown(self) -> None:
        now_s = self.clock.now()
        for runner in self.runners.values():
            runner.claim(store.release_leads, list(runner.hopper))
            if runner.refill_future is not None:
                # Leads claimed for a hopper not filled yet: the claim ran first (one thread).
                runner.claim(_release_claimed, runner.refill_future)
            for agent_id in runner.agents:
                self.write(agent_id, store.close_open_intervals, [agent_id], now_s)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.get_running_loop().run_in_executor(None, self.stop_threads)

    def stop_threads(self) -> None:
        """Stop the database threads once their work is done, each closing its connection:
        the records first, then the campaigns' locks are let go (another engine may take them
        with every record written)."""
        for claims in [*self._claims, self._counts]:
            claims.submit(_close_connection)
        self._dials.shutdown()
        for writer in self._records:
            writer.shutdown()
        for campaign_id in self.runners:
            self._control.submit(store.release, campaign_id, alone=True)
        self._control.shutdown()
        for claims in [*self._claims, self._counts]:
            claims.shutdown()


def _nothing() -> None:
    """A records thread's barrier: done once everything queued before it is written."""


def _record_threads() -> int:
    """Records threads: `DIALER_RECORD_THREADS` on PostgreSQL; one on SQLite, which takes one
    writer at a time."""
    from django.conf import settings
    from django.db import connection

    return settings.DIALER_RECORD_THREADS if connection.vendor == "postgresql" else 1


def _close_then_open(agent_id: int, campaign_id: int, state: str, now_s: float, reason: str) -> int:
    """An agent's state interval ends where the next one starts."""
    store.close_open_intervals([agent_id], now_s)
    return store.open_interval(agent_id, campaign_id, state, now_s, reason)


def _submit(
    executor: ThreadPoolExecutor, function: Callable[..., T], *args: Any, **kwargs: Any
) -> Future[T]:
    def run() -> T:
        from django.db import connection

        # The connection lives as long as the engine: it holds the campaigns' locks. It is
        # replaced only when broken (the locks are then checked again at the next sync).
        if (
            connection.connection is not None
            and connection.errors_occurred
            and not connection.is_usable()
        ):
            connection.close()
        return function(*args, **kwargs)

    future = executor.submit(run)
    future.add_done_callback(_log_failure)
    return future


def _release_claimed(claim: Future[list[store.HopperLead]]) -> None:
    if claim.done() and claim.exception() is None:
        store.release_leads(claim.result())


def _close_connection() -> None:
    from django.db import connection

    connection.close()


def _log_failure(future: Future[Any]) -> None:
    if future.cancelled():
        return  # work queued behind a shutdown
    error = future.exception()
    if error is not None and not isinstance(error, store.DialRefused):
        logger.error("dialer database write failed", exc_info=error)
