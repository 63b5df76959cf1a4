"""Closing a call: the status, the work sheet as the back office defined it, a sale's products
for quality review, a callback in the lead's local time; idempotent, and only for the agent's
own call."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from dialcrm.core.models import AuditEntry
from dialcrm.desk import services
from dialcrm.desk.models import DeskDraft, Disposition, Sale, SaleLine
from tests.desk.conftest import connected_call

pytestmark = pytest.mark.django_db

GOOD_ANSWERS = {"full_name": "Ana Pop", "plan": "Plus", "kwh": "250", "contact_ok": "yes"}
KEY = "key-0001-abcdef"


def _sale(desk: Any, call: Any, key: str = KEY, **extra: Any) -> services.Recorded:
    values: dict[str, Any] = {
        "status_code": "SALE",
        "answers": GOOD_ANSWERS,
        "idempotency_key": key,
        "products": [services.ProductLine(desk.products[0].pk, 2)],
    }
    values.update(extra)
    return services.submit_disposition(desk.agent, call.call_id, **values)


def test_a_sale_records_answers_products_and_goes_to_quality_review(
    desk_campaign, sent_commands, django_capture_on_commit_callbacks
):
    call = connected_call(desk_campaign)
    DeskDraft.objects.create(attempt=call, agent=desk_campaign.agent, data={"status": "SALE"})

    with django_capture_on_commit_callbacks(execute=True):
        recorded = _sale(desk_campaign, call, note="  Wants the paper contract  ")

    disposition = recorded.disposition
    assert recorded.is_replay is False
    assert disposition.status.code == "SALE"
    assert disposition.sheet_version == desk_campaign.version
    assert disposition.answers == {
        "full_name": "Ana Pop",
        "plan": "Plus",
        "kwh": 250,
        "contact_ok": True,
    }
    assert disposition.note == "Wants the paper contract"
    sale = Sale.objects.get()
    assert (sale.state, sale.agent, sale.lead_id) == ("pending", desk_campaign.agent, call.lead_id)
    assert list(SaleLine.objects.values_list("product__code", "quantity")) == [("PLUS", 2)]
    assert not DeskDraft.objects.exists()
    assert sent_commands == [
        {
            "kind": "disposition",
            "agent_id": desk_campaign.agent.pk,
            "call_id": str(call.call_id),
            "status_code": "SALE",
            "callback_at_s": None,
            "callback_agent_id": None,
            "note": "Wants the paper contract",
            "go_ready": True,
            "reason": "",
        }
    ]
    entry = AuditEntry.objects.get(object_type="desk.disposition")
    assert entry.summary == f"status SALE for call {call.call_id}: 2 × PLUS"


def test_the_same_submission_twice_records_once(
    desk_campaign, sent_commands, django_capture_on_commit_callbacks
):
    call = connected_call(desk_campaign)
    with django_capture_on_commit_callbacks(execute=True):
        first = _sale(desk_campaign, call)
    call.status_id = first.disposition.status_id  # the engine recorded it meanwhile
    call.save(update_fields=["status"])

    with django_capture_on_commit_callbacks(execute=True):
        again = _sale(desk_campaign, call)

    assert again.is_replay is True
    assert again.disposition.pk == first.disposition.pk
    assert Disposition.objects.filter(attempt=call).count() == 1
    assert Sale.objects.count() == 1
    assert len(sent_commands) == 1  # the engine has it: not told twice


def test_a_retry_the_engine_never_heard_of_is_sent_again(
    desk_campaign, sent_commands, django_capture_on_commit_callbacks
):
    call = connected_call(desk_campaign)
    with django_capture_on_commit_callbacks(execute=True):
        first = _sale(desk_campaign, call)
    with django_capture_on_commit_callbacks(execute=True):
        _sale(desk_campaign, call)  # a double click: the engine is told once
    Disposition.objects.filter(pk=first.disposition.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        _sale(desk_campaign, call)  # a retry long after, the call still open in the engine

    assert Sale.objects.count() == 1
    assert [command["kind"] for command in sent_commands] == ["disposition", "disposition"]


def test_a_second_status_for_the_same_call_is_refused(desk_campaign, sent_commands):
    call = connected_call(desk_campaign)
    _sale(desk_campaign, call)

    with pytest.raises(services.Conflict, match="has its status already"):
        services.submit_disposition(
            desk_campaign.agent,
            call.call_id,
            status_code="NI",
            answers={},
            idempotency_key="another-key-123",
        )
    assert Disposition.objects.get(attempt=call).status.code == "SALE"


def test_another_agents_call_is_not_found_and_nothing_is_written(desk_campaign, sent_commands):
    call = connected_call(desk_campaign, agent=desk_campaign.teammate)

    with pytest.raises(Http404, match="No such call of yours"):
        _sale(desk_campaign, call)
    with pytest.raises(Http404):
        services.save_draft(desk_campaign.agent, call.call_id, {"answers": {}})
    with pytest.raises(Http404):
        services.access_call(desk_campaign.agent, "not-a-uuid")

    assert not Disposition.objects.filter(attempt=call).exists()
    assert not DeskDraft.objects.exists()
    assert sent_commands == []


def test_a_sale_needs_the_whole_sheet_and_products(desk_campaign, sent_commands):
    call = connected_call(desk_campaign)

    with pytest.raises(ValidationError) as refused:
        _sale(
            desk_campaign,
            call,
            answers={"plan": "Gold", "kwh": "-3", "colour": "red"},
            products=[],
        )

    assert refused.value.message_dict == {
        "answers.full_name": ["This field is required."],
        "answers.plan": ['"Gold" is not one of the options.'],
        "answers.kwh": ["At least 0."],
        "answers.colour": ["Not a field of this work sheet (version 2)."],
        "products": ["Add the products sold, with their quantities."],
    }
    assert not Disposition.objects.filter(attempt=call).exists()
    assert sent_commands == []


def test_other_statuses_check_what_was_answered_but_require_nothing(desk_campaign):
    call = connected_call(desk_campaign)

    recorded = services.submit_disposition(
        desk_campaign.agent,
        call.call_id,
        status_code="ni",
        answers={"kwh": "120,5"},
        idempotency_key=KEY,
    )
    with pytest.raises(ValidationError) as refused:
        services.submit_disposition(
            desk_campaign.agent,
            connected_call(desk_campaign, lead=desk_campaign.leads[1]).call_id,
            status_code="NI",
            answers={"kwh": "a lot"},
            idempotency_key="key-0002-abcdef",
            products=[services.ProductLine(desk_campaign.products[0].pk, 1)],
        )

    assert recorded.disposition.answers == {"kwh": 120.5}
    assert refused.value.message_dict == {
        "answers.kwh": ["Give a number, e.g. 12 or 12.5."],
        "products": ["Products are recorded with a sale status only."],
    }


def test_unknown_status_and_foreign_products_are_refused(desk_campaign, org):
    from dialcrm.catalog.models import Product

    call = connected_call(desk_campaign)
    foreign = Product.objects.create(company=org.other_company, code="X", name="Other's")

    with pytest.raises(ValidationError) as no_status:
        services.submit_disposition(
            desk_campaign.agent, call.call_id, status_code="AB", answers={}, idempotency_key=KEY
        )
    with pytest.raises(ValidationError) as no_product:
        _sale(desk_campaign, call, products=[services.ProductLine(foreign.pk, 1)])

    assert no_status.value.message_dict == {"status": ["Choose one of the campaign's statuses."]}
    assert no_product.value.message_dict == {"products": ["Choose products this campaign sells."]}


def _tomorrow_at(hour: int, zone: str = "UTC") -> datetime.datetime:
    local = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)) + datetime.timedelta(days=1)
    return local.replace(hour=hour, minute=30, second=0, microsecond=0, tzinfo=None)


def test_a_callback_is_given_in_the_lead_s_local_time_within_calling_hours(
    desk_campaign, sent_commands, django_capture_on_commit_callbacks
):
    import datetime as dt

    desk_campaign.campaign.calling_hours_start = dt.time(9, 0)
    desk_campaign.campaign.calling_hours_end = dt.time(20, 0)
    desk_campaign.campaign.save()
    lead = desk_campaign.leads[0]
    lead.phones.update(time_zone="Europe/Bucharest")
    call = connected_call(desk_campaign)
    agent = desk_campaign.agent

    with pytest.raises(ValidationError) as late:
        services.submit_disposition(
            agent,
            call.call_id,
            status_code="CB",
            answers={},
            idempotency_key=KEY,
            callback_at=_tomorrow_at(21, "Europe/Bucharest"),
        )
    with django_capture_on_commit_callbacks(execute=True):
        recorded = services.submit_disposition(
            agent,
            call.call_id,
            status_code="CB",
            answers={},
            idempotency_key=KEY,
            callback_at=_tomorrow_at(17, "Europe/Bucharest"),
            callback_agent_id=agent.pk,
            go_ready=False,
            pause_reason="lunch",
        )

    assert late.value.message_dict == {
        "callback_at": [
            "The campaign calls from 09:00 to 20:00, the lead's time (Europe/Bucharest)."
        ]
    }
    due = recorded.disposition.callback_at.astimezone(zoneinfo.ZoneInfo("Europe/Bucharest"))
    assert (due.hour, due.minute) == (17, 30)
    assert sent_commands[0]["callback_at_s"] == recorded.disposition.callback_at.timestamp()
    assert sent_commands[0]["callback_agent_id"] == agent.pk
    assert (sent_commands[0]["go_ready"], sent_commands[0]["reason"]) == (False, "lunch")


def test_a_callback_needs_a_time_in_the_future(desk_campaign):
    call = connected_call(desk_campaign)

    with pytest.raises(ValidationError) as missing:
        services.submit_disposition(
            desk_campaign.agent, call.call_id, status_code="CB", answers={}, idempotency_key=KEY
        )
    with pytest.raises(ValidationError) as past:
        services.submit_disposition(
            desk_campaign.agent,
            call.call_id,
            status_code="CB",
            answers={},
            idempotency_key=KEY,
            callback_at=timezone.now() - datetime.timedelta(hours=1),
        )

    assert missing.value.message_dict == {
        "callback_at": ["Say when to call back (the lead's local time)."]
    }
    assert past.value.message_dict == {"callback_at": ["Choose a time in the future."]}


def test_a_bad_idempotency_key_is_refused(desk_campaign):
    call = connected_call(desk_campaign)

    with pytest.raises(ValidationError) as refused:
        _sale(desk_campaign, call, key="x")
    with pytest.raises(ValidationError) as reused:
        _sale(desk_campaign, call)
        _sale(desk_campaign, connected_call(desk_campaign, lead=desk_campaign.leads[1]), key=KEY)

    assert refused.value.message_dict == {
        "idempotency_key": ["Send a key of 8 to 64 letters, digits, - or _."]
    }
    assert reused.value.message_dict == {
        "idempotency_key": ["This key was used for another call; send a new one."]
    }


def test_a_draft_is_kept_for_the_agents_call_until_its_status(desk_campaign):
    call = connected_call(desk_campaign)
    agent = desk_campaign.agent

    services.save_draft(agent, call.call_id, {"answers": {"full_name": "An"}})
    services.save_draft(agent, call.call_id, {"answers": {"full_name": "Ana"}, "status": "NI"})
    services.submit_disposition(
        agent, call.call_id, status_code="NI", answers={}, idempotency_key=KEY
    )

    assert not DeskDraft.objects.exists()
    with pytest.raises(services.Conflict):
        services.save_draft(agent, call.call_id, {"answers": {}})
    with pytest.raises(ValidationError, match="too large"):
        services.save_draft(
            agent,
            connected_call(desk_campaign, lead=desk_campaign.leads[1]).call_id,
            {"note": "x" * 200_000},
        )
