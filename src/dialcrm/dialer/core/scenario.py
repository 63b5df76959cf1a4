"""Simulation scenarios: the JSON shape documented in docs/simulator.md, validated key by key.

`parse_scenario(data)` turns an already-decoded JSON object into a frozen `Scenario` or raises
`ScenarioError` whose message starts with the dotted key at fault. Reading the file is the caller's
business (the CLI does it), so this module stays free of I/O.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dialcrm.dialer.core.distributions import (
    Distribution,
    DistributionKind,
    ScenarioError,
    parse_distribution,
    read_number,
)
from dialcrm.dialer.core.outcomes import CallOutcome

SECONDS_PER_HOUR = 3600.0
UK_ABANDONED_REDIAL_BLOCK_S = 72 * SECONDS_PER_HOUR


class HourCurveMode(StrEnum):
    LINEAR = "linear"
    """Interpolate linearly between the given hours; flat before the first and after the last."""
    STEP = "step"
    """Each given hour's factor holds until the next given hour."""


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Per-dial probabilities; whatever is left over rings out (no answer)."""

    human: float
    machine: float
    busy: float
    failed: float

    @property
    def no_answer(self) -> float:
        return max(0.0, 1.0 - self.human - self.machine - self.busy - self.failed)


@dataclass(frozen=True, slots=True)
class Pauses:
    per_agent_hour: float
    duration_s: Distribution


@dataclass(frozen=True, slots=True)
class AnsweringMachineDetection:
    detects_machine: float
    """Share of machines that AMD recognises (the rest go to an agent)."""
    mistakes_human: float
    """Share of live people that AMD takes for a machine (hung up: a lost contact)."""
    misdetected_machine_s: Distribution
    """How long an agent spends on a machine that AMD let through."""


@dataclass(frozen=True, slots=True)
class Segments:
    """Observable lead attributes (list, region) that carry part of the hidden propensity."""

    lists: int = 1
    regions: int = 1
    explained: float = 0.0
    """Share (0..1) of the propensity and best-hour spread that the segment explains."""

    @property
    def count(self) -> int:
        return self.lists * self.regions


@dataclass(frozen=True, slots=True)
class HourCurve:
    """`human_by_hour`: a multiplier of the human answer rate by (fractional) hour of day."""

    hours: tuple[float, ...]
    factors: tuple[float, ...]
    mode: HourCurveMode = HourCurveMode.LINEAR

    def factor(self, hour: float) -> float:
        hours = self.hours
        if not hours:
            return 1.0
        if hour <= hours[0]:
            return self.factors[0]
        if hour >= hours[-1]:
            return self.factors[-1]
        right = bisect.bisect_right(hours, hour)
        if self.mode is HourCurveMode.STEP:
            return self.factors[right - 1]
        left_hour, right_hour = hours[right - 1], hours[right]
        share = (hour - left_hour) / (right_hour - left_hour)
        return self.factors[right - 1] + share * (self.factors[right] - self.factors[right - 1])


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    agents: int
    start_hour: float
    shift_s: float
    talk_s: Distribution
    wrap_s: Distribution
    pauses: Pauses
    outcomes: Outcomes
    human_by_hour: HourCurve
    time_to_answer_s: Distribution
    ring_timeout_s: float
    connect_window_s: float
    abandon_cap: float
    leads: int
    lead_heterogeneity: float
    max_attempts: int
    retry_delay_s: float
    amd: AnsweringMachineDetection
    login_spread_s: float = 0.0
    max_lines: int = 0
    quick_result_s: Distribution = field(
        default_factory=lambda: Distribution(DistributionKind.UNIFORM, 1.0, 5.0)
    )
    segments: Segments = field(default_factory=Segments)
    redial_only_when_all_agents_busy: bool = False
    abandoned_redial_block_s: float = UK_ABANDONED_REDIAL_BLOCK_S
    decision_interval_s: float = 1.0
    minimum_ring_s: float = 15.0
    """A strategy that manages ring time may hang up unanswered calls after this long."""
    retry_delay_by_outcome_s: Mapping[CallOutcome, float] = field(default_factory=dict)

    def retry_delay_for(self, outcome: CallOutcome) -> float:
        return self.retry_delay_by_outcome_s.get(outcome, self.retry_delay_s)


_REQUIRED_KEYS = (
    "name",
    "agents",
    "start_hour",
    "shift_s",
    "talk_s",
    "wrap_s",
    "pauses",
    "outcomes",
    "human_by_hour",
    "time_to_answer_s",
    "ring_timeout_s",
    "connect_window_s",
    "abandon_cap",
    "leads",
    "lead_heterogeneity",
    "max_attempts",
    "retry_delay_s",
    "amd",
)
_OPTIONAL_KEYS = (
    "login_spread_s",
    "max_lines",
    "quick_result_s",
    "segments",
    "redial_only_when_all_agents_busy",
    "abandoned_redial_block_s",
    "decision_interval_s",
    "minimum_ring_s",
    "retry_delay_by_outcome_s",
    "human_by_hour_mode",
    "description",
)
_RETRYABLE_OUTCOMES = (
    CallOutcome.NO_ANSWER,
    CallOutcome.BUSY,
    CallOutcome.MACHINE,
    CallOutcome.FAILED,
)


def parse_scenario(data: Any) -> Scenario:
    """Validate a decoded JSON scenario; raise `ScenarioError` naming the first bad key."""
    if not isinstance(data, Mapping):
        raise ScenarioError("", "a scenario must be a JSON object")
    for key in _REQUIRED_KEYS:
        if key not in data:
            raise ScenarioError(key, "missing key")
    unknown = sorted(set(data) - set(_REQUIRED_KEYS) - set(_OPTIONAL_KEYS))
    if unknown:
        raise ScenarioError(unknown[0], "unknown key")

    name = data["name"]
    if not isinstance(name, str) or not name:
        raise ScenarioError("name", "must be a non-empty string")
    agents = _read_count(data, "agents", "agents", minimum=1)
    shift_s = _read_positive(data, "shift_s", "shift_s")
    start_hour = read_number(data, "start_hour", "start_hour")
    if not 0 <= start_hour < 24:
        raise ScenarioError("start_hour", f"must be within 0..24 (got {start_hour:g})")
    outcomes = _parse_outcomes(data["outcomes"])
    ring_timeout_s = _read_positive(data, "ring_timeout_s", "ring_timeout_s")
    abandon_cap = read_number(data, "abandon_cap", "abandon_cap")
    if not 0 < abandon_cap < 1:
        raise ScenarioError("abandon_cap", f"must be between 0 and 1 (got {abandon_cap:g})")
    lead_heterogeneity = _read_non_negative(data, "lead_heterogeneity", "lead_heterogeneity")
    if lead_heterogeneity > 3:
        raise ScenarioError("lead_heterogeneity", "must be at most 3")
    max_lines = _read_count(data, "max_lines", "max_lines", minimum=1) if "max_lines" in data else 0
    decision_interval_s = (
        _read_positive(data, "decision_interval_s", "decision_interval_s")
        if "decision_interval_s" in data
        else 1.0
    )
    redial_when_busy = data.get("redial_only_when_all_agents_busy", False)
    if not isinstance(redial_when_busy, bool):
        raise ScenarioError("redial_only_when_all_agents_busy", "must be true or false")
    return Scenario(
        name=name,
        agents=agents,
        start_hour=start_hour,
        shift_s=shift_s,
        talk_s=parse_distribution(data["talk_s"], "talk_s"),
        wrap_s=parse_distribution(data["wrap_s"], "wrap_s"),
        pauses=_parse_pauses(data["pauses"]),
        outcomes=outcomes,
        human_by_hour=_parse_hour_curve(data["human_by_hour"], data.get("human_by_hour_mode")),
        time_to_answer_s=parse_distribution(data["time_to_answer_s"], "time_to_answer_s"),
        ring_timeout_s=ring_timeout_s,
        connect_window_s=_read_non_negative(data, "connect_window_s", "connect_window_s"),
        abandon_cap=abandon_cap,
        leads=_read_count(data, "leads", "leads", minimum=1),
        lead_heterogeneity=lead_heterogeneity,
        max_attempts=_read_count(data, "max_attempts", "max_attempts", minimum=1),
        retry_delay_s=_read_non_negative(data, "retry_delay_s", "retry_delay_s"),
        amd=_parse_amd(data["amd"]),
        login_spread_s=(
            _read_non_negative(data, "login_spread_s", "login_spread_s")
            if "login_spread_s" in data
            else 0.0
        ),
        max_lines=max_lines or 5 * agents,
        quick_result_s=(
            parse_distribution(data["quick_result_s"], "quick_result_s")
            if "quick_result_s" in data
            else Distribution(DistributionKind.UNIFORM, 1.0, 5.0)
        ),
        segments=_parse_segments(data.get("segments", {})),
        redial_only_when_all_agents_busy=redial_when_busy,
        abandoned_redial_block_s=(
            _read_non_negative(data, "abandoned_redial_block_s", "abandoned_redial_block_s")
            if "abandoned_redial_block_s" in data
            else UK_ABANDONED_REDIAL_BLOCK_S
        ),
        decision_interval_s=decision_interval_s,
        minimum_ring_s=(
            _read_non_negative(data, "minimum_ring_s", "minimum_ring_s")
            if "minimum_ring_s" in data
            else 15.0
        ),
        retry_delay_by_outcome_s=_parse_retry_delays(data.get("retry_delay_by_outcome_s", {})),
    )


def _parse_outcomes(value: Any) -> Outcomes:
    if not isinstance(value, Mapping):
        raise ScenarioError("outcomes", "must be an object of per-dial probabilities")
    names = ("human", "machine", "busy", "failed")
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise ScenarioError(f"outcomes.{unknown[0]}", "unknown outcome (no_answer is the rest)")
    probabilities = [_read_probability(value, name, f"outcomes.{name}") for name in names]
    total = sum(probabilities)
    if total > 1 + 1e-9:
        raise ScenarioError("outcomes", f"probabilities sum to {total:.4g}, more than 1")
    return Outcomes(*probabilities)


def _parse_pauses(value: Any) -> Pauses:
    if not isinstance(value, Mapping):
        raise ScenarioError("pauses", "must be an object with per_agent_hour and duration_s")
    unknown = sorted(set(value) - {"per_agent_hour", "duration_s"})
    if unknown:
        raise ScenarioError(f"pauses.{unknown[0]}", "unknown key")
    if "duration_s" not in value:
        raise ScenarioError("pauses.duration_s", "missing key")
    return Pauses(
        per_agent_hour=_read_non_negative(value, "per_agent_hour", "pauses.per_agent_hour"),
        duration_s=parse_distribution(value["duration_s"], "pauses.duration_s"),
    )


def _parse_amd(value: Any) -> AnsweringMachineDetection:
    if not isinstance(value, Mapping):
        raise ScenarioError("amd", "must be an object with detects_machine and mistakes_human")
    unknown = sorted(set(value) - {"detects_machine", "mistakes_human", "misdetected_machine_s"})
    if unknown:
        raise ScenarioError(f"amd.{unknown[0]}", "unknown key")
    misdetected = (
        parse_distribution(value["misdetected_machine_s"], "amd.misdetected_machine_s")
        if "misdetected_machine_s" in value
        else Distribution(DistributionKind.UNIFORM, 3.0, 10.0)
    )
    return AnsweringMachineDetection(
        detects_machine=_read_probability(value, "detects_machine", "amd.detects_machine"),
        mistakes_human=_read_probability(value, "mistakes_human", "amd.mistakes_human"),
        misdetected_machine_s=misdetected,
    )


def _parse_hour_curve(value: Any, raw_mode: Any) -> HourCurve:
    if not isinstance(value, Mapping):
        raise ScenarioError("human_by_hour", "must be an object like {'9': 0.8, '18': 1.3}")
    if raw_mode is None:
        mode = HourCurveMode.LINEAR
    else:
        try:
            mode = HourCurveMode(raw_mode)
        except ValueError:
            raise ScenarioError(
                "human_by_hour_mode", f"unknown mode {raw_mode!r} (expected linear or step)"
            ) from None
    points: list[tuple[float, float]] = []
    for raw_hour in value:
        key = f"human_by_hour.{raw_hour}"
        try:
            hour = float(raw_hour)
        except ValueError:
            raise ScenarioError(
                key, "the key must be an hour of day such as '9' or '13.5'"
            ) from None
        if not (math.isfinite(hour) and 0 <= hour <= 24):
            raise ScenarioError(key, "the hour must be within 0..24")
        points.append((hour, _read_non_negative(value, raw_hour, key)))
    points.sort()
    return HourCurve(
        hours=tuple(hour for hour, _ in points),
        factors=tuple(factor for _, factor in points),
        mode=mode,
    )


def _parse_segments(value: Any) -> Segments:
    if not isinstance(value, Mapping):
        raise ScenarioError("segments", "must be an object with lists, regions and explained")
    unknown = sorted(set(value) - {"lists", "regions", "explained"})
    if unknown:
        raise ScenarioError(f"segments.{unknown[0]}", "unknown key")
    return Segments(
        lists=_read_count(value, "lists", "segments.lists", minimum=1) if "lists" in value else 1,
        regions=(
            _read_count(value, "regions", "segments.regions", minimum=1)
            if "regions" in value
            else 1
        ),
        explained=(
            _read_probability(value, "explained", "segments.explained")
            if "explained" in value
            else 0.0
        ),
    )


def _parse_retry_delays(value: Any) -> dict[CallOutcome, float]:
    if not isinstance(value, Mapping):
        raise ScenarioError("retry_delay_by_outcome_s", "must be an object like {'busy': 900}")
    delays: dict[CallOutcome, float] = {}
    allowed = {outcome.value: outcome for outcome in _RETRYABLE_OUTCOMES}
    for raw_outcome in value:
        key = f"retry_delay_by_outcome_s.{raw_outcome}"
        if raw_outcome not in allowed:
            raise ScenarioError(key, f"unknown outcome (expected one of {', '.join(allowed)})")
        delays[allowed[raw_outcome]] = _read_non_negative(value, raw_outcome, key)
    return delays


def _read_count(container: Mapping[str, Any], name: str, key: str, *, minimum: int) -> int:
    number = container.get(name)
    if name not in container:
        raise ScenarioError(key, "missing key")
    if isinstance(number, bool) or not isinstance(number, int):
        raise ScenarioError(key, f"must be a whole number (got {number!r})")
    if number < minimum:
        raise ScenarioError(key, f"must be at least {minimum} (got {number})")
    return number


def _read_positive(container: Mapping[str, Any], name: str, key: str) -> float:
    number = read_number(container, name, key)
    if number <= 0:
        raise ScenarioError(key, f"must be positive (got {number:g})")
    return number


def _read_non_negative(container: Mapping[str, Any], name: str, key: str) -> float:
    number = read_number(container, name, key)
    if number < 0:
        raise ScenarioError(key, f"must not be negative (got {number:g})")
    return number


def _read_probability(container: Mapping[str, Any], name: str, key: str) -> float:
    number = read_number(container, name, key)
    if not 0 <= number <= 1:
        raise ScenarioError(key, f"must be a probability within 0..1 (got {number:g})")
    return number
