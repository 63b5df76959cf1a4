"""Dialing rules as pure functions: calling hours, DNC, attempt limits, redial delays.

Times are float epoch seconds; time zones are IANA names (or `ZoneInfo`), read through the
standard library's `zoneinfo`. The DNC list is injected: any container of numbers (a set) or a
callable `number -> bool` (the engine passes a database look-up).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from dialcrm.dialer.core.outcomes import CallOutcome

HOUR_S = 3600.0
UK_ABANDONED_REDIAL_BLOCK_S = 72 * HOUR_S

DoNotCallList = Container[str] | Callable[[str], bool]


def _default_redial_delays() -> dict[CallOutcome, float]:
    return {
        CallOutcome.NO_ANSWER: 1 * HOUR_S,
        CallOutcome.BUSY: 0.25 * HOUR_S,
        CallOutcome.MACHINE: 2 * HOUR_S,
        CallOutcome.FAILED: 0.5 * HOUR_S,
        CallOutcome.ABANDONED: 1 * HOUR_S,
    }


@dataclass(frozen=True, slots=True)
class ComplianceRules:
    """A campaign's dialing rules. Defaults follow the US rules (08:00-21:00 local time)."""

    calling_start: time = time(8, 0)
    calling_end: time = time(21, 0)
    """Exclusive: a call may start at 20:59:59 but not at 21:00."""
    max_attempts_per_number: int = 5
    max_attempts_per_lead: int = 10
    redial_delay_s: Mapping[CallOutcome, float] = field(default_factory=_default_redial_delays)
    """Wait after each outcome before the number may be dialled again; an outcome not listed
    (a contact) ends automatic redialling: what follows is the agent's disposition."""
    abandoned_redial_block_s: float | None = UK_ABANDONED_REDIAL_BLOCK_S
    """UK: no redial within 72 h of an abandoned call; None switches the rule off."""

    def __post_init__(self) -> None:
        if self.max_attempts_per_number < 1 or self.max_attempts_per_lead < 1:
            raise ValueError("max attempts must be at least 1")
        for outcome, delay in self.redial_delay_s.items():
            if delay < 0:
                raise ValueError(f"redial_delay_s[{outcome}] must not be negative")
        if self.abandoned_redial_block_s is not None and self.abandoned_redial_block_s < 0:
            raise ValueError("abandoned_redial_block_s must not be negative")


DEFAULT_RULES = ComplianceRules()


@dataclass(frozen=True, slots=True)
class DialHistory:
    """What is known about past dials of one number of one lead."""

    attempts_on_number: int = 0
    attempts_on_lead: int = 0
    last_outcome: CallOutcome | None = None
    last_ended_at_s: float | None = None
    last_abandoned_at_s: float | None = None


class Refusal(StrEnum):
    """Why a number may not be dialled now."""

    OUTSIDE_CALLING_HOURS = "outside_calling_hours"
    DO_NOT_CALL = "do_not_call"
    MAX_ATTEMPTS_NUMBER = "max_attempts_number"
    MAX_ATTEMPTS_LEAD = "max_attempts_lead"
    NO_AUTOMATIC_REDIAL = "no_automatic_redial"
    REDIAL_TOO_SOON = "redial_too_soon"
    ABANDONED_RECENTLY = "abandoned_recently"


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_time(now_s: float, timezone: str | ZoneInfo) -> datetime:
    """The aware local datetime at epoch `now_s` in `timezone`."""
    zone = _zone(timezone) if isinstance(timezone, str) else timezone
    return datetime.fromtimestamp(now_s, tz=UTC).astimezone(zone)


def is_within_calling_hours(
    now_s: float, timezone: str | ZoneInfo, rules: ComplianceRules = DEFAULT_RULES
) -> bool:
    """True when the called party's local time is within [calling_start, calling_end)."""
    clock = local_time(now_s, timezone).time()
    return rules.calling_start <= clock < rules.calling_end


def is_on_dnc(number: str, dnc: DoNotCallList) -> bool:
    """Ask the injected DNC list: a container (`number in dnc`) or a callable (`dnc(number)`)."""
    if callable(dnc):
        return bool(dnc(number))
    return number in dnc


def next_attempt_at(
    outcome: CallOutcome, ended_at_s: float, rules: ComplianceRules = DEFAULT_RULES
) -> float | None:
    """When the number may be dialled again after `outcome`, or None (no automatic redial)."""
    delay = rules.redial_delay_s.get(outcome)
    if delay is None:
        return None
    at_s = ended_at_s + delay
    if outcome is CallOutcome.ABANDONED and rules.abandoned_redial_block_s is not None:
        at_s = max(at_s, ended_at_s + rules.abandoned_redial_block_s)
    return at_s


def refusal_reason(
    number: str,
    timezone: str | ZoneInfo,
    history: DialHistory,
    now_s: float,
    rules: ComplianceRules = DEFAULT_RULES,
    dnc: DoNotCallList = frozenset(),
) -> Refusal | None:
    """The first rule that forbids dialling `number` now, or None when it may be dialled."""
    if history.attempts_on_number >= rules.max_attempts_per_number:
        return Refusal.MAX_ATTEMPTS_NUMBER
    if history.attempts_on_lead >= rules.max_attempts_per_lead:
        return Refusal.MAX_ATTEMPTS_LEAD
    if (
        rules.abandoned_redial_block_s is not None
        and history.last_abandoned_at_s is not None
        and now_s < history.last_abandoned_at_s + rules.abandoned_redial_block_s
    ):
        return Refusal.ABANDONED_RECENTLY
    if history.last_outcome is not None and history.last_ended_at_s is not None:
        due_at_s = next_attempt_at(history.last_outcome, history.last_ended_at_s, rules)
        if due_at_s is None:
            return Refusal.NO_AUTOMATIC_REDIAL
        if now_s < due_at_s:
            return Refusal.REDIAL_TOO_SOON
    if not is_within_calling_hours(now_s, timezone, rules):
        return Refusal.OUTSIDE_CALLING_HOURS
    if is_on_dnc(number, dnc):
        return Refusal.DO_NOT_CALL
    return None


def may_dial(
    number: str,
    timezone: str | ZoneInfo,
    history: DialHistory,
    now_s: float,
    rules: ComplianceRules = DEFAULT_RULES,
    dnc: DoNotCallList = frozenset(),
) -> bool:
    return refusal_reason(number, timezone, history, now_s, rules, dnc) is None
