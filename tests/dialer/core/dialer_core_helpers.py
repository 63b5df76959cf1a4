"""Builders shared by the dialing-core tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

import random
from typing import Any

from dialcrm.dialer.core.learning import COLD_MODEL, LearnedModel, PacingLearner
from dialcrm.dialer.core.snapshot import PacingSnapshot


def build_learned_model() -> LearnedModel:
    """A model learned from 2000 dials (20% live, answered after 4-20 s, the rest mostly ringing
    out at 25 s) and 300 calls (lognormal talk around 150 s, exponential wrap around 15 s)."""
    rng = random.Random(5)
    learner = PacingLearner(rebuild_interval_s=0.0)
    for second in range(2000):
        is_live = rng.random() < 0.2
        if is_live:
            ring_s = rng.uniform(4.0, 20.0)
        else:
            ring_s = 25.0 if rng.random() < 0.8 else rng.uniform(1.0, 5.0)
        learner.record_dial_result(float(second), ring_s, is_live=is_live, hour_of_day=10)
    for index in range(300):
        talk_s = rng.lognormvariate(4.86, 0.55)
        wrap_s = rng.expovariate(1 / 15)
        learner.record_handled_call(talk_s, wrap_s, went_ready=True, ended_at_s=2000.0 + index)
    return learner.model(3000.0, 10)


def snapshot(**changes: Any) -> PacingSnapshot:
    """A quiet campaign (nobody logged in, nothing ringing, cold model) with `changes`."""
    values: dict[str, Any] = {
        "now_s": 1000.0,
        "ready_agents": 0,
        "talking_elapsed_s": (),
        "wrapping_elapsed_s": (),
        "paused_agents": 0,
        "ringing_ages_s": (),
        "waiting_calls": 0,
        "max_lines": 100,
        "abandon_cap": 0.03,
        "connect_window_s": 2.0,
        "abandoned_total": 0,
        "human_answers_total": 0,
        "abandoned_this_hour": 0,
        "human_answers_this_hour": 0,
        "seconds_into_hour": 0.0,
        "model": COLD_MODEL,
    }
    values.update(changes)
    return PacingSnapshot(**values)


# A short day for a small team: the simulator tests run it in milliseconds.
SMALL: dict[str, Any] = {
    "name": "small",
    "agents": 5,
    "start_hour": 9,
    "shift_s": 1800,
    "talk_s": {"dist": "lognormal", "mean": 90, "sd": 50},
    "wrap_s": {"dist": "exponential", "mean": 10},
    "pauses": {"per_agent_hour": 1.0, "duration_s": {"dist": "exponential", "mean": 120}},
    "outcomes": {"human": 0.25, "machine": 0.08, "busy": 0.05, "failed": 0.02},
    "human_by_hour": {"9": 1.0},
    "time_to_answer_s": {"dist": "uniform", "min": 4, "max": 20},
    "ring_timeout_s": 25,
    "connect_window_s": 2,
    "abandon_cap": 0.03,
    "leads": 3000,
    "lead_heterogeneity": 0.5,
    "max_attempts": 3,
    "retry_delay_s": 600,
    "amd": {"detects_machine": 0.85, "mistakes_human": 0.03},
}
