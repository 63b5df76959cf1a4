"""Work sheets through the service, the screens and the API: versions, permissions, audit."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dialcrm.campaigns.choices import CampaignState
from dialcrm.campaigns.models import Campaign, Client, WorkSheet, WorkSheetVersion
from dialcrm.campaigns.worksheets import save_work_sheet, validate_answers
from dialcrm.core import audit
from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import AuditEntry

ENERGY = {
    "groups": [
        {
            "title": "Customer",
            "fields": [
                {"key": "name", "label": "Full name", "kind": "text", "required": True},
                {"key": "phone", "label": "Phone", "kind": "phone"},
            ],
        },
        {
            "title": "Offer",
            "fields": [
                {"key": "plan", "label": "Plan", "kind": "choice", "choices": ["Basic", "Plus"]},
            ],
        },
    ]
}
# The same sheet with one more field and a choice renamed.
ENERGY_V2 = {
    "groups": [
        ENERGY["groups"][0],
        {
            "title": "Offer",
            "fields": [
                {"key": "plan", "label": "Plan", "kind": "choice", "choices": ["Basic", "Max"]},
                {"key": "kwh", "label": "Consumption", "kind": "number", "min": 0},
            ],
        },
    ]
}
EDITORS = [Role.ADMINISTRATOR, Role.MANAGER, Role.BACK_OFFICE]
NOT_EDITORS = [
    Role.HUMAN_RESOURCES,
    Role.LOCATION_MANAGER,
    Role.TEAM_LEADER,
    Role.AGENT,
    Role.QUALITY,
]
EVERY_ROLE = EDITORS + NOT_EDITORS


def _api(client, method, path, payload=None):
    call = getattr(client, method)
    if payload is None:
        return call(f"/api/campaigns/{path}")
    return call(f"/api/campaigns/{path}", json.dumps(payload), content_type="application/json")


@pytest.fixture
def sheet(org):
    """ "Energy offer" at version 1, saved by the back office."""
    with audit.acting_as(audit.Actor(staff_id=org[Role.BACK_OFFICE].pk)):
        return save_work_sheet(
            org[Role.BACK_OFFICE],
            WorkSheet(),
            {"company": org.company, "name": "Energy offer"},
            ENERGY,
        ).sheet


# --- the service: versions -------------------------------------------------------------------


def test_a_new_sheet_starts_at_version_one(org, sheet):
    [version] = sheet.versions.all()

    assert (version.number, version.created_by) == (1, org[Role.BACK_OFFICE])
    assert version.definition["groups"][1]["fields"][0]["choices"] == ["Basic", "Plus"]


def test_a_changed_definition_makes_the_next_version_and_leaves_the_first_intact(org, sheet):
    first = sheet.current_version
    given_on_first = validate_answers(first, {"name": "Ana", "plan": "Plus"})

    result = save_work_sheet(org[Role.MANAGER], sheet, {}, ENERGY_V2)

    assert (result.version.number, result.is_new_version) == (2, True)
    assert result.version.created_by == org[Role.MANAGER]
    first.refresh_from_db()
    assert first.definition["groups"][1]["fields"][0]["choices"] == ["Basic", "Plus"]
    assert validate_answers(first, {"name": "Ana", "plan": "Plus"}) == given_on_first
    with pytest.raises(ValidationError) as caught:
        validate_answers(result.version, {"name": "Ana", "plan": "Plus"})
    assert caught.value.message_dict == {"plan": ['"Plus" is not one of the options.']}


def test_saving_the_same_fields_makes_no_version(org, sheet):
    result = save_work_sheet(org[Role.BACK_OFFICE], sheet, {"name": "Energy offer 2026"}, ENERGY)

    assert (result.version.number, result.is_new_version) == (1, False)
    assert WorkSheetVersion.objects.filter(sheet=sheet).count() == 1
    sheet.refresh_from_db()
    assert sheet.name == "Energy offer 2026"


def test_the_same_fields_written_differently_are_the_same_version(org, sheet):
    spelled_out = json.loads(json.dumps(ENERGY))
    spelled_out["groups"][0]["title"] = "  Customer "
    spelled_out["groups"][0]["fields"][0].update(help="", pattern="", max_length=None)

    result = save_work_sheet(org[Role.BACK_OFFICE], sheet, {}, spelled_out)

    assert result.is_new_version is False


def test_no_definition_keeps_the_fields(org, sheet):
    result = save_work_sheet(org[Role.BACK_OFFICE], sheet, {"description": "Winter"}, None)

    assert (result.version.number, result.is_new_version) == (1, False)


def test_reverting_to_earlier_fields_is_a_new_version_too(org, sheet):
    save_work_sheet(org[Role.BACK_OFFICE], sheet, {}, ENERGY_V2)
    result = save_work_sheet(org[Role.BACK_OFFICE], sheet, {}, ENERGY)

    assert result.version.number == 3
    assert list(sheet.versions.values_list("number", flat=True)) == [3, 2, 1]


def test_a_new_sheet_needs_fields(org):
    with pytest.raises(ValidationError) as caught:
        save_work_sheet(org[Role.BACK_OFFICE], WorkSheet(), {"company": org.company, "name": "X"})

    assert caught.value.message_dict == {"definition": ["Add at least one group with a field."]}
    assert not WorkSheet.objects.exists()


def test_a_bad_definition_and_a_taken_name_are_reported_together_and_nothing_is_saved(org, sheet):
    with pytest.raises(ValidationError) as caught:
        save_work_sheet(
            org[Role.BACK_OFFICE],
            WorkSheet(),
            {"company": org.company, "name": "ENERGY OFFER"},
            {"groups": [{"title": "A", "fields": []}]},
        )

    assert caught.value.message_dict == {
        "name": ["A work sheet with this name exists already."],
        "definition": ['Group 1 "A": add at least one field, or remove the group.'],
    }
    assert WorkSheet.objects.count() == 1


def test_a_sheet_stays_with_its_company(org, sheet):
    with pytest.raises(ValidationError) as caught:
        save_work_sheet(org[Role.ADMINISTRATOR], sheet, {"company": org.other_company}, None)

    assert caught.value.message_dict == {"company": ["A work sheet stays with its company."]}


def test_the_service_checks_permission_itself(org, sheet):
    with pytest.raises(PermissionDenied):
        save_work_sheet(org[Role.AGENT], sheet, {}, ENERGY_V2)
    with pytest.raises(PermissionDenied):
        save_work_sheet(org[Role.LOCATION_MANAGER], WorkSheet(), {"company": org.company}, ENERGY)

    assert WorkSheetVersion.objects.count() == 1


def test_a_new_version_is_audited_with_who_and_which_company(org, sheet, client_for):
    response = _api(
        client_for(org[Role.MANAGER]),
        "patch",
        f"worksheets/{sheet.pk}",
        {"name": "Energy offer", "definition": ENERGY_V2},
    )

    assert response.status_code == 200
    entry = AuditEntry.objects.get(
        object_type="campaigns.worksheetversion", object_repr="Energy offer v2"
    )
    assert (entry.action, entry.staff, entry.company) == (
        AuditAction.CREATE,
        org[Role.MANAGER],
        org.company,
    )
    assert entry.changes == {
        "number": [None, 2],
        "fields": [None, ["name", "phone", "plan", "kwh"]],
    }
    assert entry.object_repr == "Energy offer v2"


# --- the API ---------------------------------------------------------------------------------


def test_the_api_creates_a_sheet_and_returns_its_current_fields(org, client_for):
    response = _api(
        client_for(org[Role.BACK_OFFICE]),
        "post",
        "worksheets",
        {"name": "Energy offer", "description": "Winter", "definition": ENERGY},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    sheet = WorkSheet.objects.get()
    assert body["id"] == sheet.pk
    assert (body["company_id"], body["name"], body["version"]) == (
        org.company.pk,
        "Energy offer",
        1,
    )
    assert body["definition"] == sheet.current_version.definition
    assert body["definition"]["groups"][0]["fields"][1] == {
        "key": "phone",
        "label": "Phone",
        "kind": "phone",
        "required": False,
        "help": "",
    }
    assert AuditEntry.objects.filter(
        object_type="campaigns.worksheet", action=AuditAction.CREATE, staff=org[Role.BACK_OFFICE]
    ).exists()


def test_the_api_lists_versions_and_shows_an_old_one(org, sheet, client_for):
    client = client_for(org[Role.BACK_OFFICE])
    _api(
        client, "patch", f"worksheets/{sheet.pk}", {"name": "Energy offer", "definition": ENERGY_V2}
    )

    versions = _api(client, "get", f"worksheets/{sheet.pk}/versions").json()
    first = _api(client, "get", f"worksheets/{sheet.pk}/versions/1").json()
    current = _api(client, "get", f"worksheets/{sheet.pk}").json()
    missing = _api(client, "get", f"worksheets/{sheet.pk}/versions/9")

    assert [(v["number"], v["field_count"], v["created_by_id"]) for v in versions] == [
        (2, 4, org[Role.BACK_OFFICE].pk),
        (1, 3, org[Role.BACK_OFFICE].pk),
    ]
    assert first["definition"]["groups"][1]["fields"][0]["choices"] == ["Basic", "Plus"]
    assert current["version"] == 2
    assert missing.status_code == 404
    assert missing.json() == {"detail": "This work sheet has no version 9."}


def test_a_patch_without_definition_keeps_the_fields(org, sheet, client_for):
    response = _api(
        client_for(org[Role.BACK_OFFICE]), "patch", f"worksheets/{sheet.pk}", {"name": "Renamed"}
    )

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["version"]) == ("Renamed", 1)


@pytest.mark.parametrize(
    ("definition", "messages"),
    [
        (None, ["Add at least one group with a field."]),
        ([], ["A work sheet must be an object with a list of groups."]),
        (
            {"groups": [{"title": "A", "fields": [{"label": "X", "kind": "slider"}]}]},
            [
                'Group 1 "A", field 1 "X": the kind "slider" is unknown; use one of: text, '
                "long_text, number, date, choice, multi_choice, yes_no, phone, email."
            ],
        ),
    ],
)
def test_the_api_refuses_bad_definitions_with_422(org, client_for, definition, messages):
    response = _api(
        client_for(org[Role.BACK_OFFICE]),
        "post",
        "worksheets",
        {"name": "Broken", "definition": definition},
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"field": "definition", "message": message} for message in messages]
    }
    assert not WorkSheet.objects.exists()


@pytest.mark.parametrize("role", EDITORS)
def test_editors_add_sheets(org, client_for, role):
    response = _api(
        client_for(org[role]), "post", "worksheets", {"name": "New", "definition": ENERGY}
    )

    assert response.status_code == 201
    assert WorkSheet.objects.get().company == org.company


@pytest.mark.parametrize("role", NOT_EDITORS)
def test_others_may_not_add_or_change_sheets_and_nothing_changes(org, client_for, sheet, role):
    client = client_for(org[role])

    added = _api(client, "post", "worksheets", {"name": "New", "definition": ENERGY})
    changed = _api(
        client, "patch", f"worksheets/{sheet.pk}", {"name": "X", "definition": ENERGY_V2}
    )
    removed = _api(client, "delete", f"worksheets/{sheet.pk}")

    assert (added.status_code, changed.status_code, removed.status_code) == (403, 403, 403)
    sheet.refresh_from_db()
    assert (sheet.name, sheet.is_active, WorkSheet.objects.count()) == ("Energy offer", True, 1)
    assert WorkSheetVersion.objects.count() == 1


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_everyone_in_the_company_sees_the_sheets(org, client_for, sheet, role):
    client = client_for(org[role])

    listed = _api(client, "get", "worksheets").json()["items"]
    one = _api(client, "get", f"worksheets/{sheet.pk}")
    versions = _api(client, "get", f"worksheets/{sheet.pk}/versions")

    assert [item["name"] for item in listed] == ["Energy offer"]
    assert (one.status_code, versions.status_code) == (200, 200)


def test_another_company_sees_nothing_and_changes_nothing(org, client_for, sheet):
    client = client_for(org["other_admin"])

    listed = _api(client, "get", "worksheets").json()["items"]
    responses = [
        _api(client, "get", f"worksheets/{sheet.pk}"),
        _api(client, "get", f"worksheets/{sheet.pk}/versions"),
        _api(client, "get", f"worksheets/{sheet.pk}/versions/1"),
        _api(client, "patch", f"worksheets/{sheet.pk}", {"name": "Mine", "definition": ENERGY_V2}),
        _api(client, "delete", f"worksheets/{sheet.pk}"),
    ]

    assert listed == []
    assert [response.status_code for response in responses] == [404] * 5
    sheet.refresh_from_db()
    assert (sheet.name, sheet.is_active, sheet.versions.count()) == ("Energy offer", True, 1)


def test_another_company_cannot_be_named_when_adding(org, client_for):
    response = _api(
        client_for(org[Role.BACK_OFFICE]),
        "post",
        "worksheets",
        {"company_id": org.other_company.pk, "name": "Theirs", "definition": ENERGY},
    )

    assert response.status_code == 404
    assert not WorkSheet.objects.exists()


def test_signed_out_callers_get_401(db, client):
    assert client.get("/api/campaigns/worksheets").status_code == 401


# --- deactivating ----------------------------------------------------------------------------


def test_a_sheet_in_a_running_campaign_cannot_be_deactivated(org, client_for, sheet):
    campaign_client = Client.objects.create(company=org.company, name="Energia SA")
    Campaign.objects.create(
        client=campaign_client,
        location=org.north,
        name="Winter offer",
        work_sheet=sheet,
        state=CampaignState.RUNNING,
    )

    response = _api(client_for(org[Role.BACK_OFFICE]), "delete", f"worksheets/{sheet.pk}")

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "field": None,
                "message": "Running campaigns use this work sheet: Winter offer. Pause or stop "
                "them first.",
            }
        ]
    }
    sheet.refresh_from_db()
    assert sheet.is_active is True


def test_deactivating_keeps_the_versions(org, client_for, sheet):
    response = _api(client_for(org[Role.BACK_OFFICE]), "delete", f"worksheets/{sheet.pk}")

    assert (response.status_code, response.json()["is_active"]) == (200, False)
    assert sheet.versions.count() == 1


# --- the screens -----------------------------------------------------------------------------


def _form(client, path, definition, **fields):
    data = {"name": "Energy offer", "description": "", **fields}
    data["definition"] = definition if isinstance(definition, str) else json.dumps(definition)
    return client.post(path, data)


def test_the_builder_page_starts_with_an_empty_group(org, client_for):
    response = client_for(org[Role.BACK_OFFICE]).get("/campaigns/worksheets/add/")

    assert response.status_code == 200
    assert response.context["builder"]["definition"] == {"groups": [{"title": "", "fields": []}]}
    assert [kind for kind, _label in response.context["builder"]["kinds"]] == [
        "text",
        "long_text",
        "number",
        "date",
        "choice",
        "multi_choice",
        "yes_no",
        "phone",
        "email",
    ]
    page = response.content.decode()
    assert 'id="worksheet-builder-config"' in page
    assert "campaigns/worksheet-builder.js" in page
    assert 'x-bind:value="serialized"' in page


def test_the_builder_form_saves_a_sheet_at_version_one(org, client_for):
    response = _form(
        client_for(org[Role.BACK_OFFICE]),
        "/campaigns/worksheets/add/",
        ENERGY,
        company=org.company.pk,
    )

    assert response.status_code == 302
    assert response["Location"] == "/campaigns/worksheets/"
    sheet = WorkSheet.objects.get()
    assert (sheet.company, sheet.current_version.number) == (org.company, 1)


def test_the_company_is_the_persons_own_when_they_see_only_one(org, client_for):
    page = client_for(org[Role.BACK_OFFICE]).get("/campaigns/worksheets/add/").content.decode()

    assert f'<input type="hidden" name="company" value="{org.company.pk}"' in page


def test_the_builder_form_shows_every_problem_and_keeps_what_was_typed(org, client_for):
    broken = {
        "groups": [
            {"title": "Customer", "fields": [{"key": "name", "label": "Name", "kind": "text"}]},
            {"title": "Offer", "fields": [{"key": "name", "label": "Plan", "kind": "choice"}]},
        ]
    }

    response = _form(
        client_for(org[Role.BACK_OFFICE]),
        "/campaigns/worksheets/add/",
        broken,
        company=org.company.pk,
    )

    assert response.status_code == 422
    assert response.context["definition_errors"] == [
        'Group 2 "Offer", field 1 "Plan": the key "name" is used by another field; keys must be '
        "unique in the sheet.",
        'Group 2 "Offer", field 1 "Plan": give the choices to pick from.',
    ]
    assert response.context["builder"]["definition"] == broken
    assert 'data-testid="definition-errors"' in response.content.decode()
    assert not WorkSheet.objects.exists()


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ("{not json", "The work sheet's fields could not be read (not valid JSON)."),
        ("[1, 2]", "A work sheet must be an object with a list of groups."),
        ("", "Add at least one group with a field."),
    ],
)
def test_the_builder_form_refuses_what_is_not_a_definition(org, client_for, posted, message):
    response = _form(
        client_for(org[Role.BACK_OFFICE]),
        "/campaigns/worksheets/add/",
        posted,
        company=org.company.pk,
    )

    assert response.status_code == 422
    assert response.context["definition_errors"] == [message]
    assert not WorkSheet.objects.exists()


def test_editing_shows_the_history_and_makes_version_two(org, client_for, sheet):
    client = client_for(org[Role.BACK_OFFICE])

    page = client.get(f"/campaigns/worksheets/{sheet.pk}/")
    saved = _form(client, f"/campaigns/worksheets/{sheet.pk}/", ENERGY_V2)
    after = client.get(f"/campaigns/worksheets/{sheet.pk}/")

    assert page.status_code == 200
    assert page.context["builder"]["definition"] == sheet.versions.get(number=1).definition
    assert [version.number for version in page.context["versions"]] == [1]
    assert saved.status_code == 302
    assert [version.number for version in after.context["versions"]] == [2, 1]
    assert after.context["builder"]["definition"]["groups"][1]["fields"][1]["key"] == "kwh"
    messages = [str(message) for message in after.context["messages"]]
    assert messages == ["The fields are saved as version 2.", "Saved Energy offer."]


def test_editing_can_start_from_an_earlier_version(org, client_for, sheet):
    save_work_sheet(org[Role.BACK_OFFICE], sheet, {}, ENERGY_V2)

    page = client_for(org[Role.BACK_OFFICE]).get(
        f"/campaigns/worksheets/{sheet.pk}/?from_version=1"
    )

    assert page.context["builder"]["definition"] == sheet.versions.get(number=1).definition


def test_an_old_version_is_shown_read_only_to_anyone_in_the_company(org, client_for, sheet):
    save_work_sheet(org[Role.BACK_OFFICE], sheet, {}, ENERGY_V2)

    response = client_for(org[Role.AGENT]).get(f"/campaigns/worksheets/{sheet.pk}/versions/1/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<fieldset class="worksheet-group mb-3" disabled' in page
    assert 'name="ws_plan"' in page
    assert '<option value="Plus">Plus</option>' in page
    assert 'name="ws_kwh"' not in page
    assert response.context["restore_url"] is None
    assert response.context["edit_url"] is None


def test_an_editor_can_restore_an_old_version_from_its_page(org, client_for, sheet):
    save_work_sheet(org[Role.BACK_OFFICE], sheet, {}, ENERGY_V2)

    response = client_for(org[Role.BACK_OFFICE]).get(
        f"/campaigns/worksheets/{sheet.pk}/versions/1/"
    )

    assert response.context["restore_url"] == f"/campaigns/worksheets/{sheet.pk}/?from_version=1"


def test_the_list_links_editors_to_the_builder_and_others_to_the_current_version(
    org, client_for, sheet
):
    for_editor = client_for(org[Role.BACK_OFFICE]).get("/campaigns/worksheets/").content.decode()
    for_agent = client_for(org[Role.AGENT]).get("/campaigns/worksheets/").content.decode()

    assert f'href="/campaigns/worksheets/{sheet.pk}/"' in for_editor
    assert f'href="/campaigns/worksheets/{sheet.pk}/versions/1/"' in for_agent
    assert f'href="/campaigns/worksheets/{sheet.pk}/"' not in for_agent
    assert 'data-testid="add"' in for_editor
    assert 'data-testid="add"' not in for_agent


@pytest.mark.parametrize(
    ("role", "add", "edit", "version"),
    [
        (Role.ADMINISTRATOR, 200, 200, 200),
        (Role.MANAGER, 200, 200, 200),
        (Role.BACK_OFFICE, 200, 200, 200),
        (Role.HUMAN_RESOURCES, 403, 403, 200),
        (Role.LOCATION_MANAGER, 403, 403, 200),
        (Role.TEAM_LEADER, 403, 403, 200),
        (Role.AGENT, 403, 403, 200),
        (Role.QUALITY, 403, 403, 200),
        ("other_admin", 200, 404, 404),
    ],
)
def test_who_opens_which_screen(org, client_for, sheet, role, add, edit, version):
    client = client_for(org[role])

    assert client.get("/campaigns/worksheets/").status_code == 200
    assert client.get("/campaigns/worksheets/add/").status_code == add
    assert client.get(f"/campaigns/worksheets/{sheet.pk}/").status_code == edit
    assert client.get(f"/campaigns/worksheets/{sheet.pk}/versions/1/").status_code == version


@pytest.mark.parametrize("role", [Role.AGENT, Role.LOCATION_MANAGER, "other_admin"])
def test_refused_form_posts_change_nothing(org, client_for, sheet, role):
    client = client_for(org[role])

    added = _form(client, "/campaigns/worksheets/add/", ENERGY, company=org.company.pk)
    edited = _form(client, f"/campaigns/worksheets/{sheet.pk}/", ENERGY_V2, name="Mine")
    deactivated = client.post(f"/campaigns/worksheets/{sheet.pk}/deactivate/")

    # Another company's administrator may add sheets, but only to their own company.
    expected = (422, 404, 404) if role == "other_admin" else (403, 403, 403)
    assert (added.status_code, edited.status_code, deactivated.status_code) == expected
    sheet.refresh_from_db()
    assert (sheet.name, sheet.is_active, WorkSheet.objects.count()) == ("Energy offer", True, 1)
    assert WorkSheetVersion.objects.count() == 1


def test_a_missing_version_is_404(org, client_for, sheet):
    response = client_for(org[Role.AGENT]).get(f"/campaigns/worksheets/{sheet.pk}/versions/7/")

    assert response.status_code == 404


def test_signed_out_people_are_sent_to_sign_in(db, client):
    response = client.get("/campaigns/worksheets/")

    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_the_demo_company_has_the_statuses_and_an_energy_offer_sheet(db):
    from dialcrm.core.demo import seed_demo_company

    company = seed_demo_company()
    seed_demo_company()

    sheet = WorkSheet.objects.get(company=company)
    assert (sheet.name, sheet.versions.count()) == ("Energy offer", 1)
    assert [group["title"] for group in sheet.current_version.definition["groups"]] == [
        "Customer",
        "Offer",
    ]
    assert company.statuses.count() == 11
