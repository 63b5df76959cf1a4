"""Benchmark: the campaign summary and agent performance reports over a month of 10,000,000
call attempts by 1,000 agents (PostgreSQL).

Loads a month (October 2026, Bucharest, 08:00 to 20:00 every day) of call attempts with COPY
(by default 10,000,000 over 10 campaigns and 20 lists at 2 locations, 1,000 agents in 20 teams,
each agent on one campaign; 30% contacts put through to an agent, the rest abandoned, machines,
busy, no answer, failed), a sale on one
contact in ten, then builds the hourly roll-up the reports read (`reports_attempthour`; the
dialer keeps it in step live) and times, as a manager and as a location manager:

- the campaign summary and the agent performance reports for the month;
- the same campaign summary summed from the attempts themselves (what the roll-up saves);

Reported in milliseconds (median and worst of repeated runs) and as a ratio against a baseline
measured in the same run: a plain COUNT of the month's attempts. Target: both reports under 2 s.

    .venv/bin/python bench/reports.py [--attempts 10000000] [--agents 1000] [--repeat 3]
        [--database dialcrm_bench_reports]
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

from common import (
    company_with_teams,
    create_agents,
    create_location_manager,
    prepare_django,
    time_ms,
)

ZONE = ZoneInfo("Europe/Bucharest")
MONTH_START = datetime.datetime(2026, 10, 1, tzinfo=ZONE)
MONTH_END = datetime.datetime(2026, 11, 1, tzinfo=ZONE)
MONTH = {"period": "custom", "start": "2026-10-01", "end": "2026-10-31"}
COMPANY = "Bench Reports"
LEADS = 500_000
CAMPAIGNS = 10
LISTS = 20
TARGET_MS = 2000.0
CALLING_HOURS = 12
# Outcomes of 1,000 attempts in a row: (outcome, how many).
OUTCOMES = (
    ("contact", 300),
    ("abandoned", 8),
    ("machine", 100),
    ("busy", 150),
    ("no_answer", 352),
    ("failed", 90),
)


def _organisation(agents: int) -> Any:
    """A company with 2 locations of 10 teams, the agents, a manager and a location manager,
    10 campaigns with 2 lists each, and the lists' leads (COPY)."""
    from django.db import connection

    from dialcrm.campaigns.models import CallList, Campaign, Status
    from dialcrm.org.models import Staff

    company, locations, teams, client = company_with_teams(COMPANY, 2, 10)
    campaigns = [
        Campaign.objects.create(client=client, location=locations[n % 2], name=f"Campaign {n}")
        for n in range(CAMPAIGNS)
    ]
    lists = [CallList.objects.create(client=client, name=f"List {n}") for n in range(LISTS)]
    for index, call_list in enumerate(lists):
        campaigns[index % CAMPAIGNS].list_links.create(call_list=call_list, priority=1)
    Status.objects.create(company=company, code="SALE", label="Sale", category="sale")
    create_agents(company, teams, agents)
    Staff.objects.create(username="bench.manager", password="!", company=company, role="manager")
    create_location_manager(company, locations[0])
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY campaigns_lead (call_list_id, external_id, first_name, last_name, email, city,"
            " region, custom, state, attempts, list_version, created_at) FROM STDIN"
        ) as copy,
    ):
        for index in range(LEADS):
            copy.write_row(
                (
                    lists[index % LISTS].pk,
                    "",
                    "",
                    f"Lead{index}",
                    "",
                    "",
                    "",
                    "{}",
                    "retry",
                    1,
                    1,
                    "2026-09-30 10:00:00+00",
                )
            )
    return company, campaigns, lists


def _stamp(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(epoch_s))


