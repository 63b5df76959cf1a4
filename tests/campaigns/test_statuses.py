"""Call statuses: the defaults every company starts with, the rules of what they mean for
dialing, and who may change them, through the service, the screens and the API."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from dialcrm.campaigns.choices import CampaignState, StatusCategory
from dialcrm.campaigns.models import Campaign, Client, Status
from dialcrm.campaigns.statuses import (
    DEFAULT_STATUSES,
    ensure_default_statuses,
    seed_default_statuses,
    selectable_statuses,
)
from dialcrm.core import audit
from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import AuditEntry

EDITORS = [Role.ADMINISTRATOR, Role.MANAGER, Role.BACK_OFFICE]
NOT_EDITORS = [
    Role.HUMAN_RESOURCES,
    Role.LOCATION_MANAGER,
    Role.TEAM_LEADER,
    Role.AGENT,
    Role.QUALITY,
]

DEFAULTS = [
    # code, label, category, final, retry after, agents can choose it, order
    ("SALE", "Sale", "sale", True, None, True, 10),
    ("POSITIVE", "Positive contact", "positive_contact", True, None, True, 20),
    ("NI", "Not interested", "not_interested", True, None, True, 30),
    ("CB", "Callback", "callback", False, None, True, 40),
    ("NA", "No answer", "no_answer", False, 60, True, 50),
    ("B", "Busy", "busy", False, 15, True, 60),
    ("AM", "Answering machine", "answering_machine", False, 120, True, 70),
    ("WN", "Wrong number", "wrong_number", True, None, True, 80),
    ("DNC", "Do not call", "do_not_call", True, None, True, 90),
    ("AB", "Abandoned by the dialer", "abandoned", False, 60, False, 100),
    ("FAIL", "Call failed", "failed", False, 30, False, 110),
]


def _rows(company):
    return [
        (
            s.code,
            s.label,
            s.category,
            s.is_final,
            s.retry_after_minutes,
            s.is_agent_selectable,
            s.order,
        )
        for s in Status.objects.filter(company=company).order_by("order")
    ]


def _api(client, method, path, payload=None):
    call = getattr(client, method)
    if payload is None:
        return call(f"/api/campaigns/{path}")
    return call(f"/api/campaigns/{path}", json.dumps(payload), content_type="application/json")


def _status(company, code="XY", **values):
    defaults = {"label": code, "category": StatusCategory.NOT_INTERESTED, "is_final": True}
    return Status.objects.create(company=company, code=code, **{**defaults, **values})


# --- defaults --------------------------------------------------------------------------------


def test_the_defaults_are_sensible_and_pass_the_rules(org):
    added = seed_default_statuses(org.company)

    assert _rows(org.company) == DEFAULTS
    assert [status.code for status in added] == [row[0] for row in DEFAULTS]
    for status in added:
        status.full_clean()
    assert {default.category for default in DEFAULT_STATUSES} == set(StatusCategory.values)


def test_seeding_again_adds_nothing_and_keeps_what_people_changed(org):
    seed_default_statuses(org.company)
    Status.objects.filter(company=org.company, code="NA").update(
        label="Nobody home", retry_after_minutes=90
    )
    Status.objects.filter(company=org.company, code="WN").update(is_active=False)

    added = seed_default_statuses(org.company)

    assert added == []
    assert Status.objects.filter(company=org.company).count() == 11
    no_answer = Status.objects.get(company=org.company, code="NA")
    assert (no_answer.label, no_answer.retry_after_minutes) == ("Nobody home", 90)
    assert Status.objects.get(company=org.company, code="WN").is_active is False


def test_seeding_adds_only_the_missing_defaults_whatever_the_case_of_codes(org):
    _status(org.company, "sale", label="Vânzare", category=StatusCategory.SALE)

    added = seed_default_statuses(org.company)

    assert len(added) == 10
    assert list(
        Status.objects.filter(company=org.company, code__iexact="sale").values_list("code", "label")
    ) == [("sale", "Vânzare")]


def test_each_company_gets_its_own_defaults(org):
    seed_default_statuses(org.company)
    seed_default_statuses(org.other_company)

    assert Status.objects.filter(company=org.other_company).count() == 11
    assert Status.objects.filter(company=org.company).count() == 11


def test_labels_are_written_in_the_active_language(org):
    with translation.override("ro"):
        seed_default_statuses(org.company)

    english = [row[1] for row in DEFAULTS]
    labels = list(
        Status.objects.filter(company=org.company).order_by("order").values_list("label", flat=True)
    )
    assert len(labels) == 11
    # Whatever the catalogue holds, the label is the translation of the English one.
    with translation.override("ro"):
        assert labels == [translation.gettext(label) for label in english]


def test_ensure_seeds_only_a_company_without_any_status(org):
    _status(org.company, "OWN")

    assert ensure_default_statuses(org.company) == []
    assert len(ensure_default_statuses(org.other_company)) == 11
    assert ensure_default_statuses(org.other_company) == []
    assert ensure_default_statuses(None) == []
    assert Status.objects.filter(company=org.company).count() == 1


def test_the_list_screen_seeds_the_persons_company_on_first_visit(org, client_for):
    response = client_for(org[Role.AGENT]).get("/campaigns/statuses/")

    assert response.status_code == 200
    assert Status.objects.filter(company=org.company).count() == 11
    assert not Status.objects.filter(company=org.other_company).exists()
    page = response.content.decode()
    assert "Answering machine" in page
    # Not by the agent: the seed is the system's; one entry says it happened.
    assert not AuditEntry.objects.filter(object_type="campaigns.status").exists()
    entry = AuditEntry.objects.get(summary__startswith="default statuses added")
    assert (entry.action, entry.staff, entry.company) == (
        AuditAction.CREATE,
        org[Role.AGENT],
        org.company,
    )


def test_the_api_seeds_on_first_listing(org, client_for):
    response = _api(client_for(org[Role.QUALITY]), "get", "statuses")

    assert response.status_code == 200
    assert [item["code"] for item in response.json()["items"]] == [row[0] for row in DEFAULTS]
    assert response.json()["items"][4] == {
        "id": Status.objects.get(company=org.company, code="NA").pk,
        "company_id": org.company.pk,
        "code": "NA",
        "label": "No answer",
        "category": "no_answer",
        "is_final": False,
        "retry_after_minutes": 60,
        "is_agent_selectable": True,
        "order": 50,
        "is_active": True,
    }


def test_the_api_filters_by_meaning_and_searches(org, client_for):
    client = client_for(org[Role.BACK_OFFICE])

    retried = _api(client, "get", "statuses?category=busy").json()["items"]
    found = _api(client, "get", "statuses?q=machine").json()["items"]

    assert [item["code"] for item in retried] == ["B"]
    assert [item["code"] for item in found] == ["AM"]


# --- rules -----------------------------------------------------------------------------------


GOOD = {"code": "XY", "label": "Moved away", "category": "wrong_number", "is_final": True}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"is_final": True, "retry_after_minutes": 30},
            "retry_after_minutes",
            "A final status is not retried: leave this empty.",
        ),
        (
            {"category": "no_answer", "is_final": False},
            "retry_after_minutes",
            "Say after how many minutes the number is called again.",
        ),
        (
            {"category": "sale", "is_final": False, "retry_after_minutes": 60},
            "is_final",
            "This kind of status must be final.",
        ),
        (
            {"category": "do_not_call", "is_final": False, "retry_after_minutes": 60},
            "is_final",
            "This kind of status must be final.",
        ),
        (
            {"category": "busy", "is_final": False, "retry_after_minutes": 0},
            "retry_after_minutes",
            "Give 1 to 43200 minutes (30 days).",
        ),
        (
            {"category": "busy", "is_final": False, "retry_after_minutes": 43201},
            "retry_after_minutes",
            "Give 1 to 43200 minutes (30 days).",
        ),
        ({"code": "na"}, "code", "A status with this code exists already."),
        ({"code": "N A"}, "code", "String should match pattern '^[-a-zA-Z0-9_]+$'"),
        ({"label": ""}, "label", "String should have at least 1 character"),
        ({"category": "maybe"}, "category", None),
    ],
    ids=[
        "final-with-retry",
        "retried-without-delay",
        "sale-not-final",
        "dnc-not-final",
        "zero-minutes",
        "over-30-days",
        "duplicate-code",
        "code-with-space",
        "no-label",
        "unknown-meaning",
    ],
)
def test_status_rules_through_the_api(org, client_for, changes, field, message):
    _status(
        org.company, "NA", category=StatusCategory.NO_ANSWER, is_final=False, retry_after_minutes=60
    )

    response = _api(client_for(org[Role.BACK_OFFICE]), "post", "statuses", {**GOOD, **changes})

    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert [item["field"] for item in detail] == [field]
    if message is not None:
        assert detail[0]["message"] == message
    assert Status.objects.filter(company=org.company).count() == 1


def test_a_callback_needs_no_retry_delay(org, client_for):
    response = _api(
        client_for(org[Role.BACK_OFFICE]),
        "post",
        "statuses",
        {"code": "cb2", "label": " Call me later ", "category": "callback"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["label"], body["is_final"], body["retry_after_minutes"]) == (
        "CB2",
        "Call me later",
        False,
        None,
    )


def test_the_form_shows_the_rule_next_to_the_field_and_saves_nothing(org, client_for):
    response = client_for(org[Role.BACK_OFFICE]).post(
        "/campaigns/statuses/add/",
        {
            "company": org.company.pk,
            "code": "LATER",
            "label": "Later",
            "category": "no_answer",
            "order": 100,
            "is_agent_selectable": "on",
        },
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "retry_after_minutes": ["Say after how many minutes the number is called again."]
    }
    assert not Status.objects.exists()


def test_the_form_adds_a_status_with_the_code_in_capitals(org, client_for):
    response = client_for(org[Role.BACK_OFFICE]).post(
        "/campaigns/statuses/add/",
        {
            "company": org.company.pk,
            "code": "later",
            "label": "Later",
            "category": "no_answer",
            "retry_after_minutes": 240,
            "order": 45,
            "is_agent_selectable": "on",
        },
    )

    assert response.status_code == 302
    status = Status.objects.get()
    assert (status.code, status.company, status.retry_after_minutes, status.is_final) == (
        "LATER",
        org.company,
        240,
        False,
    )
    entry = AuditEntry.objects.get(object_type="campaigns.status")
    assert (entry.action, entry.staff) == (AuditAction.CREATE, org[Role.BACK_OFFICE])


def test_editing_is_audited_with_before_and_after(org, client_for):
    status = _status(
        org.company, "NA", category=StatusCategory.NO_ANSWER, is_final=False, retry_after_minutes=60
    )

    response = _api(
        client_for(org[Role.MANAGER]),
        "patch",
        f"statuses/{status.pk}",
        {"code": "NA", "label": "No answer", "category": "no_answer", "retry_after_minutes": 45},
    )

    assert response.status_code == 200
    entry = AuditEntry.objects.get(object_type="campaigns.status", action=AuditAction.UPDATE)
    assert entry.changes == {"label": ["NA", "No answer"], "retry_after_minutes": [60, 45]}


def test_a_status_stays_with_its_company(org, client_for):
    status = _status(org.company)

    response = _api(
        client_for(org[Role.ADMINISTRATOR]),
        "patch",
        f"statuses/{status.pk}",
        {**GOOD, "company_id": org.other_company.pk},
    )

    assert response.status_code == 404
    status.refresh_from_db()
    assert status.company == org.company


# --- permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", EDITORS)
def test_editors_add_change_and_deactivate_statuses(org, client_for, role):
    client = client_for(org[role])

    added = _api(client, "post", "statuses", GOOD)
    status_id = added.json()["id"]
    changed = _api(client, "patch", f"statuses/{status_id}", {**GOOD, "label": "Gone"})
    removed = _api(client, "delete", f"statuses/{status_id}")

    assert (added.status_code, changed.status_code, removed.status_code) == (201, 200, 200)
    status = Status.objects.get(pk=status_id)
    assert (status.company, status.label, status.is_active) == (org.company, "Gone", False)


@pytest.mark.parametrize("role", NOT_EDITORS)
def test_others_may_not_change_statuses_and_nothing_changes(org, client_for, role):
    status = _status(org.company)
    client = client_for(org[role])

    added = _api(client, "post", "statuses", {**GOOD, "code": "NEW"})
    changed = _api(client, "patch", f"statuses/{status.pk}", {**GOOD, "label": "Mine"})
    removed = _api(client, "delete", f"statuses/{status.pk}")
    form_add = client.get("/campaigns/statuses/add/")
    form_edit = client.post(f"/campaigns/statuses/{status.pk}/", {**GOOD, "label": "Mine"})
    form_remove = client.post(f"/campaigns/statuses/{status.pk}/deactivate/")

    assert [r.status_code for r in (added, changed, removed, form_add, form_edit, form_remove)] == [
        403
    ] * 6
    status.refresh_from_db()
    assert (status.label, status.is_active) == ("XY", True)
    assert Status.objects.count() == 1


@pytest.mark.parametrize("role", EDITORS + NOT_EDITORS)
def test_everyone_in_the_company_sees_the_statuses(org, client_for, role):
    status = _status(org.company)
    client = client_for(org[role])

    assert client.get("/campaigns/statuses/").status_code == 200
    assert _api(client, "get", f"statuses/{status.pk}").status_code == 200
    assert [item["code"] for item in _api(client, "get", "statuses").json()["items"]] == ["XY"]


def test_another_company_sees_nothing_and_changes_nothing(org, client_for):
    status = _status(org.company)
    client = client_for(org["other_admin"])

    listed = _api(client, "get", "statuses").json()["items"]
    responses = [
        _api(client, "get", f"statuses/{status.pk}"),
        _api(client, "patch", f"statuses/{status.pk}", {**GOOD, "label": "Mine"}),
        _api(client, "delete", f"statuses/{status.pk}"),
        client.get(f"/campaigns/statuses/{status.pk}/"),
        client.post(f"/campaigns/statuses/{status.pk}/deactivate/"),
    ]

    assert "XY" not in [item["code"] for item in listed]
    assert [response.status_code for response in responses] == [404] * 5
    status.refresh_from_db()
    assert (status.label, status.is_active) == ("XY", True)


def test_the_edit_screen_opens_for_editors_only(org, client_for):
    status = _status(org.company)

    assert (
        client_for(org[Role.BACK_OFFICE]).get(f"/campaigns/statuses/{status.pk}/").status_code
        == 200
    )
    assert client_for(org[Role.AGENT]).get(f"/campaigns/statuses/{status.pk}/").status_code == 403


def test_signed_out_callers_are_refused(db, client):
    assert client.get("/api/campaigns/statuses").status_code == 401
    assert client.get("/campaigns/statuses/").status_code == 302


# --- deactivating and choosing ---------------------------------------------------------------


def _running_campaign(org, *statuses):
    campaign = Campaign.objects.create(
        client=Client.objects.create(company=org.company, name="Energia SA"),
        location=org.north,
        name="Winter offer",
        state=CampaignState.RUNNING,
    )
    campaign.statuses.set(statuses)
    return campaign


def test_a_status_of_a_running_campaign_cannot_be_deactivated(org, client_for):
    status = _status(org.company)
    _running_campaign(org, status)

    response = _api(client_for(org[Role.BACK_OFFICE]), "delete", f"statuses/{status.pk}")
    form = client_for(org[Role.BACK_OFFICE]).post(f"/campaigns/statuses/{status.pk}/deactivate/")

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "field": None,
            "message": "Running campaigns use this status: Winter offer. Pause or stop them first.",
        }
    ]
    assert form.status_code == 302
    assert form["Location"] == f"/campaigns/statuses/{status.pk}/"
    status.refresh_from_db()
    assert status.is_active is True


def test_agents_choose_among_active_selectable_statuses(org):
    seed_default_statuses(org.company)
    Status.objects.filter(company=org.company, code="WN").update(is_active=False)

    codes = [status.code for status in selectable_statuses(org.company)]

    assert codes == ["SALE", "POSITIVE", "NI", "CB", "NA", "B", "AM", "DNC"]


def test_a_campaign_with_its_own_set_offers_only_that_set(org):
    seed_default_statuses(org.company)
    chosen = Status.objects.filter(company=org.company, code__in=["SALE", "NI", "AB"])
    campaign = _running_campaign(org, *chosen)

    codes = [status.code for status in selectable_statuses(org.company, campaign)]

    assert codes == ["SALE", "NI"]


def test_the_seed_is_not_logged_per_status_even_inside_a_request(org):
    with audit.acting_as(audit.Actor(staff_id=org[Role.BACK_OFFICE].pk)):
        seed_default_statuses(org.company)

    assert not AuditEntry.objects.filter(object_type="campaigns.status").exists()
    assert AuditEntry.objects.get().summary == (
        "default statuses added: SALE, POSITIVE, NI, CB, NA, B, AM, WN, DNC, AB, FAIL"
    )
