"""The list import API: upload, preview, reading, start, progress, report and problems, and the
refusals, through session and token authentication."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dialcrm.campaigns.choices import ImportState
from dialcrm.campaigns.models import CallList, Client, ImportJob, ImportMapping, Lead
from dialcrm.core.choices import Role
from dialcrm.core.models import ApiToken, TokenScope
from dialcrm.core.worker import run_pending_jobs

CSV = b"first_name;phone;phone2\nIon;0722 123 456;07x1\nAna;0733 111 222;\nDan;0722123456;\n"


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


def upload(api, call_list, content=CSV, name="leads.csv", **fields):
    return api.post(
        f"/api/campaigns/lists/{call_list.pk}/imports",
        {"file": SimpleUploadedFile(name, content), **fields},
    )


def post_json(api, url, data, **extra):
    return api.post(url, json.dumps(data), content_type="application/json", **extra)


def test_upload_preview_start_and_report(manager, call_list):
    uploaded = upload(manager, call_list)
    job = uploaded.json()
    assert uploaded.status_code == 201
    assert (job["state"], job["encoding"], job["delimiter"], job["rows_estimated"]) == (
        "uploaded",
        "utf-8",
        ";",
        3,
    )

    preview = manager.get(f"/api/campaigns/imports/{job['id']}/preview").json()
    assert preview["headers"] == ["first_name", "phone", "phone2"]
    assert preview["rows"][0] == ["Ion", "0722 123 456", "07x1"]
    assert [column["target"] for column in preview["suggested_mapping"]] == [
        "first_name",
        "phone",
        "phone",
    ]

    started = post_json(
        manager,
        f"/api/campaigns/imports/{job['id']}/start",
        {
            "mapping": {
                "columns": [
                    {"column": "first_name", "target": "first_name"},
                    {"column": "phone", "target": "phone", "kind": "mobile"},
                    {"column": "phone2", "target": "phone", "priority": 2},
                ]
            },
            "options": {"dedupe_against": "client"},
            "save_mapping_as": "Energia",
        },
    )
    assert started.status_code == 202
    assert started.json()["state"] == "queued"

    run_pending_jobs()

    status = manager.get(f"/api/campaigns/imports/{job['id']}").json()
    assert (status["state"], status["percent"], status["list_version"]) == ("done", 100, 1)
    report = manager.get(f"/api/campaigns/imports/{job['id']}/report").json()
    assert {key: report[key] for key in ("rows_read", "imported", "duplicates", "invalid")} == {
        "rows_read": 3,
        "imported": 2,
        "duplicates": 1,
        "invalid": 0,
    }
    assert report["warnings"] == 1
    assert report["problems"] == [
        "row 2, column phone2: '07x1' is not a valid number for RO",
        "row 4: +40722123456 is on an earlier row of the file",
    ]
    problems = manager.get(f"/api/campaigns/imports/{job['id']}/problems.csv")
    assert problems["Content-Type"] == "text/csv; charset=utf-8"
    assert len(b"".join(problems.streaming_content).splitlines()) == 3
    assert ImportMapping.objects.get().name == "Energia"
    listed = manager.get(f"/api/campaigns/imports?list_id={call_list.pk}").json()
    assert [item["id"] for item in listed["items"]] == [job["id"]]


def test_start_with_a_saved_mapping_or_by_header_names(manager, call_list, org):
    ImportMapping.objects.create(
        company=org.company,
        name="Phones only",
        mapping={"columns": [{"column": "phone", "target": "phone"}]},
        options={"dedupe_in_file": False},
    )
    by_name = upload(manager, call_list).json()
    by_headers = upload(manager, call_list).json()

    post_json(
        manager, f"/api/campaigns/imports/{by_name['id']}/start", {"mapping_name": "phones ONLY"}
    )
    run_pending_jobs()
    post_json(
        manager,
        f"/api/campaigns/imports/{by_headers['id']}/start",
        {"options": {"dedupe_against": "none"}},
    )
    run_pending_jobs()

    first = ImportJob.objects.get(pk=by_name["id"])
    second = ImportJob.objects.get(pk=by_headers["id"])
    assert (first.imported, first.duplicates, first.options["dedupe_in_file"]) == (3, 0, False)
    assert second.mapping["columns"][0] == {"column": "first_name", "target": "first_name"}
    assert (second.imported, second.duplicates) == (2, 1)
    assert Lead.objects.filter(call_list=call_list).count() == 5


def test_change_how_the_file_is_read(manager, call_list):
    job = upload(manager, call_list, content=b"a,b;c\n1,2;3\n").json()

    changed = manager.patch(
        f"/api/campaigns/imports/{job['id']}/reading",
        json.dumps({"delimiter": ";"}),
        content_type="application/json",
    )
    refused = manager.patch(
        f"/api/campaigns/imports/{job['id']}/reading",
        json.dumps({"encoding": "klingon"}),
        content_type="application/json",
    )

    assert changed.json()["delimiter"] == ";"
    assert manager.get(f"/api/campaigns/imports/{job['id']}/preview").json()["headers"] == [
        "a,b",
        "c",
    ]
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": [{"field": "file", "message": "'klingon' is not a known text encoding."}]
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"phone\n", "The file has a header row but no data rows."),
    ],
)
def test_bad_files_are_refused_with_422(manager, call_list, content, message):
    refused = upload(manager, call_list, content=content)

    assert refused.status_code == 422
    assert refused.json() == {"detail": [{"field": "file", "message": message}]}
    assert not ImportJob.objects.exists()


def test_a_file_over_the_cap_is_refused_with_413(manager, call_list, settings):
    settings.IMPORT_MAX_BYTES = 10

    refused = upload(manager, call_list)

    assert refused.status_code == 413
    assert refused.json()["detail"] == (
        "The file is 80\xa0bytes; the largest accepted is 10\xa0bytes. Split it into smaller "
        "files, or ask your administrator to raise IMPORT_MAX_BYTES."
    )
    assert not ImportJob.objects.exists()


def test_starting_without_a_phone_column(manager, call_list):
    job = upload(manager, call_list, content=b"name,city\nIon,Cluj\n").json()

    refused = post_json(manager, f"/api/campaigns/imports/{job['id']}/start", {})

    assert refused.status_code == 422
    assert refused.json() == {
        "detail": [{"field": "mapping", "message": "Map at least one column to a phone number."}]
    }
    assert ImportJob.objects.get().state == ImportState.UPLOADED


def test_problems_before_the_end_are_a_conflict(manager, call_list):
    job = upload(manager, call_list).json()

    response = manager.get(f"/api/campaigns/imports/{job['id']}/problems.csv")

    assert response.status_code == 409


@pytest.mark.parametrize(
    ("role", "upload_status", "read_status"),
    [
        (Role.AGENT, 404, 404),
        (Role.TEAM_LEADER, 403, 200),
        ("other_admin", 404, 404),
    ],
)
def test_who_may_upload_and_read(
    org, client_for, manager, call_list, role, upload_status, read_status
):
    job = upload(manager, call_list).json()
    api = client_for(org[role])

    uploaded = upload(api, call_list)
    read = api.get(f"/api/campaigns/imports/{job['id']}")
    started = post_json(api, f"/api/campaigns/imports/{job['id']}/start", {})

    assert uploaded.status_code == upload_status
    assert read.status_code == read_status
    assert started.status_code in (403, 404)
    assert ImportJob.objects.count() == 1
    assert ImportJob.objects.get().state == ImportState.UPLOADED


def test_with_an_api_token(org, call_list, client):
    token = ApiToken(name="CRM sync", staff=org[Role.MANAGER], scope=TokenScope.WRITE)
    key = token.issue_key()
    token.save()
    reader = ApiToken(name="Reports", staff=org[Role.MANAGER], scope=TokenScope.READ)
    read_key = reader.issue_key()
    reader.save()

    uploaded = client.post(
        f"/api/campaigns/lists/{call_list.pk}/imports",
        {"file": SimpleUploadedFile("leads.csv", CSV)},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    refused = client.post(
        f"/api/campaigns/lists/{call_list.pk}/imports",
        {"file": SimpleUploadedFile("leads.csv", CSV)},
        HTTP_AUTHORIZATION=f"Bearer {read_key}",
    )

    assert uploaded.status_code == 201
    assert refused.status_code == 403
    assert ImportJob.objects.count() == 1
