"""Benchmark: what webhooks cost the dialer when a call ends, and how fast the worker delivers.

1. Closing calls with `dialer.store.finish_attempt` (the engine's path for busy / no answer /
   abandoned), each in its own transaction as the engine runs them:
   - baseline: the `call.ended` hook replaced by a no-op (the store without webhooks);
   - the company has no subscription (the hook's cached look-up only);
   - one subscription to `call.ended`; three subscriptions (one INSERT either way).
   The cases take turns in several rounds (a busy machine then weighs on all of them alike).
   Reported: the median microseconds per call and the ratio to the baseline of the same run.
2. Delivering: M due deliveries posted by `deliver_due` to a receiver on 127.0.0.1 that answers
   at once, and to one that takes 50 ms (each in a process of its own); deliveries per second, against the same M posted one by
   one with a plain `http.client` loop (the floor of the HTTP work itself).

    .venv/bin/python bench/webhooks.py [--calls 500] [--rounds 5] [--deliveries 400]
        [--database dialcrm_bench_webhooks]

The database is emptied of campaigns' calls at the start: use one for benchmarks.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import subprocess
import sys
import time
from typing import Any

from common import prepare_django


def _campaign(calls: int) -> tuple[Any, list[Any]]:
    """A company with a running campaign, and `calls` leads with a number each."""
    from dialcrm.campaigns.choices import CampaignState
    from dialcrm.campaigns.models import (
        CallList,
        Campaign,
        Client,
        Lead,
        Phone,
        WorkSheet,
        WorkSheetVersion,
    )
    from dialcrm.org.models import Company, Location

    company = Company.objects.create(name=f"Bench {time.time_ns()}")
    location = Location.objects.create(company=company, name="Main")
    client = Client.objects.create(company=company, name="Energia SA")
    call_list = CallList.objects.create(client=client, name="Prospects")
    sheet = WorkSheet.objects.create(company=company, name="Offer")
    WorkSheetVersion.objects.create(sheet=sheet, number=1, definition={"groups": []})
    campaign = Campaign.objects.create(
        client=client,
        location=location,
        name="Bench",
        work_sheet=sheet,
        caller_id="+40215550000",
        calling_hours_start=datetime.time(0, 0),
        calling_hours_end=datetime.time(23, 59, 59),
        calling_days=[0, 1, 2, 3, 4, 5, 6],
        state=CampaignState.RUNNING,
    )
    leads = Lead.objects.bulk_create(
        Lead(call_list=call_list, last_name=f"Lead{index}") for index in range(calls * 4)
    )
    Phone.objects.bulk_create(
        Phone(lead=lead, number=f"+4072{index:07d}", country="RO", time_zone="UTC")
        for index, lead in enumerate(leads)
    )
    return campaign, list(Phone.objects.filter(lead__call_list=call_list).order_by("pk"))


def _close_calls(campaign: Any, phones: list[Any]) -> float:
    """Seconds to close one in-progress attempt per phone, one transaction each."""
    from django.utils import timezone

    from dialcrm.dialer import store
    from dialcrm.dialer.core.outcomes import CallOutcome
    from dialcrm.dialer.models import CallAttempt

    settings = store.load_campaign(campaign.pk)
    now = timezone.now()
    attempts = CallAttempt.objects.bulk_create(
        CallAttempt(
            campaign=campaign,
            lead_id=phone.lead_id,
            phone=phone,
            number=phone.number,
            mode="predictive",
            dialed_at=now,
        )
        for phone in phones
    )
    started = time.perf_counter()
    for attempt in attempts:
        store.finish_attempt(settings, str(attempt.call_id), CallOutcome.NO_ANSWER, time.time())
    return time.perf_counter() - started


def bench_call_ended(calls: int, rounds: int) -> None:
    import statistics

    from dialcrm.dialer import store
    from dialcrm.webhooks.choices import Event
    from dialcrm.webhooks.models import Delivery, Subscription
    from dialcrm.webhooks.services import forget_subscriptions

    campaign, phones = _campaign(calls * 4 * rounds)
    company = campaign.client.company
    subscriptions = [
        Subscription.objects.create(
            company=company, name=name, url="http://127.0.0.1:9/in", events=[Event.CALL_ENDED]
        )
        for name in ("A", "B", "C")
    ]
    hook = store.webhooks.call_ended
    cases = [
        ("baseline (no webhooks code)", None),
        ("no subscription", 0),
        ("1 subscription", 1),
        ("3 subscriptions", 3),
    ]
    timings: dict[str, list[float]] = {label: [] for label, _active in cases}
    chunks = iter(phones[index : index + calls] for index in range(0, len(phones), calls))
    for round_number in range(rounds):
        # Each round takes the cases in another order, so a busy moment does not hit one only.
        for label, active in cases[round_number % 4 :] + cases[: round_number % 4]:
            Subscription.objects.filter(company=company).update(is_active=False)
            Subscription.objects.filter(pk__in=[s.pk for s in subscriptions[: active or 0]]).update(
                is_active=True
            )
            forget_subscriptions()
            if active is None:
                store.webhooks.call_ended = lambda *args, **kwargs: 0  # type: ignore[assignment]
            try:
                timings[label].append(_close_calls(campaign, next(chunks)) / calls)
            finally:
                store.webhooks.call_ended = hook  # type: ignore[assignment]
    written = Delivery.objects.filter(subscription__company=company).count()
    assert written == calls * rounds * 4, written
    Delivery.objects.filter(subscription__company=company).delete()
    baseline = statistics.median(timings[cases[0][0]])
    print(f"closing calls (finish_attempt, one transaction each; {rounds} rounds of {calls}):")
    for label, _active in cases:
        median = statistics.median(timings[label])
        print(f"  {label:28} {median * 1e6:8.0f} µs/call (median)   x{median / baseline:.3f}")


RECEIVER = """
import http.server, sys, time
delay = float(sys.argv[1])
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if delay:
            time.sleep(delay)
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer.request_queue_size = 128
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _receiver(delay_s: float) -> tuple[str, subprocess.Popen[str]]:
    """A receiver in a process of its own (as a real one would be), answering 204."""
    process = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, str(delay_s)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    return f"http://127.0.0.1:{port}/in", process


