"""The dialing core: pacing, lead scoring, compliance rules, abandon accounting, a simulator.

Pure Python: no Django, no database, no I/O (except `cli`, which reads a scenario file and
prints). The engine (`dialcrm.dialer.engine`), the demo and the benchmarks all call this code.
Times are float seconds: epoch seconds in the engine (aware datetimes -> `.timestamp()`),
seconds since the shift started in the simulator. Time zones are IANA names.

Public API (the names below are also importable from `dialcrm.dialer.core`):

Pacing - how many calls to place now
- `snapshot.PacingSnapshot`: frozen, observable state of one campaign (agents and their time in
  state, ringing calls and their age, the queue, lines, cap, abandon counts, learned model);
  impossible values raise `ValueError` naming the field.
- `pacing.PacingStrategy`: protocol, `name` + `calls_to_place(snapshot) -> int` (0..free lines).
- `pacing.RingTimeManagingStrategy`: protocol, adds `decide(snapshot) -> PacingDecision`
  (calls to place + positions of ringing calls to hang up after the minimum ring).
- `pacing.make_strategy(name, ...)`: a fresh strategy for one campaign; `STRATEGY_NAMES`.
- `pacing.Progressive`, `Ratio`, `VicidialAdapt`, `IssabelErlang`; `progressive_calls`,
  `ratio_calls`, `within_lines`: the simple rules as functions.
- `predictive.Predictive` (+ `PredictiveSettings`, `PacingDecision`): ours, model-based with a
  feedback loop on the measured abandon rate.

Learning - what pacing knows
- `learning.PacingLearner`: feed `record_dial_result`, `record_released`, `record_handled_call`;
  `model(now_s, hour_of_day, talking_elapsed_s=..., wrapping_elapsed_s=...) -> LearnedModel`.
- `learning.LearnedModel`, `COLD_MODEL`, `survival_table`.

Leads - numbers likely to answer now
- `leads.LeadProfile`, `LeadCandidate`: what is known of a lead; a hopper candidate.
- `leads.LeadScorer`: online logistic model, `score(profile, hour, weekday)`, `observe(...)`.
- `leads.rank_candidates(candidates, scorer, now_s, all_agents_busy=..., ...)`: callbacks due
  first, then by score; redials held back unless all agents are busy when the campaign says so.

Compliance - may this number be dialled now
- `compliance.ComplianceRules` (`DEFAULT_RULES`), `DialHistory`, `Refusal`.
- `compliance.refusal_reason(number, timezone, history, now_s, rules, dnc)` / `may_dial(...)`.
- `compliance.next_attempt_at(outcome, ended_at_s, rules)`: redial time, or None.
- `compliance.is_within_calling_hours`, `local_time`, `is_on_dnc` (DNC injected: set or callable).

Accounting - abandoned / live answers
- `accounting.AbandonLedger`: `record(answered_at_s, abandoned=...)`; `total`, `window`,
  `us_campaign_rate` (30 days), `rolling_rate` / `worst_rolling_rate` (UK 24 h), `hour_counts`,
  `hourly`, `worst_hour_rate`, `forget_before`. `AbandonCount`.
- `outcomes.CallOutcome`: contact, abandoned, machine, busy, no_answer, failed.

Simulation
- `scenario.parse_scenario(data) -> Scenario` (raises `ScenarioError` naming the key).
- `simulator.simulate(scenario, pacing, seed=..., lead_order=...) -> SimulationResult`;
  `CallCenterSimulation`, `LeadOrder`.
- `cli.main(argv) -> int`: `dialcrm simulate --scenario FILE --pacing NAME ...`.

`states.AgentStatus` belongs to the engine (agent states as it tracks them).
"""

from dialcrm.dialer.core.accounting import AbandonCount, AbandonLedger
from dialcrm.dialer.core.compliance import (
    DEFAULT_RULES,
    ComplianceRules,
    DialHistory,
    Refusal,
    is_on_dnc,
    is_within_calling_hours,
    local_time,
    may_dial,
    next_attempt_at,
    refusal_reason,
)
from dialcrm.dialer.core.distributions import ScenarioError
from dialcrm.dialer.core.leads import LeadCandidate, LeadProfile, LeadScorer, rank_candidates
from dialcrm.dialer.core.learning import COLD_MODEL, LearnedModel, PacingLearner
from dialcrm.dialer.core.outcomes import CallOutcome
from dialcrm.dialer.core.pacing import (
    STRATEGY_NAMES,
    IssabelErlang,
    PacingStrategy,
    Progressive,
    Ratio,
    RingTimeManagingStrategy,
    VicidialAdapt,
    make_strategy,
    progressive_calls,
)
from dialcrm.dialer.core.predictive import PacingDecision, Predictive, PredictiveSettings
from dialcrm.dialer.core.scenario import Scenario, parse_scenario
from dialcrm.dialer.core.simulator import LeadOrder, SimulationResult, simulate
from dialcrm.dialer.core.snapshot import PacingSnapshot

__all__ = [
    "COLD_MODEL",
    "DEFAULT_RULES",
    "STRATEGY_NAMES",
    "AbandonCount",
    "AbandonLedger",
    "CallOutcome",
    "ComplianceRules",
    "DialHistory",
    "IssabelErlang",
    "LeadCandidate",
    "LeadOrder",
    "LeadProfile",
    "LeadScorer",
    "LearnedModel",
    "PacingDecision",
    "PacingLearner",
    "PacingSnapshot",
    "PacingStrategy",
    "Predictive",
    "PredictiveSettings",
    "Progressive",
    "Ratio",
    "Refusal",
    "RingTimeManagingStrategy",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "VicidialAdapt",
    "is_on_dnc",
    "is_within_calling_hours",
    "local_time",
    "make_strategy",
    "may_dial",
    "next_attempt_at",
    "parse_scenario",
    "progressive_calls",
    "rank_candidates",
    "refusal_reason",
    "simulate",
]
