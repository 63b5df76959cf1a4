"""Duration distributions used by scenarios: parsed from JSON, sampled with a seeded `Random`."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ScenarioError(ValueError):
    """A scenario (or part of one) is malformed; `key` names the offending key, dotted."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}" if key else problem)


Sampler = Callable[[], float]


class DistributionKind(StrEnum):
    CONSTANT = "constant"
    UNIFORM = "uniform"
    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"
    GAMMA = "gamma"


_REQUIRED_PARAMETERS: dict[DistributionKind, tuple[str, ...]] = {
    DistributionKind.CONSTANT: ("value",),
    DistributionKind.UNIFORM: ("min", "max"),
    DistributionKind.EXPONENTIAL: ("mean",),
    DistributionKind.LOGNORMAL: ("mean", "sd"),
    DistributionKind.GAMMA: ("mean", "sd"),
}


@dataclass(frozen=True, slots=True)
class Distribution:
    """A non-negative duration distribution in seconds.

    `first` and `second` hold the parameters in the order of `_REQUIRED_PARAMETERS`
    (value; min, max; mean; mean, sd).
    """

    kind: DistributionKind
    first: float
    second: float = 0.0

    @classmethod
    def constant(cls, value: float) -> Distribution:
        return cls(DistributionKind.CONSTANT, value)

    @property
    def mean(self) -> float:
        if self.kind is DistributionKind.UNIFORM:
            return (self.first + self.second) / 2
        return self.first

    def sampler(self, rng: random.Random) -> Sampler:
        """A fast zero-argument sampler bound to `rng` (the simulator draws millions)."""
        kind = self.kind
        if kind is DistributionKind.CONSTANT or (
            kind in (DistributionKind.LOGNORMAL, DistributionKind.GAMMA) and self.second == 0
        ):
            value = self.first
            return lambda: value
        if kind is DistributionKind.UNIFORM:
            low, high = self.first, self.second
            uniform = rng.uniform
            return lambda: uniform(low, high)
        if kind is DistributionKind.EXPONENTIAL:
            if self.first == 0:
                return lambda: 0.0
            rate = 1.0 / self.first
            expovariate = rng.expovariate
            return lambda: expovariate(rate)
        if kind is DistributionKind.LOGNORMAL:
            sigma_squared = math.log(1.0 + (self.second / self.first) ** 2)
            mu = math.log(self.first) - sigma_squared / 2
            sigma = math.sqrt(sigma_squared)
            lognormvariate = rng.lognormvariate
            return lambda: lognormvariate(mu, sigma)
        shape = (self.first / self.second) ** 2
        scale = self.second**2 / self.first
        gammavariate = rng.gammavariate
        return lambda: gammavariate(shape, scale)


def parse_distribution(value: Any, key: str) -> Distribution:
    """Read `{"dist": ..., params}`; raise `ScenarioError` naming the key on any problem."""
    if not isinstance(value, Mapping):
        raise ScenarioError(key, "must be an object like {'dist': 'exponential', 'mean': 15}")
    if "dist" not in value:
        raise ScenarioError(f"{key}.dist", "missing key")
    raw_kind = value["dist"]
    try:
        kind = DistributionKind(raw_kind)
    except ValueError:
        known = ", ".join(kind.value for kind in DistributionKind)
        raise ScenarioError(
            f"{key}.dist", f"unknown distribution {raw_kind!r} (expected one of {known})"
        ) from None
    names = _REQUIRED_PARAMETERS[kind]
    unknown = sorted(set(value) - {"dist", *names})
    if unknown:
        raise ScenarioError(f"{key}.{unknown[0]}", f"unknown key for a {kind.value} distribution")
    numbers = [read_number(value, name, f"{key}.{name}") for name in names]
    for name, number in zip(names, numbers, strict=True):
        if number < 0:
            raise ScenarioError(f"{key}.{name}", f"must not be negative (got {number:g})")
    if kind is DistributionKind.UNIFORM and numbers[1] < numbers[0]:
        raise ScenarioError(f"{key}.max", "must not be less than min")
    if kind in (DistributionKind.LOGNORMAL, DistributionKind.GAMMA) and numbers[0] == 0:
        raise ScenarioError(f"{key}.mean", f"must be positive for a {kind.value} distribution")
    return Distribution(kind, *numbers)


def read_number(container: Mapping[str, Any], name: str, key: str) -> float:
    """`container[name]` as a finite float, or a `ScenarioError` naming `key`."""
    if name not in container:
        raise ScenarioError(key, "missing key")
    number = container[name]
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ScenarioError(key, f"must be a number (got {number!r})")
    if not math.isfinite(number):
        raise ScenarioError(key, "must be a finite number")
    return float(number)
