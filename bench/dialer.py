"""Benchmark of the dialing core: pacing strategies, lead order, speed.

    python bench/dialer.py            # full run: 10 seeds per cell (a few minutes on 2 cores)
    python bench/dialer.py --quick    # 2 seeds per cell, fewer comparison runs

Sections (docs/simulator.md explains how to read them):
1. Speed: wall time of one 100-agent, 8-hour day under `predictive`; median time of one pacing
   decision for 100 agents, per strategy, and as a ratio to `progressive` measured in this run.
2. Every strategy on five scenarios (bench/scenarios/*.json), N seeds each.
3. The peers that broke the cap, against `predictive` given the peer's own abandon rate as cap.
4. FIFO against scored lead order on a heterogeneous population.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from dialcrm.dialer.core.pacing import STRATEGY_NAMES, PacingStrategy, make_strategy
from dialcrm.dialer.core.predictive import Predictive
from dialcrm.dialer.core.scenario import Scenario, parse_scenario
from dialcrm.dialer.core.simulator import LeadOrder, SimulationResult, simulate
from dialcrm.dialer.core.snapshot import PacingSnapshot

SCENARIO_FOLDER = Path(__file__).resolve().parent / "scenarios"
PACING_SCENARIOS = ("s3", "s20", "s100", "low8", "halving")
LEAD_ORDER_SCENARIO = "hetero"
PEERS = ("vicidial-adapt", "issabel-erlang")
WORKERS = 2


@dataclass(frozen=True)
class Job:
    scenario: str
    pacing: str
    seed: int
    lead_order: str = LeadOrder.FIFO.value
    abandon_cap: float | None = None
    """Run with this cap instead of the scenario's (the equal-abandon-rate comparison)."""


@dataclass(frozen=True)
class Outcome:
    job: Job
    result: SimulationResult


def load_scenario(name: str) -> Scenario:
    data = json.loads((SCENARIO_FOLDER / f"{name}.json").read_text(encoding="utf-8"))
    return parse_scenario(data)


def run_job(job: Job) -> Outcome:
    scenario = load_scenario(job.scenario)
    if job.abandon_cap is not None:
        scenario = replace(scenario, abandon_cap=job.abandon_cap)
    return Outcome(job, simulate(scenario, job.pacing, seed=job.seed, lead_order=job.lead_order))


def run_all(jobs: list[Job]) -> list[Outcome]:
    # Big teams first, so the two workers finish together.
    ordered = sorted(jobs, key=lambda job: -load_scenario(job.scenario).agents)
    with multiprocessing.Pool(WORKERS) as pool:
        return list(pool.imap_unordered(run_job, ordered))


# -- 1. speed -----------------------------------------------------------------------------------


class _Recorder:
    """Passes decisions through to a strategy and keeps mid-day snapshots for timing."""

    def __init__(self, inner: PacingStrategy, start_s: float, count: int) -> None:
        self.name = inner.name
        self.inner = inner
        self.start_s = start_s
        self.count = count
        self.snapshots: list[PacingSnapshot] = []

    def calls_to_place(self, snapshot: PacingSnapshot) -> int:
        if snapshot.now_s >= self.start_s and len(self.snapshots) < self.count:
            self.snapshots.append(snapshot)
        return self.inner.calls_to_place(snapshot)


