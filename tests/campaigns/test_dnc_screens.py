"""The do-not-call screens: lists, numbers, adding and removing one, importing a file."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dialcrm.campaigns.choices import DncKind, ImportState
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


LIST_PAGE = {
    Role.ADMINISTRATOR: 200,
    Role.MANAGER: 200,
    Role.LOCATION_MANAGER: 200,
    Role.BACK_OFFICE: 200,
    Role.TEAM_LEADER: 200,
    Role.QUALITY: 200,
    Role.AGENT: 403,
}


@pytest.mark.parametrize(("role", "status"), LIST_PAGE.items())
def test_who_sees_the_lists(org, client_for, national, role, status):
    response = client_for(org[role]).get(reverse("campaigns:dnc_list"))

    assert response.status_code == status
    if status == 200:
        assert [row["object"] for row in response.context["rows"]] == [national]


def test_other_companies_lists_are_out_of_sight(org, client_for, national):
    other = client_for(org["other_admin"])

    assert other.get(reverse("campaigns:dnc_list")).context["rows"] == []
    assert other.get(reverse("campaigns:dnc_numbers", args=[national.pk])).status_code == 404


def test_add_edit_and_deactivate_a_list(org, manager):
    added = manager.post(
        reverse("campaigns:dnc_add"),
        {"company": org.company.pk, "name": "ANCOM register", "kind": DncKind.IMPORTED},
    )
    dnc_list = DncList.objects.get(name="ANCOM register")
    assert added.url == reverse("campaigns:dnc_numbers", args=[dnc_list.pk])

    manager.post(
        reverse("campaigns:dnc_edit", args=[dnc_list.pk]),
        {
            "company": org.company.pk,
            "name": "ANCOM",
            "kind": DncKind.IMPORTED,
            "description": "2026",
        },
    )
    manager.post(reverse("campaigns:dnc_deactivate", args=[dnc_list.pk]))

    dnc_list.refresh_from_db()
    assert (dnc_list.name, dnc_list.description, dnc_list.is_active) == ("ANCOM", "2026", False)


def test_add_search_and_remove_numbers(manager, national):
    page = reverse("campaigns:dnc_numbers", args=[national.pk])

    added = manager.post(page, {"number": "0722 123 456", "country": "ro"})
    refused = manager.post(page, {"number": "07x1", "country": "RO"})
    manager.post(page, {"number": "+49 30 1234567", "country": "RO"})
    found = manager.get(page, {"q": "0722-123-456"})
    removed = manager.post(
        reverse("campaigns:dnc_number_remove", args=[national.pk]), {"number": "+40722123456"}
    )

    assert added.status_code == 302
    assert refused.status_code == 422
    assert refused.context["form"].errors == {"number": ["'07x1' is not a valid number for RO."]}
    assert [entry.number for entry in found.context["page"].object_list] == ["+40722123456"]
    assert removed.status_code == 302
    assert list(DncNumber.objects.values_list("number", flat=True)) == ["+49301234567"]


def test_people_who_only_read_cannot_change_numbers(org, client_for, national):
    DncNumber.objects.create(dnc_list=national, number="+40722123456")
    leader = client_for(org[Role.TEAM_LEADER])
    page = reverse("campaigns:dnc_numbers", args=[national.pk])

    seen = leader.get(page)
    add = leader.post(page, {"number": "0733111222", "country": "RO"})
    remove = leader.post(
        reverse("campaigns:dnc_number_remove", args=[national.pk]), {"number": "+40722123456"}
    )

    assert seen.status_code == 200
    assert seen.context["may_change"] is False
    assert (add.status_code, remove.status_code) == (403, 403)
    assert list(DncNumber.objects.values_list("number", flat=True)) == ["+40722123456"]


def test_import_a_file_of_numbers_in_the_browser(manager, national):
    uploaded = manager.post(
        reverse("campaigns:dnc_import_start", args=[national.pk]),
        {
            "file": SimpleUploadedFile("register.csv", b"id,msisdn\n1,0722000001\n2,bad\n"),
            "country": "RO",
            "has_header": "on",
        },
    )
    job = DncImportJob.objects.get()
    assert uploaded.url == reverse("campaigns:dnc_import_detail", args=[job.pk])
    detail = manager.get(uploaded.url)
    assert detail.context["preview"].headers == ["id", "msisdn"]

    refused = manager.post(uploaded.url, {"column": "phone"})
    started = manager.post(uploaded.url, {"column": "msisdn"})
    waiting = manager.get(uploaded.url)
    run_pending_jobs()
    report = manager.get(uploaded.url)

    assert refused.status_code == 422
    assert refused.context["start_error"] == "The file has no column 'phone'."
    assert started.status_code == 302
    assert waiting.context["progress"].state == ImportState.QUEUED
    job.refresh_from_db()
    assert (job.imported, job.invalid) == (1, 1)
    assert report.context["problems"] == [
        "row 3, column msisdn: 'bad' is not a valid number for RO"
    ]
    download = manager.get(reverse("campaigns:dnc_import_errors", args=[job.pk]))
    assert b"".join(download.streaming_content).decode("utf-8-sig").splitlines()[1] == (
        "3,msisdn,bad,invalid,'bad' is not a valid number for RO"
    )
    progress = manager.get(reverse("campaigns:dnc_import_progress", args=[job.pk]))
    assert progress["HX-Refresh"] == "true"


def test_a_numbers_file_over_the_cap_is_refused(manager, national, settings):
    settings.IMPORT_MAX_BYTES = 100

    refused = manager.post(
        reverse("campaigns:dnc_import_start", args=[national.pk]),
        {"file": SimpleUploadedFile("register.csv", b"0722000001\n" * 100), "country": "RO"},
    )

    assert refused.status_code == 413
    assert "the largest accepted" in refused.context["upload_refusal"]
    assert not DncImportJob.objects.exists()


def test_agents_cannot_import_numbers(org, client_for, national):
    agent = client_for(org[Role.AGENT])

    response = agent.post(
        reverse("campaigns:dnc_import_start", args=[national.pk]),
        {"file": SimpleUploadedFile("register.csv", b"0722000001\n"), "country": "RO"},
    )

    assert response.status_code == 404
    assert not DncImportJob.objects.exists()