def _attempt_lines(
    count: int, campaign_ids: list[int], lead_ids: dict[int, list[int]], agent_ids: list[int]
) -> Any:
    """The month's attempts as COPY text, in blocks: spread evenly over the calling hours (08:00
    to 20:00 local, every day), each campaign's calls put through to its own agents (agent n
    works campaign n % 10), as a call center works."""
    days = (MONTH_END.date() - MONTH_START.date()).days
    calling_s = CALLING_HOURS * 3600
    pattern = [outcome for outcome, times in OUTCOMES for _ in range(times)]
    per_campaign = {
        campaign_id: agent_ids[index :: len(campaign_ids)]
        for index, campaign_id in enumerate(campaign_ids)
    }
    day_starts = [
        datetime.datetime.combine(
            MONTH_START.date() + datetime.timedelta(days=day), datetime.time(8), ZONE
        ).timestamp()
        for day in range(days)
    ]
    block: list[str] = []
    for index in range(count):
        campaign_id = campaign_ids[index % len(campaign_ids)]
        leads = lead_ids[campaign_id]
        lead_id = leads[(index // len(campaign_ids)) % len(leads)]
        day, second = divmod(days * calling_s * index // count, calling_s)
        dialed_s = int(day_starts[day]) + second
        dialed = _stamp(dialed_s)
        outcome = pattern[(index * 7919) % len(pattern)]
        agents = per_campaign[campaign_id]
        answered = connected = r"\N"
        agent = wait = r"\N"
        abandoned = "f"
        if outcome == "contact":
            # The campaign's agents in turn, shifting every 1,000 calls so each takes contacts.
            turn = (index // len(campaign_ids)) * 37 + index // 1000
            agent = str(agents[turn % len(agents)])
            wait = f"{(index % 20) / 10:.1f}"
            answered = _stamp(dialed_s + 6)
            connected = _stamp(dialed_s + 7)
            ended = _stamp(dialed_s + 60 + index % 300)
        elif outcome == "abandoned":
            abandoned = "t"
            wait = "2.0"
            answered = _stamp(dialed_s + 6)
            ended = _stamp(dialed_s + 8)
        else:
            ended = _stamp(dialed_s + 25)
        block.append(
            f"{index + 1:032x}\t{campaign_id}\t{lead_id}\t+40720000000\t{agent}\t"
            f"predictive\t{dialed}\t{answered}\t{connected}\t{ended}\t{outcome}\t"
            f"\t\t{wait}\t{abandoned}\t\n"
        )
        if len(block) == 50_000:
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)


def _load(attempts: int, agents: int) -> tuple[Any, Any]:
    from django.db import connection

    from dialcrm.campaigns.models import CampaignList, Lead
    from dialcrm.org.models import Company, Staff
    from dialcrm.reports import rollups

    if Company.objects.filter(name=COMPANY).exists():
        print("reusing the loaded month (drop the database to load another size)")
        return Staff.objects.get(username="bench.manager"), Staff.objects.get(
            username="bench.floor0"
        )
    started = time.perf_counter()
    company, campaigns, lists = _organisation(agents)
    campaign_ids = [campaign.pk for campaign in campaigns]
    lead_ids: dict[int, list[int]] = {campaign_id: [] for campaign_id in campaign_ids}
    list_campaign = dict(
        CampaignList.objects.filter(campaign__in=campaigns).values_list("call_list", "campaign")
    )
    for lead_id, list_id in Lead.objects.filter(call_list__in=lists).values_list(
        "pk", "call_list_id"
    ):
        lead_ids[list_campaign[list_id]].append(lead_id)
    agent_ids = list(
        Staff.objects.filter(company=company, role="agent")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY dialer_callattempt (call_id, campaign_id, lead_id, number, agent_id, mode,"
            " dialed_at, answered_at, connected_at, ended_at, outcome, cause, answered_by,"
            " wait_s, is_abandoned, recording) FROM STDIN"
        ) as copy:
            for text in _attempt_lines(attempts, campaign_ids, lead_ids, agent_ids):
                copy.write(text)
        loaded = time.perf_counter()
        print(f"loaded {attempts:,} attempts in {loaded - started:.0f} s")
        cursor.execute("SELECT id FROM campaigns_status WHERE company_id = %s", [company.pk])
        (status_id,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO desk_disposition (attempt_id, agent_id, campaign_id, lead_id, status_id,"
            " answers, note, idempotency_key, created_at)"
            " SELECT id, agent_id, campaign_id, lead_id, %s, '{}', '', call_id::text, ended_at"
            " FROM dialer_callattempt WHERE outcome = 'contact' AND id %% 10 = 0",
            [status_id],
        )
        cursor.execute(
            "INSERT INTO desk_sale (disposition_id, campaign_id, lead_id, agent_id, state,"
            " created_at) SELECT id, campaign_id, lead_id, agent_id,"
            " CASE WHEN id %% 4 = 0 THEN 'pending' ELSE 'accepted' END, created_at"
            " FROM desk_disposition",
            [],
        )
        cursor.execute("ANALYZE")
    rebuild_started = time.perf_counter()
    hours = rollups.rebuild(MONTH_START, MONTH_END)
    print(
        f"roll-up rebuilt from the attempts in {time.perf_counter() - rebuild_started:.1f} s: "
        f"{hours:,} hour rows"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_attempthour")
    return Staff.objects.get(username="bench.manager"), Staff.objects.get(username="bench.floor0")


def _summary_from_attempts(manager: Any) -> list[Any]:
    """The campaign summary's counts summed from the attempts (no roll-up)."""
    from django.db.models import Count, Q

    from dialcrm.dialer.models import CallAttempt

    return list(
        CallAttempt.objects.for_user(manager)
        .filter(dialed_at__gte=MONTH_START, dialed_at__lt=MONTH_END)
        .exclude(outcome__in=("in_progress", "cancelled"))
        .order_by()
        .values("campaign_id")
        .annotate(
            attempts=Count("pk"),
            contacts=Count("pk", filter=Q(outcome="contact")),
            abandoned=Count("pk", filter=Q(is_abandoned=True)),
            connected=Count("pk", filter=Q(connected_at__isnull=False)),
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000_000)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default="dialcrm_bench_reports")
    arguments = parser.parse_args(argv)
    prepare_django(arguments.database, redis_db=11)
    from dialcrm.dialer.models import CallAttempt
    from dialcrm.reports.services import run_report

    manager, floor_manager = _load(arguments.attempts, arguments.agents)
    repeat = arguments.repeat
    month_attempts = CallAttempt.objects.filter(dialed_at__gte=MONTH_START, dialed_at__lt=MONTH_END)
    results = [
        time_ms("baseline: COUNT of the month's attempts", month_attempts.count, repeat),
        time_ms(
            "campaign summary, month, manager",
            lambda: run_report(manager, "campaign-summary", MONTH),
            repeat,
        ),
        time_ms(
            "agent performance, month, manager",
            lambda: run_report(manager, "agent-performance", MONTH),
            repeat,
        ),
        time_ms(
            "campaign summary, month, location manager",
            lambda: run_report(floor_manager, "campaign-summary", MONTH),
            repeat,
        ),
        time_ms(
            "agent performance, month, location manager",
            lambda: run_report(floor_manager, "agent-performance", MONTH),
            repeat,
        ),
        time_ms(
            "campaign summary counts from the attempts (no roll-up)",
            lambda: _summary_from_attempts(manager),
            repeat,
        ),
    ]
    summary = run_report(manager, "campaign-summary", MONTH)
    agents = run_report(manager, "agent-performance", MONTH)
    print(
        f"month: {summary.totals['attempts']:,} attempts, {summary.totals['contacts']:,} contacts,"
        f" {summary.totals['sales']:,} sales; {len(agents.rows):,} agents"
    )
    baseline = results[0][1]
    print(f"{'query':58} {'median ms':>10} {'worst ms':>10} {'x baseline':>11}")
    for label, median, worst in results:
        print(f"{label:58} {median:10.1f} {worst:10.1f} {median / baseline:11.2f}")
    slow = [label for label, median, _ in results[1:5] if median > TARGET_MS]
    print(
        f"target: the reports under {TARGET_MS / 1000:.0f} s: "
        + ("met" if not slow else "missed by " + ", ".join(slow))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
