"""The hourly roll-up kept by the dialer as it closes attempts equals a rebuild from the
attempts themselves."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from dialcrm.dialer import store
from dialcrm.dialer.core.outcomes import CallOutcome
from dialcrm.dialer.models import CallAttempt
from dialcrm.reports import rollups
from dialcrm.reports.models import AttemptHour
from tests.dialer.engine.conftest import make_running_campaign

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def figures() -> list[tuple[Any, ...]]:
    return list(
        AttemptHour.objects.order_by("hour", "agent_id").values_list(
            "hour",
            "campaign_id",
            "call_list_id",
            "agent_id",
            "attempts",
            "contacts",
            "connected",
            "abandoned",
            "busy",
            "no_answer",
            "talk_s",
            "wait_s",
        )
    )


def test_the_dialers_counts_equal_a_rebuild(org):
    running = make_running_campaign(org, leads=5)
    settings = store.load_campaign(running.campaign.pk)
    leads = list(running.campaign.call_lists.get().leads.order_by("pk"))

    def dial(index: int, minute: int) -> CallAttempt:
        lead = leads[index]
        phone = lead.phones.get()
        return CallAttempt.objects.create(
            campaign=running.campaign,
            lead=lead,
            phone=phone,
            number=phone.number,
            mode="predictive",
            dialed_at=START + datetime.timedelta(minutes=minute),
        )

    def seconds(minute: int, second: int = 0) -> float:
        return (START + datetime.timedelta(minutes=minute, seconds=second)).timestamp()

    busy = dial(0, 5)
    store.finish_attempt(settings, str(busy.call_id), CallOutcome.BUSY, seconds(5, 20))
    abandoned = dial(1, 10)
    store.finish_attempt(
        settings, str(abandoned.call_id), CallOutcome.ABANDONED, seconds(10, 30), wait_s=2.0
    )
    talked = dial(2, 70)  # the next hour
    store.mark_connected(str(talked.call_id), org["agent"].pk, seconds(70, 8), 1.5)
    store.mark_ended(str(talked.call_id), seconds(73, 8))
    store.record_disposition(settings, str(talked.call_id), "SALE", seconds(74))
    store.record_disposition(settings, str(talked.call_id), "SALE", seconds(75))  # a retry
    cancelled = dial(3, 20)
    store.cancel_attempt(str(cancelled.call_id))

    live = figures()
    hour, next_hour = START, START + datetime.timedelta(hours=1)
    assert live == [
        (hour, running.campaign.pk, running.call_list.pk, None, 2, 0, 0, 1, 1, 0, 0.0, 0.0),
        (
            next_hour,
            running.campaign.pk,
            running.call_list.pk,
            org["agent"].pk,
            1,
            1,
            1,
            0,
            0,
            0,
            180.0,
            1.5,
        ),
    ]
    assert rollups.rebuild(START, START + datetime.timedelta(hours=2)) == 2
    assert figures() == live


def test_the_command_recounts_days(org):
    running = make_running_campaign(org, leads=1)
    lead = running.call_list.leads.get()
    CallAttempt.objects.create(
        campaign=running.campaign,
        lead=lead,
        number="+40720000001",
        mode="predictive",
        dialed_at=START,
        outcome="no_answer",
    )
    output = io.StringIO()
    call_command("reports_rollup", since="2026-03-02", until="2026-03-02", stdout=output)
    assert output.getvalue().strip() == "Recounted 2026-03-02 to 2026-03-02: 1 hour rows."
    assert AttemptHour.objects.get().no_answer == 1
    with pytest.raises(CommandError, match="is not a date"):
        call_command("reports_rollup", since="2 March")
