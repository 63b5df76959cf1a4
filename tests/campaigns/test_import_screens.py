"""The import screens: upload, preview, mapping, progress, report and problems download, and
their refusals (too large, unreadable files, the wrong people)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dialcrm.campaigns.choices import CampaignState, ImportState
from dialcrm.campaigns.models import (
    CallList,
    Campaign,
    CampaignList,
    Client,
    ImportJob,
    ImportMapping,
    Lead,
    Phone,
)
from dialcrm.core.choices import Role
from dialcrm.core.worker import run_pending_jobs

CSV = (
    "first_name,last_name,phone,phone2,notes\n"
    "Ion,Popescu,0722 123 456,021 312 34 56,=cmd|' /C calc'!A0\n"
    "Ana,Ionescu,07x1,,\n"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def call_list(org):
    client = Client.objects.create(company=org.company, name="Energia SA")
    return CallList.objects.create(client=client, name="Prospects")


@pytest.fixture
def manager(org, client_for):
    return client_for(org[Role.LOCATION_MANAGER])


def upload(browser, call_list, content, name="leads.csv", **fields):
    return browser.post(
        reverse("campaigns:import_start", args=[call_list.pk]),
        {"file": SimpleUploadedFile(name, content), "has_header": "on", **fields},
    )


def mapping_post(**overrides):
    data = {
        "action": "start",
        "target_0": "first_name",
        "target_1": "last_name",
        "target_2": "phone",
        "kind_2": "mobile",
        "priority_2": "1",
        "target_3": "phone",
        "kind_3": "landline",
        "priority_3": "2",
        "target_4": "custom",
        "name_4": "notes",
        "dedupe_in_file": "on",
        "dedupe_against": "list",
        "dedupe_by_phone": "on",
        "scrub_internal_dnc": "on",
    }
    for index in range(5):
        data.setdefault(f"kind_{index}", "other")
        data.setdefault(f"priority_{index}", "1")
    data.update(overrides)
    return data


def test_the_whole_flow_in_the_browser(manager, call_list):
    uploaded = upload(manager, call_list, CSV.encode())
    job = ImportJob.objects.get()
    assert uploaded.status_code == 302
    assert uploaded.url == reverse("campaigns:import_detail", args=[job.pk])

    page = manager.get(uploaded.url)
    assert page.status_code == 200
    assert "0722 123 456" in page.content.decode()
    # Guessed from the column names: first_name, last_name, phone, phone2.
    assert page.context["form"]["target_0"].value() == "first_name"
    assert page.context["form"]["target_3"].value() == "phone"
    assert page.context["form"]["target_4"].value() is None

    started = manager.post(uploaded.url, mapping_post(save_mapping_as="Energia"))
    assert started.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED
    waiting = manager.get(uploaded.url)
    assert 'data-testid="import-progress"' in waiting.content.decode()
    progress_url = reverse("campaigns:import_progress", args=[job.pk])
    assert "HX-Refresh" not in manager.get(progress_url, HTTP_HX_REQUEST="true")

    run_pending_jobs()

    assert manager.get(progress_url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    report = manager.get(uploaded.url)
    assert report.context["report"].imported == 1
    assert report.context["report"].invalid == 1
    assert report.context["problems"] == [
        "row 3, column phone: '07x1' is not a valid number for RO"
    ]
    lead = Lead.objects.get(call_list=call_list)
    assert lead.custom == {"notes": "=cmd|' /C calc'!A0"}
    assert sorted(Phone.objects.filter(lead=lead).values_list("number", "kind")) == [
        ("+40213123456", "landline"),
        ("+40722123456", "mobile"),
    ]
    assert ImportMapping.objects.get().name == "Energia"
    download = manager.get(reverse("campaigns:import_errors", args=[job.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="import-{job.pk}-problems.csv"'
    assert b"".join(download.streaming_content).decode("utf-8-sig").splitlines() == [
        "row,column,value,kind,reason",
        "3,phone,07x1,invalid,'07x1' is not a valid number for RO",
    ]


def test_a_saved_mapping_is_offered_and_applied(manager, call_list, org):
    saved = ImportMapping.objects.create(
        company=org.company,
        name="Energia",
        mapping={"columns": [{"column": "phone2", "target": "phone", "kind": "work"}]},
        options={"dedupe_against": "client"},
    )
    upload(manager, call_list, CSV.encode())
    job = ImportJob.objects.get()

    page = manager.get(reverse("campaigns:import_detail", args=[job.pk]), {"mapping": saved.pk})

    form = page.context["form"]
    assert form["target_3"].value() == "phone"
    assert form["kind_3"].value() == "work"
    assert form["target_2"].value() is None
    assert form["dedupe_against"].value() == "client"


def test_a_file_over_the_cap_is_refused_while_it_arrives(manager, call_list, settings):
    settings.IMPORT_MAX_BYTES = 1000

    refused = upload(manager, call_list, b"phone\n" + b"0722123456\n" * 500)

    assert refused.status_code == 413
    assert refused.context["upload_refusal"] == (
        "The file is larger than 1000\xa0bytes, the largest accepted. Split it into smaller "
        "files, or ask your administrator to raise IMPORT_MAX_BYTES."
    )
    assert not ImportJob.objects.exists()
    assert not list(settings.MEDIA_ROOT.glob("imports/*"))


def test_a_file_declared_over_the_cap_is_refused_unread(manager, call_list, settings):
    settings.IMPORT_MAX_BYTES = 1000

    refused = upload(manager, call_list, b"phone\n" + b"0722123456\n" * 20_000)

    assert refused.status_code == 413
    assert refused.context["upload_refusal"] == (
        "The file is 215.1\xa0KB; the largest accepted is 1000\xa0bytes. Split it into smaller "
        "files, or ask your administrator to raise IMPORT_MAX_BYTES."
    )
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leads.csv", b"", "The file is empty."),
        ("leads.csv", b"  \r\n\r\n", "The file is empty."),
        ("leads.csv", b"first_name,phone\r\n", "The file has a header row but no data rows."),
        (
            "leads.xlsx",
            b"first_name,phone\nIon,0722123456\n",
            "This file is named .xlsx but is not an Excel workbook (it may be damaged, or a CSV "
            "file renamed). Open it in a spreadsheet program and save it as .xlsx or CSV.",
        ),
        (
            "leads.zip",
            b"PK\x03\x04 this is no workbook",
            "This is a ZIP archive, not a spreadsheet: upload a CSV or an .xlsx file.",
        ),
        (
            "leads.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "This is an old Excel file (.xls). Save it as .xlsx or CSV and upload that.",
        ),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(manager, call_list, name, content, message):
    refused = upload(manager, call_list, content, name=name)

    assert refused.status_code == 422
    assert refused.context["form"].errors == {"file": [message]}
    assert not ImportJob.objects.exists()


def test_a_broken_workbook_is_refused(manager, call_list):
    broken = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["phone"])
    workbook.save(broken)
    content = broken.getvalue()[:-200]  # cut short: the zip's directory is gone

    refused = upload(manager, call_list, content, name="leads.xlsx")

    assert refused.status_code == 422
    assert refused.context["form"].errors["file"] == [
        "This file is not a readable Excel workbook (.xlsx). Open it in a spreadsheet program "
        "and save it as .xlsx or CSV."
    ]


def test_xlsx_numbers_and_formulas(manager, call_list):
    content = io.BytesIO()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["first_name", "phone"])
    sheet.append(['=HYPERLINK("http://evil","x")', 40722123456])
    sheet.append(["Ana", 722000111.0])
    workbook.save(content)
    upload(manager, call_list, content.getvalue(), name="leads.xlsx")
    job = ImportJob.objects.get()
    assert job.file_format == "xlsx"
    data = {
        "action": "start",
        "target_0": "first_name",
        "target_1": "phone",
        "kind_0": "other",
        "kind_1": "mobile",
        "priority_0": "1",
        "priority_1": "1",
        "dedupe_in_file": "on",
        "dedupe_against": "list",
        "dedupe_by_phone": "on",
    }

    manager.post(reverse("campaigns:import_detail", args=[job.pk]), data)
    run_pending_jobs()

    job.refresh_from_db()
    assert (job.state, job.imported) == (ImportState.DONE, 2)
    assert sorted(Lead.objects.values_list("first_name", flat=True)) == [
        '=HYPERLINK("http://evil","x")',
        "Ana",
    ]
    assert sorted(Phone.objects.values_list("number", flat=True)) == [
        "+40722000111",
        "+40722123456",
    ]


ROMANIAN = "nume;telefon;oraș\nŞtefănescu;0722123456;Braşov\nŢăranu;0733111222;Iaşi\n"


def test_a_legacy_encoding_is_detected(manager, call_list):
    upload(manager, call_list, ROMANIAN.replace("ș", "ş").encode("cp1250"))
    job = ImportJob.objects.get()

    page = manager.get(reverse("campaigns:import_detail", args=[job.pk]))

    assert (job.encoding, job.delimiter) == ("cp1250", ";")
    assert page.context["preview"].rows[0] == ["Ştefănescu", "0722123456", "Braşov"]


def test_a_wrong_encoding_chosen_by_a_person_is_explained(manager, call_list):
    upload(manager, call_list, ROMANIAN.replace("ș", "ş").encode("cp1250"))
    job = ImportJob.objects.get()

    reread = manager.post(
        reverse("campaigns:import_detail", args=[job.pk]),
        {"action": "reading", "encoding": "utf-8", "delimiter": ";", "has_header": "on"},
    )

    assert reread.status_code == 422
    assert reread.context["reading"].errors["__all__"] == [
        "The file is not valid utf-8 text (at row 1). It looks like cp1250: choose that encoding."
    ]
    job.refresh_from_db()
    assert job.encoding == "cp1250"


def test_cp1250_declared_as_utf8_at_upload(manager, call_list):
    refused = upload(
        manager, call_list, ROMANIAN.replace("ș", "ş").encode("cp1250"), encoding="utf-8"
    )

    assert refused.status_code == 422
    assert refused.context["form"].errors["file"] == [
        "The file is not valid utf-8 text (at row 1). It looks like cp1250: choose that encoding."
    ]


def test_reading_with_another_delimiter(manager, call_list):
    upload(manager, call_list, b"a|b;c\n1|2;3\n")
    job = ImportJob.objects.get()

    manager.post(
        reverse("campaigns:import_detail", args=[job.pk]),
        {"action": "reading", "encoding": "", "delimiter": "|", "has_header": "on"},
    )

    job.refresh_from_db()
    assert job.delimiter == "|"
    page = manager.get(reverse("campaigns:import_detail", args=[job.pk]))
    assert page.context["preview"].headers == ["a", "b;c"]


def test_a_phone_column_is_required(manager, call_list):
    upload(manager, call_list, CSV.encode())
    job = ImportJob.objects.get()

    refused = manager.post(
        reverse("campaigns:import_detail", args=[job.pk]),
        mapping_post(target_2="", target_3="city"),
    )

    assert refused.status_code == 422
    assert refused.context["form"].non_field_errors() == [
        "Map at least one column to a phone number."
    ]
    job.refresh_from_db()
    assert job.state == ImportState.UPLOADED


def test_refused_while_a_campaign_runs(manager, call_list, org):
    campaign = Campaign.objects.create(
        client=call_list.client, location=org.north, name="Winter", state=CampaignState.RUNNING
    )
    CampaignList.objects.create(campaign=campaign, call_list=call_list)
    upload(manager, call_list, CSV.encode())
    job = ImportJob.objects.get()

    refused = manager.post(reverse("campaigns:import_detail", args=[job.pk]), mapping_post())

    assert refused.status_code == 422
    assert refused.context["form"].non_field_errors() == [
        "The list is used by the running campaign 'Winter': pause the campaign first, then import."
    ]
    assert ImportJob.objects.get().state == ImportState.UPLOADED


IMPORT_START = {
    Role.ADMINISTRATOR: 200,
    Role.MANAGER: 200,
    Role.LOCATION_MANAGER: 200,
    Role.TEAM_LEADER: 403,
    Role.AGENT: 404,
    Role.QUALITY: 403,
    Role.BACK_OFFICE: 403,
    Role.HUMAN_RESOURCES: 403,
    "other_admin": 404,
}


@pytest.mark.parametrize(("role", "status"), IMPORT_START.items())
def test_who_may_open_the_upload(org, client_for, call_list, role, status):
    response = client_for(org[role]).get(reverse("campaigns:import_start", args=[call_list.pk]))

    assert response.status_code == status


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, "other_admin"])
def test_refused_uploads_change_nothing(org, client_for, call_list, role):
    response = upload(client_for(org[role]), call_list, CSV.encode())

    assert response.status_code in (403, 404)
    assert not ImportJob.objects.exists()


def test_agents_and_other_companies_never_see_an_import(org, client_for, manager, call_list):
    upload(manager, call_list, CSV.encode())
    job = ImportJob.objects.get()
    url = reverse("campaigns:import_detail", args=[job.pk])

    assert client_for(org[Role.AGENT]).get(url).status_code == 404
    assert client_for(org["other_admin"]).get(url).status_code == 404
    assert client_for(org[Role.TEAM_LEADER]).get(url).status_code == 200
    refused = client_for(org[Role.TEAM_LEADER]).post(url, mapping_post())
    assert refused.status_code == 403
    assert ImportJob.objects.get().state == ImportState.UPLOADED
    errors = reverse("campaigns:import_errors", args=[job.pk])
    assert client_for(org[Role.AGENT]).get(errors).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client, call_list):
    response = client.post(reverse("campaigns:import_start", args=[call_list.pk]), {})

    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))


def test_an_upload_removed_from_the_server_is_explained(manager, call_list):
    upload(manager, call_list, CSV.encode())
    job = ImportJob.objects.get()
    Path(job.file).unlink()

    page = manager.get(reverse("campaigns:import_detail", args=[job.pk]))

    assert page.status_code == 200
    assert page.context["file_error"] == (
        "The uploaded file is no longer on the server: upload it again."
    )
