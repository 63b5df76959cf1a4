"""Benchmark: time accounting and profitability over a month of 1,000 agents (PostgreSQL).

Loads a month of agent state intervals with COPY (by default 1,000 agents x 30 days x 30 call
cycles of ready / on a call / wrap-up, plus a lunch pause: about 2.8 million intervals) and one
accepted sale per agent and day, then times:

- time accounting for the month by agent, by location, and by agent and day;
- profitability for the month by campaign and by agent (as a manager), and for one day by agent.

Reported in milliseconds (median and worst of repeated runs) and as a ratio against a baseline
measured in the same run: counting the month's intervals of the company (the least any report
over them must do). No target is asserted; the figures go in docs/finance.md.

    .venv/bin/python bench/profitability.py [--agents 1000] [--days 30] [--cycles 30]
        [--repeat 3] [--database dialcrm_bench_finance]
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from common import company_with_teams, create_agents, prepare_django, time_ms

ZONE = ZoneInfo("Europe/Bucharest")
FIRST_DAY = datetime.date(2026, 10, 1)
COMPANY = "Bench Finance"


def _organisation(agents: int) -> Any:
    """A company with 4 locations of 5 teams, 5 campaigns, the agents, costs and prices."""
    from dialcrm.campaigns.models import CallList, Campaign, Lead, Status
    from dialcrm.catalog.models import Product, ProductPrice
    from dialcrm.core.choices import AgentLevel, Role
    from dialcrm.finance.models import HourlyCost
    from dialcrm.org.models import Staff

    company, locations, teams, client = company_with_teams(COMPANY, 4, 5)
    campaigns = [
        Campaign.objects.create(client=client, location=locations[n % 4], name=f"Campaign {n}")
        for n in range(5)
    ]
    call_list = CallList.objects.create(client=client, name="Bench list")
    lead = Lead.objects.create(call_list=call_list, last_name="Bench")
    status = Status.objects.create(company=company, code="SALE", label="Sale", category="sale")
    create_agents(
        company, teams, agents, lambda n: AgentLevel.SENIOR if n % 3 else AgentLevel.TRAINEE
    )
    manager = Staff.objects.create(
        username="bench.manager", password="!", company=company, role=Role.MANAGER
    )
    for level, amount in ((AgentLevel.SENIOR, "32.50"), (AgentLevel.TRAINEE, "21.00")):
        HourlyCost.objects.create(
            company=company,
            role=Role.AGENT,
            level=level,
            amount=Decimal(amount),
            valid_from=FIRST_DAY,
        )
    product = Product.objects.create(company=company, code="BENCH", name="Bench product")
    ProductPrice.objects.create(
        product=product,
        price=Decimal("150.00"),
        production_cost=Decimal("60.00"),
        valid_from=FIRST_DAY,
    )
    return manager, campaigns, lead, status, product


def _load(agents: int, days: int, cycles: int) -> Any:
    from django.db import connection

    from dialcrm.org.models import Company, Staff

    existing = Company.objects.filter(name=COMPANY).first()
    if existing is not None:
        print("reusing the loaded month (drop the database to load another size)")
        return Staff.objects.get(username="bench.manager")
    started = time.perf_counter()
    manager, campaigns, lead, status, product = _organisation(agents)
    agent_ids = list(
        Staff.objects.filter(company=manager.company, role="agent")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    intervals = 0
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY dialer_agentstateinterval (agent_id, campaign_id, state, pause_reason,"
            " started_at, ended_at) FROM STDIN"
        ) as copy:
            for index, agent_id in enumerate(agent_ids):
                campaign_id = campaigns[index % len(campaigns)].pk
                for day in range(days):
                    moment = datetime.datetime.combine(
                        FIRST_DAY + datetime.timedelta(days=day), datetime.time(8), ZONE
                    )
                    for cycle in range(cycles):
                        for state, seconds in (("ready", 45), ("on_call", 240), ("wrap_up", 40)):
                            end = moment + datetime.timedelta(seconds=seconds + index % 7)
                            copy.write_row((agent_id, campaign_id, state, "", moment, end))
                            moment = end
                            intervals += 1
                        if cycle == cycles // 2:
                            end = moment + datetime.timedelta(minutes=30)
                            copy.write_row((agent_id, campaign_id, "paused", "lunch", moment, end))
                            moment = end
                            intervals += 1
        sales = _load_sales(cursor, agent_ids, campaigns, lead, status, product, days)
        cursor.execute("ANALYZE")
    print(
        f"loaded {intervals:,} intervals and {sales:,} accepted sales for {len(agent_ids):,} "
        f"agents in {time.perf_counter() - started:.1f} s"
    )
    return manager


def _load_sales(
    cursor: Any,
    agent_ids: list[int],
    campaigns: list[Any],
    lead: Any,
    status: Any,
    product: Any,
    days: int,
) -> int:
    """One accepted sale per agent and day, at 11:00, each on its own call and disposition."""
    import uuid

    rows = []
    for index, agent_id in enumerate(agent_ids):
        for day in range(days):
            when = datetime.datetime.combine(
                FIRST_DAY + datetime.timedelta(days=day), datetime.time(11), ZONE
            )
            rows.append((agent_id, campaigns[index % len(campaigns)].pk, when, uuid.uuid4()))
    with cursor.copy(
        "COPY dialer_callattempt (call_id, campaign_id, lead_id, number, agent_id, mode,"
        " dialed_at, outcome, cause, answered_by, is_abandoned, recording) FROM STDIN"
    ) as copy:
        for agent_id, campaign_id, when, call_id in rows:
            copy.write_row(
                (
                    call_id,
                    campaign_id,
                    lead.pk,
                    "+40720000000",
                    agent_id,
                    "predictive",
                    when,
                    "contact",
                    "",
                    "",
                    False,
                    "",
                )
            )
    cursor.execute(
        "INSERT INTO desk_disposition (attempt_id, agent_id, campaign_id, lead_id, status_id,"
        " answers, note, idempotency_key, created_at)"
        " SELECT id, agent_id, campaign_id, lead_id, %s, '{}', '', call_id::text, dialed_at"
        " FROM dialer_callattempt WHERE lead_id = %s",
        [status.pk, lead.pk],
    )
    cursor.execute(
        "INSERT INTO desk_sale (disposition_id, campaign_id, lead_id, agent_id, state, created_at)"
        " SELECT id, campaign_id, lead_id, agent_id, 'accepted', created_at FROM desk_disposition"
        " WHERE lead_id = %s",
        [lead.pk],
    )
    cursor.execute(
        "INSERT INTO desk_saleline (sale_id, product_id, quantity)"
        " SELECT id, %s, 1 + id %% 3 FROM desk_sale WHERE lead_id = %s",
        [product.pk, lead.pk],
    )
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default="dialcrm_bench_finance")
    arguments = parser.parse_args(argv)
    prepare_django(arguments.database, redis_db=11)
    from dialcrm.dialer.models import AgentStateInterval
    from dialcrm.dialer.time_accounting import time_accounts
    from dialcrm.finance.services import Period, profitability

    manager = _load(arguments.agents, arguments.days, arguments.cycles)
    month = Period(FIRST_DAY, FIRST_DAY + datetime.timedelta(days=arguments.days - 1), ZONE)
    one_day = Period(FIRST_DAY, FIRST_DAY, ZONE)
    company_intervals = AgentStateInterval.objects.filter(agent__company=manager.company)
    now = month.end + datetime.timedelta(days=1)

    def accounts(*group_by: str) -> Callable[[], object]:
        return lambda: time_accounts(
            month.start,
            month.end,
            group_by=group_by,
            intervals=company_intervals,
            now=now,
            time_zone=ZONE,
        )

    repeat = arguments.repeat
    results = [
        time_ms(
            "baseline: count the month's intervals",
            lambda: company_intervals.filter(
                started_at__gte=month.start, started_at__lt=month.end
            ).count(),
            repeat,
        ),
        time_ms("time accounting, month, by agent", accounts("agent"), repeat),
        time_ms("time accounting, month, by location", accounts("location"), repeat),
        time_ms("time accounting, month, by agent and day", accounts("agent", "day"), repeat),
        time_ms(
            "profitability, month, by campaign",
            lambda: profitability(manager, month, "campaign", now=now),
            repeat,
        ),
        time_ms(
            "profitability, month, by agent",
            lambda: profitability(manager, month, "agent", now=now),
            repeat,
        ),
        time_ms(
            "profitability, one day, by agent",
            lambda: profitability(manager, one_day, "agent", now=now),
            repeat,
        ),
    ]
    total = profitability(manager, month, "campaign", now=now).total
    print(
        f"month: {total.worked_s / 3600:,.0f} hours, {total.sales:,} accepted sales, "
        f"cost {total.labour_cost}, revenue {total.revenue}, profit {total.profit}"
    )
    baseline = results[0][1]
    print(
        f"\ntime accounting and profitability, {arguments.agents:,} agents x {arguments.days} "
        f"days (PostgreSQL), milliseconds"
    )
    print(f"{'query':<44} {'median':>9} {'worst':>9} {'x baseline':>11}")
    for label, median, worst in results:
        print(f"{label:<44} {median:9.1f} {worst:9.1f} {median / baseline:11.1f}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    sys.exit(main())