def speed_section() -> None:
    scenario = load_scenario("s100")
    day = simulate(scenario, "predictive", seed=0)
    recorder = _Recorder(make_strategy("predictive", day_end_s=scenario.shift_s), 7200.0, 1000)
    simulate(scenario, recorder, seed=1)
    snapshots = recorder.snapshots
    busy = statistics.fmean(s.talking_agents + s.wrapping_agents for s in snapshots)
    ringing = statistics.fmean(s.ringing_calls for s in snapshots)
    print("## Speed")
    print()
    print(f"100-agent 8-hour day under predictive: {day.wall_seconds:.2f} s of wall time")
    print(f"  ({day.dials} dials, {day.human_answers} live answers; target < 20 s)")
    print(
        f"One pacing decision, 100 agents ({len(snapshots)} mid-day snapshots: "
        f"{busy:.0f} busy agents, {ringing:.0f} calls ringing on average):"
    )
    medians: dict[str, float] = {}
    for name in STRATEGY_NAMES:
        strategy = make_strategy(name, day_end_s=scenario.shift_s)
        medians[name] = _median_decision_us(strategy.calls_to_place, snapshots)
    ring_time_manager = Predictive()
    medians["predictive, decide() with releases"] = _median_decision_us(
        ring_time_manager.decide, snapshots
    )
    baseline = medians["progressive"]
    print()
    print("| strategy | median µs | x progressive |")
    print("|---|---:|---:|")
    for name, median in medians.items():
        print(f"| {name} | {median:.1f} | {median / baseline:.0f} |")
    print()
    print("(target: predictive median < 100 µs)")
    print()


def _median_decision_us(
    decide: Callable[[PacingSnapshot], object], snapshots: list[PacingSnapshot]
) -> float:
    for snapshot in snapshots:  # warm up: tables built, caches filled
        decide(snapshot)
    timings: list[int] = []
    for _ in range(5):
        for snapshot in snapshots:
            started = time.perf_counter_ns()
            decide(snapshot)
            timings.append(time.perf_counter_ns() - started)
    return statistics.median(timings) / 1000.0


# -- 2. pacing table ----------------------------------------------------------------------------


