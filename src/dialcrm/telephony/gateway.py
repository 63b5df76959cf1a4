"""The telephony gateway: the one interface between the dialer engine and a phone system.

The engine gives commands (originate, connect to an agent, hold, transfer, consult a colleague,
hang up, play a message, record) and reads events (progress, answered, ended). Call ids are ours: the adapter
passes them to the phone system (Asterisk's channel id), so a retried originate is idempotent and
events map back to our records without a lookup table. Adapters classify outcomes into `EndCause` from the phone system's
own cause codes (Q.850 for Asterisk), never from dial-status text.

No Django here: adapters and the engine's pure parts are tested and benchmarked alone.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field


class AnsweredBy(enum.StrEnum):
    """Who answered, as answering-machine detection (AMD) tells."""

    HUMAN = "human"
    MACHINE = "machine"
    UNSURE = "unsure"


class EndCause(enum.StrEnum):
    """Why a call ended, normalised across phone systems."""

    NORMAL = "normal"  # answered and hung up
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    REJECTED = "rejected"
    INVALID_NUMBER = "invalid_number"
    FAILED = "failed"


# Q.850 cause codes (as Asterisk reports them in ChannelDestroyed.cause) to our causes.
Q850_CAUSES: Mapping[int, EndCause] = {
    16: EndCause.NORMAL,
    17: EndCause.BUSY,
    18: EndCause.NO_ANSWER,
    19: EndCause.NO_ANSWER,
    20: EndCause.NO_ANSWER,
    21: EndCause.REJECTED,
    1: EndCause.INVALID_NUMBER,
    3: EndCause.INVALID_NUMBER,
    22: EndCause.INVALID_NUMBER,
    28: EndCause.INVALID_NUMBER,
    27: EndCause.FAILED,
    34: EndCause.CONGESTION,
    38: EndCause.FAILED,
    41: EndCause.FAILED,
    42: EndCause.CONGESTION,
    44: EndCause.CONGESTION,
    58: EndCause.FAILED,
    102: EndCause.NO_ANSWER,
    127: EndCause.FAILED,
}


def cause_from_q850(code: int, *, was_answered: bool) -> EndCause:
    """Classify a Q.850 cause; an answered call that ends is a normal end whatever the code."""
    if was_answered:
        return EndCause.NORMAL
    return Q850_CAUSES.get(code, EndCause.FAILED)


@dataclass(frozen=True)
class Originate:
    """Place a call to a number."""

    call_id: str
    number: str  # E.164
    caller_id: str
    ring_timeout_s: float
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallProgress:
    """The call is ringing at the far end."""

    call_id: str
    at: float


@dataclass(frozen=True)
class CallAnswered:
    """The far end answered; `answered_by` comes from answering-machine detection."""

    call_id: str
    at: float
    answered_by: AnsweredBy


@dataclass(frozen=True)
class CallEnded:
    """The call is over (never answered, or hung up by either side)."""

    call_id: str
    at: float
    cause: EndCause
    cause_code: int | None = None


GatewayEvent = CallProgress | CallAnswered | CallEnded


class GatewayError(Exception):
    """The phone system refused a command or could not be reached."""


class CallExists(GatewayError):
    """An originate with this call id was placed already (the retry is a no-op)."""


class Gateway(abc.ABC):
    """What the engine needs from a phone system. Every method has its own timeout."""

    @abc.abstractmethod
    async def originate(self, request: Originate) -> None:
        """Place a call; raises CallExists for a call id already used."""

    @abc.abstractmethod
    async def attach_agent(self, agent_id: int, endpoint: str) -> None:
        """At the start of an agent's session, call their phone (a WebRTC softphone or a desk
        phone, e.g. `PJSIP/agent-42`) once and keep it connected, so that customers are put
        through without ringing the agent again."""

    @abc.abstractmethod
    async def detach_agent(self, agent_id: int) -> None:
        """End the agent's session line."""

    @abc.abstractmethod
    async def connect(self, call_id: str, agent_id: int) -> None:
        """Put an answered call through to an attached agent."""

    @abc.abstractmethod
    async def hold(self, call_id: str) -> None:
        """Take a connected call out of its agent's line and play it music on hold: the agent
        no longer hears the customer, nor the customer the agent."""

    @abc.abstractmethod
    async def unhold(self, call_id: str) -> None:
        """Stop the music and put a held call back through to the agent who held it."""

    @abc.abstractmethod
    async def transfer(self, call_id: str, agent_id: int) -> None:
        """Move a connected (or held) call to another attached agent's line: the customer
        talks to that agent from then on (a blind transfer)."""

    @abc.abstractmethod
    async def consult(self, agent_id: int, colleague_id: int) -> None:
        """Put an agent's line through to a colleague's line, so the two talk (a consultation
        before a warm transfer). The agent's customer is held first (`hold`); with the agent's
        line on the colleague's side, `transfer` of that customer to the colleague makes a
        three-way conference."""

    @abc.abstractmethod
    async def end_consultation(self, agent_id: int) -> None:
        """Bring an agent's line back from the colleague they consulted to their own line; an
        agent who is not consulting anyone (or whose line is gone) is not an error."""

    @abc.abstractmethod
    async def hang_up(self, call_id: str, cause: EndCause = EndCause.NORMAL) -> None:
        """End a call; ending one that is gone already is not an error."""

    @abc.abstractmethod
    async def play(self, call_id: str, message: str) -> None:
        """Play a recorded message (e.g. the abandoned-call message) to the call."""

    @abc.abstractmethod
    async def start_recording(self, call_id: str, name: str) -> None:
        """Record the call (the agent and the customer) under a name."""

    @abc.abstractmethod
    async def stop_recording(self, call_id: str) -> None:
        """Stop a recording started with start_recording."""

    @abc.abstractmethod
    async def live_calls(self) -> set[str]:
        """The call ids the phone system holds now, to reconcile after a restart."""

    @abc.abstractmethod
    def events(self) -> AsyncIterator[GatewayEvent]:
        """The stream of events, in the order the phone system reported them."""

    async def close(self) -> None:
        """Release connections; the default has none."""
        return None