def _plain_posts(url: str, count: int) -> float:
    port = int(url.split(":")[2].split("/")[0])
    body = b'{"event":"call.ended"}'
    started = time.perf_counter()
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/in", body=body, headers={"Content-Type": "application/json"})
        connection.getresponse().read()
        connection.close()
    return time.perf_counter() - started


def bench_delivery(count: int) -> None:
    from django.utils import timezone

    from dialcrm.org.models import Company
    from dialcrm.webhooks.choices import DeliveryState, Event
    from dialcrm.webhooks.delivery import deliver_due
    from dialcrm.webhooks.models import Delivery, Subscription
    from dialcrm.webhooks.services import emit, forget_subscriptions

    print(f"delivering {count} due deliveries (deliver_due rounds, 8 receivers at once):")
    for delay_s in (0.0, 0.05):
        url, receiver = _receiver(delay_s)
        company = Company.objects.create(name=f"Bench delivery {time.time_ns()}")
        Subscription.objects.create(company=company, name="R", url=url, events=[Event.CALL_ENDED])
        forget_subscriptions()
        for index in range(count):
            emit(company.pk, Event.CALL_ENDED, {"call": {"id": index}})
        started = time.perf_counter()
        while deliver_due(timezone.now()):
            pass
        seconds = time.perf_counter() - started
        delivered = Delivery.objects.filter(
            subscription__company=company, state=DeliveryState.DELIVERED
        ).count()
        assert delivered == count, delivered
        plain = _plain_posts(url, count)
        receiver.terminate()
        receiver.wait()
        print(
            f"  receiver answering in {delay_s * 1000:3.0f} ms: {count / seconds:7.0f} deliveries/s"
            f"   plain sequential posts {count / plain:7.0f}/s   x{plain / seconds:.2f} of them"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--deliveries", type=int, default=400)
    parser.add_argument("--database", default="dialcrm_bench_webhooks")
    options = parser.parse_args()
    os.environ["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    prepare_django(options.database, redis_db=12)
    bench_call_ended(options.calls, options.rounds)
    bench_delivery(options.deliveries)


if __name__ == "__main__":
    main()
