"""`dialcrm simulate`: run one simulated campaign day and print its figures as JSON.

The only module of `dialer.core` that does I/O: it reads the scenario file and prints.
"""

from __future__ import annotations

import argparse
import json
import sys

from dialcrm.dialer.core.distributions import ScenarioError
from dialcrm.dialer.core.pacing import STRATEGY_NAMES
from dialcrm.dialer.core.scenario import parse_scenario
from dialcrm.dialer.core.simulator import LeadOrder, simulate

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dialcrm simulate",
        description="Simulate one call-center day under a pacing strategy.",
    )
    parser.add_argument("--scenario", required=True, help="scenario JSON file (docs/simulator.md)")
    parser.add_argument("--pacing", required=True, choices=STRATEGY_NAMES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--lead-order", choices=[order.value for order in LeadOrder], default=LeadOrder.FIFO.value
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (the only output format)"
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    try:
        with open(arguments.scenario, encoding="utf-8") as scenario_file:
            data = json.load(scenario_file)
    except OSError as error:
        print(
            f"error: cannot read scenario {arguments.scenario}: {error.strerror}", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    except json.JSONDecodeError as error:
        print(
            f"error: {arguments.scenario} is not valid JSON: line {error.lineno} column "
            f"{error.colno}: {error.msg}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        scenario = parse_scenario(data)
    except ScenarioError as error:
        print(f"error: {arguments.scenario}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = simulate(
        scenario, arguments.pacing, seed=arguments.seed, lead_order=arguments.lead_order
    )
    print(json.dumps(result.as_dict(), indent=2 if not arguments.json else None))
    return 0