def pacing_section(outcomes: list[Outcome], seeds: int) -> dict[tuple[str, str], float]:
    """Print the table; return each (scenario, strategy)'s mean day abandon rate."""
    print(f"## Pacing: every strategy, five scenarios, {seeds} seeds each")
    print()
    print(
        "| scenario | strategy | abandon day mean | abandon day max | seeds over cap "
        "| worst hour max | occupancy mean (min) | talk min/agent-h | contacts/dial |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    means: dict[tuple[str, str], float] = {}
    for scenario_name in PACING_SCENARIOS:
        cap = load_scenario(scenario_name).abandon_cap
        for name in STRATEGY_NAMES:
            results = [
                outcome.result
                for outcome in outcomes
                if outcome.job.scenario == scenario_name and outcome.job.pacing == name
            ]
            if not results:
                continue
            rates = [result.abandon_rate for result in results]
            means[scenario_name, name] = statistics.fmean(rates)
            over = sum(1 for rate in rates if rate > cap)
            occupancies = [result.occupancy for result in results]
            print(
                f"| {scenario_name} | {name} | {_percent(statistics.fmean(rates))} "
                f"| {_percent(max(rates))} | {over}/{len(results)} "
                f"| {_percent(max(result.worst_hour_abandon_rate for result in results))} "
                f"| {_percent(statistics.fmean(occupancies))} ({_percent(min(occupancies))}) "
                f"| {statistics.fmean(r.talk_minutes_per_agent_hour for r in results):.1f} "
                f"| {statistics.fmean(r.contacts_per_dial for r in results):.3f} |"
            )
    print()
    return means


# -- 3. equal abandon rate ----------------------------------------------------------------------


def equal_rate_jobs(means: dict[tuple[str, str], float], seeds: int) -> list[Job]:
    jobs: list[Job] = []
    for scenario_name in PACING_SCENARIOS:
        cap = load_scenario(scenario_name).abandon_cap
        for peer in PEERS:
            peer_rate = means.get((scenario_name, peer), 0.0)
            if peer_rate > cap:
                jobs.extend(
                    Job(scenario_name, "predictive", seed, abandon_cap=min(peer_rate, 0.5))
                    for seed in range(seeds)
                )
    return jobs


def equal_rate_section(
    pacing_outcomes: list[Outcome], outcomes: list[Outcome], means: dict[tuple[str, str], float]
) -> None:
    print("## Peers that broke the cap, against predictive given the same abandon rate")
    print()
    if not outcomes:
        print("(no peer broke the cap)")
        print()
        return
    print(
        "| scenario | peer | peer abandon | peer occupancy "
        "| predictive abandon (cap = peer's rate) | predictive occupancy |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for scenario_name in PACING_SCENARIOS:
        for peer in PEERS:
            peer_rate = means.get((scenario_name, peer), 0.0)
            ours = [
                o.result
                for o in outcomes
                if o.job.scenario == scenario_name and o.job.abandon_cap == min(peer_rate, 0.5)
            ]
            theirs = [
                o.result
                for o in pacing_outcomes
                if o.job.scenario == scenario_name and o.job.pacing == peer
            ]
            if not ours or not theirs:
                continue
            print(
                f"| {scenario_name} | {peer} | {_percent(peer_rate)} "
                f"| {_percent(statistics.fmean(r.occupancy for r in theirs))} "
                f"| {_percent(statistics.fmean(r.abandon_rate for r in ours))} "
                f"| {_percent(statistics.fmean(r.occupancy for r in ours))} |"
            )
    print()


# -- 4. lead order ------------------------------------------------------------------------------


def lead_order_section(outcomes: list[Outcome], seeds: int) -> None:
    scenario = load_scenario(LEAD_ORDER_SCENARIO)
    segments = scenario.segments
    print(
        f"## Lead order on a heterogeneous population ({LEAD_ORDER_SCENARIO}: "
        f"{scenario.agents} agents, heterogeneity {scenario.lead_heterogeneity}, "
        f"{segments.lists} lists x {segments.regions} regions explaining "
        f"{segments.explained:.0%}; predictive pacing, {seeds} seeds)"
    )
    print()
    print("| lead order | contacts/dial | contacts/agent-h | occupancy | abandon day |")
    print("|---|---:|---:|---:|---:|")
    per_order: dict[str, float] = {}
    for order in LeadOrder:
        results = [o.result for o in outcomes if o.job.lead_order == order.value]
        per_order[order.value] = statistics.fmean(r.contacts_per_dial for r in results)
        print(
            f"| {order.value} | {per_order[order.value]:.3f} "
            f"| {statistics.fmean(r.contacts_per_agent_hour for r in results):.1f} "
            f"| {_percent(statistics.fmean(r.occupancy for r in results))} "
            f"| {_percent(statistics.fmean(r.abandon_rate for r in results))} |"
        )
    gain = per_order[LeadOrder.SCORED.value] / per_order[LeadOrder.FIFO.value] - 1.0
    print()
    print(f"Scored order: {gain:+.0%} contacts per dial against FIFO (target: at least +25%).")
    print()


def _percent(value: float) -> str:
    return f"{100.0 * value:.2f}%"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds per cell instead of 10")
    parser.add_argument("--seeds", type=int, help="seeds per cell (overrides --quick)")
    arguments = parser.parse_args(argv)
    seeds = arguments.seeds or (2 if arguments.quick else 10)
    comparison_seeds = max(1, seeds // 2)
    started = time.perf_counter()
    print(f"# dialcrm dialer benchmark ({seeds} seeds per cell)")
    print()
    speed_section()
    pacing_jobs = [
        Job(scenario, pacing, seed)
        for scenario in PACING_SCENARIOS
        for pacing in STRATEGY_NAMES
        for seed in range(seeds)
    ]
    lead_jobs = [
        Job(LEAD_ORDER_SCENARIO, "predictive", seed, lead_order=order.value)
        for order in LeadOrder
        for seed in range(seeds)
    ]
    outcomes = run_all(pacing_jobs + lead_jobs)
    pacing_outcomes = [o for o in outcomes if o.job.scenario in PACING_SCENARIOS]
    means = pacing_section(pacing_outcomes, seeds)
    equal_outcomes = run_all(equal_rate_jobs(means, comparison_seeds))
    equal_rate_section(pacing_outcomes, equal_outcomes, means)
    lead_order_section([o for o in outcomes if o.job.scenario == LEAD_ORDER_SCENARIO], seeds)
    print(f"Benchmark wall time: {time.perf_counter() - started:.0f} s on {WORKERS} workers.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
