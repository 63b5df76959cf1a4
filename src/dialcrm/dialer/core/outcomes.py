"""What a dial can end as, as the dialer sees it (never the simulator's hidden truth)."""

from __future__ import annotations

from enum import StrEnum


class CallOutcome(StrEnum):
    """The observable result of one dial attempt."""

    CONTACT = "contact"
    """A live person was connected to an agent."""
    ABANDONED = "abandoned"
    """A live person answered and found no agent within the connect window."""
    MACHINE = "machine"
    """An answering machine (detected by AMD, or recognised by the agent)."""
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    """Rang until the ring timeout."""
    FAILED = "failed"
    """Congestion, rejected, invalid number: the network could not complete the call."""

    @property
    def is_live_answer(self) -> bool:
        """True when a live person answered (what the abandon rate is measured against)."""
        return self in (CallOutcome.CONTACT, CallOutcome.ABANDONED)
