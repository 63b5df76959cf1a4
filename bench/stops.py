"""Benchmark: the cost of the engine's stop-condition check (objective, lists, end date) for one
campaign, against a hopper claim of 20 leads measured in the same run.

It sets up on PostgreSQL one campaign whose list holds --leads leads, in three shapes:
"fresh" (new leads, the usual case), "waiting" (every lead called, waiting for a redial time an
hour away: the list is not exhausted, the check must find one), "exhausted" (every lead done)
and "stuck" (every lead still "to retry" but its number out of attempts, as after the campaign's
attempts per number were lowered: the check must look at all of them to say the list is
exhausted, its worst case). The engine runs the check every 30 seconds per campaign, in the
hopper's thread; the hopper claims many times a minute.

    .venv/bin/python bench/stops.py [--leads 200000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from common import prepare_django, samples_ms

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "dialcrm_bench_stops"


def _campaign(shape: str) -> int:
    import datetime

    from dialcrm.campaigns.choices import CampaignState, StatusCategory
    from dialcrm.campaigns.models import CallList, Campaign, Client, Status
    from dialcrm.org.models import Company, Location

    company = Company.objects.create(name=f"Bench {shape}")
    location = Location.objects.create(company=company, name="Hall")
    client = Client.objects.create(company=company, name="Energia")
    call_list = CallList.objects.create(client=client, name=shape)
    campaign = Campaign.objects.create(
        client=client,
        location=location,
        name=shape,
        state=CampaignState.RUNNING,
        objective_target=1000,
        calling_hours_start=datetime.time(0, 0),
        calling_hours_end=datetime.time(23, 59, 59),
        calling_days=[0, 1, 2, 3, 4, 5, 6],
        caller_id="+40215550000",
    )
    campaign.statuses.add(
        Status.objects.create(
            company=company, code="SALE", label="Sale", category=StatusCategory.SALE, is_final=True
        )
    )
    campaign.list_links.create(call_list=call_list, priority=1)
    return campaign.pk


def _fill(campaign_id: int, shape: str, leads: int) -> None:
    """Leads and one phone each, written by the database itself (generate_series)."""
    from django.db import connection

    from dialcrm.campaigns.models import CampaignList

    list_id = CampaignList.objects.get(campaign_id=campaign_id).call_list_id
    state, lead_attempts, phone_attempts, next_call, dialable = {
        "fresh": ("'new'", "0", "0", "NULL", "true"),
        "waiting": ("'retry'", "1", "1", "now() + interval '1 hour'", "true"),
        # Every lead done, as the engine leaves them at their last call.
        "exhausted": ("'final'", "5", "5", "NULL", "false"),
        # Every lead "to retry" but with its number out of attempts (the campaign's attempts
        # per number were lowered): the check looks at all of them, its worst case.
        "stuck": ("'retry'", "1", "5", "NULL", "true"),
    }[shape]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaigns_lead (call_list_id, external_id, first_name, last_name, email,"
            " city, region, custom, state, attempts, next_call_at, last_called_at, list_version,"
            f" created_at) SELECT %s, '', '', 'Lead ' || i, '', '', '', '{{}}', {state},"
            f" {lead_attempts}, {next_call}, NULL, 1, now() FROM generate_series(1, %s) AS i",
            [list_id, leads],
        )
        cursor.execute(
            "INSERT INTO campaigns_phone (lead_id, number, kind, priority, country, time_zone,"
            " attempts, last_called_at, last_outcome, is_dialable)"
            " SELECT id, '+4072' || lpad(id::text, 7, '0'), 'mobile', 1, 'RO', 'UTC',"
            f" {phone_attempts}, NULL, '', {dialable} FROM campaigns_lead WHERE call_list_id = %s",
            [list_id],
        )
        cursor.execute("ANALYZE campaigns_lead")
        cursor.execute("ANALYZE campaigns_phone")


def _claim_and_give_back(settings: Any) -> None:
    """One hopper claim of 20 leads, rolled back, so each run claims the same leads."""
    from django.db import transaction

    from dialcrm.dialer import store

    class RolledBack(Exception):
        pass

    try:
        with transaction.atomic():
            store.claim_leads(settings, 20, time.time())
            raise RolledBack
    except RolledBack:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    prepare_django(DATABASE, redis_db=9, fresh=True)
    from dialcrm.dialer import store

    campaigns = {}
    for shape in ("fresh", "waiting", "exhausted", "stuck"):
        campaigns[shape] = _campaign(shape)
        _fill(campaigns[shape], shape, options.leads)
    fresh = store.load_campaign(campaigns["fresh"])
    baseline = statistics.median(samples_ms(lambda: _claim_and_give_back(fresh), options.repeat))
    print(f"{options.leads} leads per list; median of {options.repeat} runs")
    print(f"baseline: hopper claim of 20 leads {baseline:.2f} ms")
    for shape, campaign_id in campaigns.items():
        settings = store.load_campaign(campaign_id)
        found = store.stop_condition(settings, time.time())
        median = statistics.median(
            samples_ms(
                lambda settings=settings: store.stop_condition(settings, time.time()),
                options.repeat,
            )
        )
        print(
            f"stop check, {shape:9}: {median:7.2f} ms ({median / baseline:5.2f}x a claim),"
            f" says {found or 'go on'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
