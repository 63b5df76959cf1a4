"""Benchmark: the lead list screen over a list of millions of leads (PostgreSQL).

Loads N leads (default 2,000,000, two phones each) into a benchmark database with COPY, then
times the queries behind the call list's page: the first page, a phone search, a last-name
prefix search, a state filter, and a deep page. Reported in milliseconds (median and worst of
repeated runs) and as a ratio against a baseline measured in the same run: fetching 50 leads by
primary key. Target: every query under 300 ms.

    .venv/bin/python bench/lead_list.py [--rows 2000000] [--database dialcrm_bench]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable

from common import prepare_django, time_ms

REPEAT = 7  # runs of each query, after one to warm the caches
LAST_NAMES = [
    "Popescu",
    "Ionescu",
    "Popa",
    "Pop",
    "Radu",
    "Dumitru",
    "Stan",
    "Stoica",
    "Gheorghe",
    "Matei",
    "Ciobanu",
    "Rusu",
    "Munteanu",
    "Florea",
    "Constantin",
    "Marin",
    "Tudor",
    "Dinu",
    "Moldovan",
    "Lazăr",
]


def _load(rows: int) -> int:
    from django.db import connection

    from dialcrm.campaigns.models import CallList, Client, Lead
    from dialcrm.org.models import Company

    company, _ = Company.objects.get_or_create(name="Bench Company")
    client, _ = Client.objects.get_or_create(company=company, name="Bench Client")
    call_list, created = CallList.objects.get_or_create(client=client, name=f"Bench {rows}")
    if not created and Lead.objects.filter(call_list=call_list).count() == rows:
        return call_list.pk
    Lead.objects.filter(call_list=call_list).delete()
    random_source = random.Random(7)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY campaigns_lead (call_list_id, external_id, first_name, last_name, email, city, region, custom,"
            " state, attempts, list_version, created_at) FROM STDIN"
        ) as copy:
            for index in range(rows):
                state = "final" if index % 10 == 0 else "new"
                copy.write_row(
                    (
                        call_list.pk,
                        f"E{index}",
                        "Ana",
                        f"{random_source.choice(LAST_NAMES)}{index % 997}",
                        "",
                        "București",
                        "B",
                        "{}",
                        state,
                        0,
                        1,
                        "2026-11-25 10:00:00+00",
                    )
                )
        cursor.execute("SELECT min(id) FROM campaigns_lead WHERE call_list_id = %s", [call_list.pk])
        first_id = cursor.fetchone()[0]
        with cursor.copy(
            "COPY campaigns_phone (lead_id, number, kind, priority, country, time_zone, attempts, last_outcome,"
            " is_dialable) FROM STDIN"
        ) as copy:
            for index in range(rows):
                for priority in (1, 2):
                    number = f"+407{priority}{index:08d}"
                    copy.write_row(
                        (
                            first_id + index,
                            number,
                            "mobile",
                            priority,
                            "RO",
                            "Europe/Bucharest",
                            0,
                            "",
                            True,
                        )
                    )
        cursor.execute("ANALYZE campaigns_lead")
        cursor.execute("ANALYZE campaigns_phone")
    print(f"loaded {rows:,} leads and {2 * rows:,} phones in {time.perf_counter() - started:.1f} s")
    return call_list.pk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--database", default="dialcrm_bench")
    arguments = parser.parse_args(argv)
    prepare_django(arguments.database, redis_db=11)
    from dialcrm.campaigns.leads import lead_page, search_leads
    from dialcrm.campaigns.models import CallList, Lead

    call_list = CallList.objects.get(pk=_load(arguments.rows))
    some_ids = list(
        Lead.objects.filter(call_list=call_list).order_by("?").values_list("pk", flat=True)[:50]
    )
    deep = (
        Lead.objects.filter(call_list=call_list)
        .order_by("-id")
        .values_list("pk", flat=True)[arguments.rows // 2]
    )

    def page(query: str = "", state: str = "", before: int | None = None) -> Callable[[], object]:
        return lambda: lead_page(search_leads(call_list, query, state), before).leads

    results = [
        time_ms(
            "baseline: 50 leads by primary key",
            lambda: list(Lead.objects.filter(pk__in=some_ids)),
            REPEAT,
        ),
        time_ms("first page (50 newest, capped count)", page(), REPEAT),
        time_ms("search by phone 0721 000 123", page("0721000123"), REPEAT),
        time_ms("search by last-name prefix 'pope'", page("pope"), REPEAT),
        time_ms("filter state=final", page(state="final"), REPEAT),
        time_ms("filter state=new, name prefix 'stoica1'", page("stoica1", "new"), REPEAT),
        time_ms("a page in the middle (keyset)", page(before=deep), REPEAT),
    ]
    baseline = results[0][1]
    print(f"\nlead list over {arguments.rows:,} leads (PostgreSQL), milliseconds")
    print(f"{'query':<44} {'median':>8} {'worst':>8} {'x baseline':>11}")
    for label, median, worst in results:
        print(f"{label:<44} {median:8.1f} {worst:8.1f} {median / baseline:11.1f}")
    slowest = max(worst for _label, _median, worst in results[1:])
    print(
        f"\nslowest query (worst run): {slowest:.1f} ms; target under 300 ms: {'met' if slowest < 300 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    sys.exit(main())
