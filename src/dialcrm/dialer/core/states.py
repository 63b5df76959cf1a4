"""What an agent can be doing, as the engine tracks it (the database choices mirror it)."""

from __future__ import annotations

from enum import StrEnum


class AgentStatus(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    RESERVED = "reserved"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"
