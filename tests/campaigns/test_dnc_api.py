"""The do-not-call API: lists, numbers, the dialer's check and imports of numbers."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dialcrm.campaigns import dnc
from dialcrm.campaigns.choices import DncKind
from dialcrm.campaigns.models import DncImportJob, DncList, DncNumber
from dialcrm.core.choices import Role
from dialcrm.core.worker import run_pending_jobs


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def national(org):
    return DncList.objects.create(company=org.company, name="National register")


@pytest.fixture
def manager(org, client_for):
    return client_for(org[Role.LOCATION_MANAGER])


def post_json(api, url, data):
    return api.post(url, json.dumps(data), content_type="application/json")


def test_lists_are_created_changed_and_deactivated(org, manager):
    created = post_json(
        manager, "/api/campaigns/dnc-lists", {"company_id": org.company.pk, "name": "ANCOM"}
    )
    list_id = created.json()["id"]
    internal = post_json(
        manager,
        "/api/campaigns/dnc-lists",
        {"company_id": org.company.pk, "name": "Mine", "kind": "internal"},
    )
    second_internal = post_json(
        manager,
        "/api/campaigns/dnc-lists",
        {"company_id": org.company.pk, "name": "Theirs", "kind": "internal"},
    )
    deactivated = manager.delete(f"/api/campaigns/dnc-lists/{list_id}")

    assert created.status_code == 201
    assert created.json()["kind"] == DncKind.IMPORTED
    assert internal.status_code == 201
    assert second_internal.status_code == 422
    assert second_internal.json() == {
        "detail": [
            {
                "field": "kind",
                "message": "This company has its internal list already: add numbers to it.",
            }
        ]
    }
    assert deactivated.json()["is_active"] is False
    assert DncList.objects.filter(kind=DncKind.INTERNAL).count() == 1


def test_numbers_are_added_listed_and_removed(manager, national):
    url = f"/api/campaigns/dnc-lists/{national.pk}/numbers"

    added = post_json(manager, url, {"number": "0722 123 456"})
    again = post_json(manager, url, {"number": "+40722123456"})
    invalid = post_json(manager, url, {"number": "07x1"})
    listed = manager.get(url, {"q": "0722123456"}).json()
    removed = manager.delete(f"{url}/+40722123456")
    missing = manager.delete(f"{url}/+40722123456")

    assert (added.status_code, added.json()) == (201, {"number": "+40722123456", "added": True})
    assert (again.status_code, again.json()["added"]) == (200, False)
    assert invalid.status_code == 422
    assert invalid.json() == {
        "detail": [{"field": "number", "message": "'07x1' is not a valid number for RO."}]
    }
    assert [item["number"] for item in listed["items"]] == ["+40722123456"]
    assert removed.status_code == 200
    assert missing.status_code == 404
    assert not DncNumber.objects.exists()


def test_the_dialers_check(org, manager, national):
    dnc.add_number(org[Role.LOCATION_MANAGER], national, "0722000001")
    dnc.add_to_internal_dnc(org.company, "+40722000002")

    every_list = post_json(
        manager,
        "/api/campaigns/dnc/check",
        {"numbers": ["0722 000 001", "+40722000002", "0722000003", "bad"]},
    ).json()
    campaign_lists = post_json(
        manager,
        "/api/campaigns/dnc/check",
        {"numbers": ["0722000001", "0722000002"], "dnc_list_ids": []},
    ).json()
    other_company = post_json(
        manager,
        "/api/campaigns/dnc/check",
        {"numbers": ["0722000001"], "company_id": org.other_company.pk},
    )

    assert every_list == {"blocked": ["0722 000 001", "+40722000002"], "invalid": ["bad"]}
    assert campaign_lists == {"blocked": ["0722000002"], "invalid": []}
    assert other_company.status_code == 404


def test_import_numbers_through_the_api(manager, national):
    uploaded = manager.post(
        f"/api/campaigns/dnc-lists/{national.pk}/imports",
        {"file": SimpleUploadedFile("register.csv", b"msisdn\n0722000001\n0722000001\nx\n")},
    )
    job_id = uploaded.json()["id"]

    run_pending_jobs()

    job = manager.get(f"/api/campaigns/dnc-imports/{job_id}").json()
    problems = manager.get(f"/api/campaigns/dnc-imports/{job_id}/problems.csv")
    assert (uploaded.status_code, uploaded.json()["state"], uploaded.json()["column"]) == (
        202,
        "queued",
        "msisdn",
    )
    assert (job["state"], job["imported"], job["duplicates"], job["invalid"]) == ("done", 1, 1, 1)
    assert b"".join(problems.streaming_content).decode("utf-8-sig").splitlines()[1] == (
        "4,msisdn,x,invalid,'x' is not a valid number for RO"
    )


def test_upload_then_start_later(manager, national):
    uploaded = manager.post(
        f"/api/campaigns/dnc-lists/{national.pk}/imports",
        {"file": SimpleUploadedFile("register.csv", b"a,b\n1,0722000001\n"), "start": "false"},
    )
    job_id = uploaded.json()["id"]

    started = post_json(manager, f"/api/campaigns/dnc-imports/{job_id}/start", {"column": "b"})
    run_pending_jobs()

    assert (uploaded.status_code, uploaded.json()["state"]) == (201, "uploaded")
    assert started.status_code == 202
    assert list(DncNumber.objects.values_list("number", flat=True)) == ["+40722000001"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, Role.QUALITY, "other_admin"])
def test_refusals_change_nothing(org, client_for, national, role):
    api = client_for(org[role])

    added = post_json(
        api, f"/api/campaigns/dnc-lists/{national.pk}/numbers", {"number": "0722000001"}
    )
    uploaded = api.post(
        f"/api/campaigns/dnc-lists/{national.pk}/imports",
        {"file": SimpleUploadedFile("register.csv", b"phone\n0722000001\n")},
    )

    assert added.status_code in (403, 404)
    assert uploaded.status_code in (403, 404)
    assert not DncNumber.objects.exists()
    assert not DncImportJob.objects.exists()


def test_agents_cannot_check_numbers(org, client_for):
    response = post_json(
        client_for(org[Role.AGENT]), "/api/campaigns/dnc/check", {"numbers": ["0722000001"]}
    )

    assert response.status_code == 403
