"""Simulated agents: bots that log in, take calls, talk, wrap up, set statuses (sales
included) and take pauses, through the same commands a person's desk sends. The demo runs them
beside real people, so the wallboard and the reports show a live call center."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialcrm.dialer.core.distributions import Distribution, DistributionKind
from dialcrm.dialer.engine import AgentCommand, Engine
from dialcrm.telephony.simulated import SimulatedGateway

DEFAULT_STATUS_WEIGHTS: Mapping[str, float] = {
    "SALE": 0.12,
    "POSITIVE": 0.10,
    "NI": 0.48,
    "CB": 0.12,
    "WN": 0.04,
    "DNC": 0.02,
    "AM": 0.02,
    "NA": 0.10,
}
PAUSE_REASON = "break"


@dataclass(frozen=True)
class BotBehaviour:
    """How a simulated agent works: talk and wrap-up times, pauses, and the statuses set."""

    talk_s: Distribution = field(
        default_factory=lambda: Distribution(DistributionKind.LOGNORMAL, 150.0, 90.0)
    )
    wrap_s: Distribution = field(
        default_factory=lambda: Distribution(DistributionKind.EXPONENTIAL, 15.0)
    )
    pauses_per_hour: float = 0.5
    pause_s: Distribution = field(
        default_factory=lambda: Distribution(DistributionKind.EXPONENTIAL, 300.0)
    )
    status_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_STATUS_WEIGHTS)
    )
    # An answering machine the detection let through: the agent hears it and hangs up.
    machine_s: Distribution = field(default_factory=lambda: Distribution.constant(8.0))


class SimulatedAgent:
    """One bot, bound to an engine, an agent account and a campaign."""

    def __init__(
        self, engine: Engine, agent_id: int, campaign_id: int, behaviour: BotBehaviour, seed: int
    ) -> None:
        self.engine = engine
        self.agent_id = agent_id
        self.campaign_id = campaign_id
        self.behaviour = behaviour
        self.random = random.Random(seed)
        self.talk = behaviour.talk_s.sampler(self.random)
        self.wrap = behaviour.wrap_s.sampler(self.random)
        self.pause = behaviour.pause_s.sampler(self.random)
        self.machine = behaviour.machine_s.sampler(self.random)
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.pause_over = asyncio.Event()
        self.calls_handled = 0
        engine.listen(agent_id, self.inbox.put_nowait)

    def send(self, kind: str, **values: Any) -> None:
        self.engine.submit(
            AgentCommand(kind=kind, agent_id=self.agent_id, campaign_id=self.campaign_id, **values)
        )

    async def _next(self, kind: str) -> dict[str, Any]:
        while True:
            message = await self.inbox.get()
            if message.get("type") == kind:
                return message
            if (message.get("type"), message.get("state"), message.get("reason")) == (
                "agent.state",
                "paused",
                PAUSE_REASON,
            ):
                # The pause this bot asked for began: take it, then back to work.
                await self.engine.clock.sleep(self.pause())
                self.send("ready")
                self.pause_over.set()

    def _hears_a_machine(self, call_id: str) -> bool:
        gateway = self.engine.gateway
        return isinstance(gateway, SimulatedGateway) and gateway.is_machine(call_id)

    async def _ask_for_pauses(self) -> None:
        """As the simulator's agents do: a pause falls due at random (`pauses_per_hour`, a
        Poisson process from the end of the last one); a ready agent takes it at once, one on a
        call once the call is closed (the engine holds the request meanwhile)."""
        rate = self.behaviour.pauses_per_hour / 3600.0
        while True:
            await self.engine.clock.sleep(self.random.expovariate(rate))
            self.pause_over.clear()
            self.send("pause", reason=PAUSE_REASON)
            await self.pause_over.wait()

    async def run(self) -> None:
        clock = self.engine.clock
        self.send("login", endpoint=f"Local/bot-{self.agent_id}")
        await clock.sleep(1.0)
        self.send("ready")
        pauses = (
            asyncio.create_task(self._ask_for_pauses())
            if self.behaviour.pauses_per_hour > 0
            else None
        )
        try:
            while True:
                offer = await self._next("call.offered")
                await self._take(offer["call_id"])
        finally:
            if pauses is not None:
                pauses.cancel()

    async def _take(self, call_id: str) -> None:
        clock = self.engine.clock
        if self._hears_a_machine(call_id):
            await clock.sleep(self.machine())
            self.send("hang_up")
            await self._next("call.ended")
            status = "AM"
        else:
            await clock.sleep(self.talk())
            self.send("hang_up")
            await self._next("call.ended")
            await clock.sleep(self.wrap())
            weights = self.behaviour.status_weights
            status = self.random.choices(list(weights), weights=list(weights.values()))[0]
        callback_at = clock.now() + 3600 if status == "CB" else None
        self.send(
            "disposition",
            call_id=call_id,
            status_code=status,
            callback_at_s=callback_at,
            go_ready=True,
        )
        self.calls_handled += 1
