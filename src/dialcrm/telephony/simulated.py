"""The simulated gateway: customers who answer, do not, are busy, or are answering machines, as
the dialer core's call model draws them. Used by the demo, the benchmarks and the tests.

It knows the hidden truth of each call (who really answered); it reports only what a real
phone system would: ringing, answered with an AMD verdict, ended with a cause.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from dialcrm.dialer.core.distributions import Distribution, DistributionKind
from dialcrm.dialer.core.scenario import AnsweringMachineDetection, HourCurve, Outcomes
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


@dataclass(frozen=True)
class CustomerModel:
    """How the people (and machines) at the numbers behave."""

    outcomes: Outcomes = field(
        default_factory=lambda: Outcomes(human=0.25, machine=0.08, busy=0.05, failed=0.02)
    )
    time_to_answer_s: Distribution = field(
        default_factory=lambda: Distribution(DistributionKind.UNIFORM, 4.0, 20.0)
    )
    quick_result_s: Distribution = field(
        default_factory=lambda: Distribution(DistributionKind.UNIFORM, 1.0, 5.0)
    )
    amd: AnsweringMachineDetection = field(
        default_factory=lambda: AnsweringMachineDetection(
            detects_machine=0.85,
            mistakes_human=0.03,
            misdetected_machine_s=Distribution.constant(8.0),
        )
    )
    human_by_hour: HourCurve = field(default_factory=lambda: HourCurve((), ()))
    amd_delay_s: float = 1.5  # the time AMD listens before its verdict


@dataclass
class _Call:
    request: Originate
    answered: bool = False
    truth: str = ""  # who is at the number: human, machine, busy, failed, no_answer
    task: asyncio.Task[None] | None = None


class SimulatedGateway(Gateway):
    """An in-process phone system driven by a `CustomerModel`, on a shared `Clock`."""

    def __init__(self, clock: Clock, model: CustomerModel | None = None, seed: int = 1) -> None:
        self.clock = clock
        self.model = model or CustomerModel()
        self._random = random.Random(seed)
        self._ring = self.model.time_to_answer_s.sampler(self._random)
        self._quick = self.model.quick_result_s.sampler(self._random)
        self._calls: dict[str, _Call] = {}
        self._used_ids: set[str] = set()
        self._events: asyncio.Queue[GatewayEvent] = asyncio.Queue()
        self._attached: dict[int, str] = {}
        self._connected_to: dict[str, int] = {}
        self.held: set[str] = set()
        self.consulting: dict[int, int] = {}  # an agent's line put through to a colleague's
        self.recordings: dict[str, str] = {}
        self.played: list[tuple[str, str]] = []
        self.is_connected = True

    # --- faults, for tests ---------------------------------------------------------------------

    def disconnect(self) -> None:
        """The link to the phone system drops: commands fail until `reconnect`."""
        self.is_connected = False

    def reconnect(self) -> None:
        self.is_connected = True

    def _require_link(self) -> None:
        if not self.is_connected:
            raise GatewayError("the simulated phone system is unreachable")

    # --- commands ---------------------------------------------------------------------------------

    async def originate(self, request: Originate) -> None:
        self._require_link()
        if request.call_id in self._used_ids:
            raise CallExists(request.call_id)
        self._used_ids.add(request.call_id)
        call = _Call(request)
        self._calls[request.call_id] = call
        call.task = asyncio.create_task(self._play_out(call), name=f"call-{request.call_id}")

    async def attach_agent(self, agent_id: int, endpoint: str) -> None:
        self._require_link()
        self._attached[agent_id] = endpoint

    async def detach_agent(self, agent_id: int) -> None:
        self._attached.pop(agent_id, None)
        self.consulting.pop(agent_id, None)

    async def connect(self, call_id: str, agent_id: int) -> None:
        self._require_link()
        call = self._calls.get(call_id)
        if call is None or not call.answered:
            raise GatewayError(f"call {call_id} is not answered or is gone")
        if agent_id not in self._attached:
            raise GatewayError(f"agent {agent_id} has no line attached")
        self._connected_to[call_id] = agent_id

    async def hold(self, call_id: str) -> None:
        self._require_link()
        if call_id not in self._connected_to:
            raise GatewayError(f"call {call_id} is not put through to an agent: nothing to hold")
        self.held.add(call_id)

    async def unhold(self, call_id: str) -> None:
        self._require_link()
        if call_id not in self._connected_to:
            raise GatewayError(f"call {call_id} is not put through to an agent: nothing to unhold")
        self.held.discard(call_id)

    async def transfer(self, call_id: str, agent_id: int) -> None:
        self._require_link()
        if call_id not in self._connected_to:
            raise GatewayError(f"call {call_id} is not put through to an agent: cannot transfer")
        if agent_id not in self._attached:
            raise GatewayError(f"agent {agent_id} has no line attached")
        self.held.discard(call_id)
        self._connected_to[call_id] = agent_id

    async def consult(self, agent_id: int, colleague_id: int) -> None:
        self._require_link()
        for someone in (agent_id, colleague_id):
            if someone not in self._attached:
                raise GatewayError(f"agent {someone} has no line attached")
        if agent_id in self.consulting:
            raise GatewayError(f"agent {agent_id} is consulting agent {self.consulting[agent_id]}")
        self.consulting[agent_id] = colleague_id

    async def end_consultation(self, agent_id: int) -> None:
        self._require_link()
        self.consulting.pop(agent_id, None)

    def is_machine(self, call_id: str) -> bool:
        """Whether an answering machine took the call: what an agent put through to it hears
        (simulated agents hang up on one, as people do)."""
        call = self._calls.get(call_id)
        return call is not None and call.truth == "machine"

    def agent_of(self, call_id: str) -> int | None:
        """The agent whose line a call is put through to (for tests)."""
        return self._connected_to.get(call_id)

    async def hang_up(self, call_id: str, cause: EndCause = EndCause.NORMAL) -> None:
        self._require_link()
        call = self._calls.get(call_id)
        if call is None:
            return
        if call.task is not None and call.task is not asyncio.current_task():
            call.task.cancel()
        self._end(call, EndCause.NORMAL if call.answered else cause, 16)

    async def play(self, call_id: str, message: str) -> None:
        self._require_link()
        if call_id in self._calls:
            self.played.append((call_id, message))

    async def start_recording(self, call_id: str, name: str) -> None:
        self._require_link()
        if call_id in self._calls:
            self.recordings[call_id] = name

    async def stop_recording(self, call_id: str) -> None:
        self._require_link()

    async def live_calls(self) -> set[str]:
        self._require_link()
        return set(self._calls)

    async def events(self) -> AsyncIterator[GatewayEvent]:
        while True:
            yield await self._events.get()

    async def close(self) -> None:
        for call in list(self._calls.values()):
            if call.task is not None:
                call.task.cancel()
        self._calls.clear()

    # --- the customers -------------------------------------------------------------------------------

    def _draw(self) -> str:
        outcomes, hour = self.model.outcomes, self.clock.now() / 3600 % 24
        human = outcomes.human * self.model.human_by_hour.factor(hour)
        draw = self._random.random()
        for name, probability in (
            ("human", human),
            ("machine", outcomes.machine),
            ("busy", outcomes.busy),
            ("failed", outcomes.failed),
        ):
            if draw < probability:
                return name
            draw -= probability
        return "no_answer"

    async def _play_out(self, call: _Call) -> None:
        call_id, timeout = call.request.call_id, call.request.ring_timeout_s
        truth = call.truth = self._draw()
        try:
            await self.clock.sleep(min(1.0, timeout))
            self._emit(CallProgress(call_id, self.clock.now()))
            if truth in ("busy", "failed"):
                await self.clock.sleep(self._quick())
                cause, code = (EndCause.BUSY, 17) if truth == "busy" else (EndCause.CONGESTION, 34)
                self._end(call, cause, code)
                return
            ring = self._ring() if truth != "no_answer" else timeout
            if ring >= timeout:
                await self.clock.sleep(max(0.0, timeout - 1.0))
                self._end(call, EndCause.NO_ANSWER, 19)
                return
            await self.clock.sleep(max(0.0, ring - 1.0) + self.model.amd_delay_s)
            call.answered = True
            self._emit(CallAnswered(call_id, self.clock.now(), self._verdict(truth)))
        except asyncio.CancelledError:
            return

    def _verdict(self, truth: str) -> AnsweredBy:
        amd = self.model.amd
        if truth == "machine":
            return (
                AnsweredBy.MACHINE
                if self._random.random() < amd.detects_machine
                else AnsweredBy.HUMAN
            )
        return (
            AnsweredBy.MACHINE if self._random.random() < amd.mistakes_human else AnsweredBy.HUMAN
        )

    def _emit(self, event: GatewayEvent) -> None:
        self._events.put_nowait(event)

    def _end(self, call: _Call, cause: EndCause, code: int) -> None:
        if self._calls.pop(call.request.call_id, None) is None:
            return
        self._connected_to.pop(call.request.call_id, None)
        self.held.discard(call.request.call_id)
        self._emit(CallEnded(call.request.call_id, self.clock.now(), cause, code))
