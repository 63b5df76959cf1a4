"""Distributions: samplers are seeded and match their means."""

from __future__ import annotations

import random
import statistics

import pytest

from dialcrm.dialer.core.distributions import Distribution, DistributionKind, parse_distribution


@pytest.mark.parametrize(
    ("spec", "mean"),
    [
        ({"dist": "constant", "value": 7}, 7.0),
        ({"dist": "uniform", "min": 4, "max": 20}, 12.0),
        ({"dist": "exponential", "mean": 15}, 15.0),
        ({"dist": "lognormal", "mean": 150, "sd": 90}, 150.0),
        ({"dist": "gamma", "mean": 150, "sd": 90}, 150.0),
    ],
)
def test_each_distribution_samples_around_its_mean(spec: dict[str, object], mean: float) -> None:
    distribution = parse_distribution(spec, "talk_s")
    sample = distribution.sampler(random.Random(7))

    values = [sample() for _ in range(20000)]

    assert distribution.mean == mean
    assert min(values) >= 0
    assert statistics.fmean(values) == pytest.approx(mean, rel=0.03)


def test_the_same_seed_draws_the_same_values() -> None:
    distribution = Distribution(DistributionKind.LOGNORMAL, 150.0, 90.0)
    first = distribution.sampler(random.Random(1))
    second = distribution.sampler(random.Random(1))

    assert [first() for _ in range(5)] == [second() for _ in range(5)]


def test_a_zero_spread_lognormal_is_constant() -> None:
    sample = Distribution(DistributionKind.LOGNORMAL, 42.0, 0.0).sampler(random.Random(3))

    assert {sample() for _ in range(3)} == {42.0}
