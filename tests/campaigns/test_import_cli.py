"""`dialcrm import-leads`: the report as JSON, header-name mapping, saved mappings, and a clear
message with exit code 2 for bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dialcrm import cli
from dialcrm.campaigns.choices import CampaignState
from dialcrm.campaigns.models import (
    CallList,
    Campaign,
    CampaignList,
    Client,
    ImportJob,
    ImportMapping,
    Lead,
)
from dialcrm.core.choices import Role
from dialcrm.core.models import AuditEntry


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def call_list(org):
    client = Client.objects.create(company=org.company, name="Energia SA")
    return CallList.objects.create(client=client, name="Prospects")


def import_leads(*args: str) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_leads", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def test_import_with_columns_named_like_fields(tmp_path, call_list):
    path = tmp_path / "leads.csv"
    path.write_text(
        "First name,last_name,phone,phone2,notes\nIon,Pop,0722123456,07x1,vip\n", encoding="utf-8"
    )

    report, said = import_leads("--list", str(call_list.pk), str(path))

    assert (report["state"], report["rows_read"], report["imported"], report["warnings"]) == (
        "done",
        1,
        1,
        1,
    )
    assert report["list_version"] == 1
    assert report["mapping_source"] == "header names"
    assert report["ignored_columns"] == ["notes"]
    assert report["problems"] == ["row 2, column phone2: '07x1' is not a valid number for RO"]
    assert said.strip() == (
        "Columns mapped by header name: First name -> first_name, last_name -> last_name, "
        "phone -> phone, phone2 -> phone; not imported: notes"
    )
    assert Lead.objects.get(call_list=call_list).first_name == "Ion"


def test_import_with_a_saved_mapping_as_a_person(tmp_path, call_list, org):
    ImportMapping.objects.create(
        company=org.company,
        name="Energia",
        mapping={
            "columns": [
                {"column": "Tel", "target": "phone"},
                {"column": "Oras", "target": "custom", "name": "town"},
            ]
        },
        options={"dedupe_against": "none"},
    )
    path = tmp_path / "leads.csv"
    path.write_text("Tel;Oras\n0722123456;Cluj\n", encoding="utf-8")
    manager = org[Role.LOCATION_MANAGER]

    report, _said = import_leads(
        "--list", str(call_list.pk), str(path), "--mapping", "Energia", "--as", manager.username
    )

    assert report["imported"] == 1
    assert report["mapping_source"] == "saved mapping 'Energia'"
    assert Lead.objects.get(call_list=call_list).custom == {"town": "Cluj"}
    job = ImportJob.objects.get()
    assert job.created_by == manager
    assert AuditEntry.objects.get(object_type="campaigns.importjob").staff_id == manager.pk


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"phone\n", "The file has a header row but no data rows."),
        (
            b"name,city\nIon,Cluj\n",
            "Map at least one column to a phone number. No column is named like a phone (phone, "
            "phone2, mobile...): the file's columns are name, city. Rename them, or use --mapping.",
        ),
    ],
)
def test_bad_files_exit_with_2_and_a_message(tmp_path, call_list, content, message):
    path = tmp_path / "leads.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError) as error:
        import_leads("--list", str(call_list.pk), str(path))

    assert (error.value.returncode, str(error.value)) == (2, message)
    assert not Lead.objects.exists()


def test_bad_arguments_exit_with_2(tmp_path, call_list):
    path = tmp_path / "leads.csv"
    path.write_text("phone\n0722123456\n", encoding="utf-8")

    with pytest.raises(CommandError) as no_file:
        import_leads("--list", str(call_list.pk), str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError) as no_list:
        import_leads("--list", "999999", str(path))
    with pytest.raises(CommandError) as no_person:
        import_leads("--list", str(call_list.pk), str(path), "--as", "nobody")
    with pytest.raises(CommandError) as no_mapping:
        import_leads("--list", str(call_list.pk), str(path), "--mapping", "Nope")

    assert str(no_file.value) == f"There is no file {tmp_path / 'missing.csv'}."
    assert str(no_list.value) == "There is no call list 999999."
    assert str(no_person.value) == "There is no active person 'nobody'."
    assert str(no_mapping.value) == "There is no saved mapping named 'Nope'."
    assert {error.value.returncode for error in (no_file, no_list, no_person, no_mapping)} == {2}


def test_a_person_who_may_not_import(tmp_path, call_list, org):
    path = tmp_path / "leads.csv"
    path.write_text("phone\n0722123456\n", encoding="utf-8")

    with pytest.raises(CommandError) as error:
        import_leads("--list", str(call_list.pk), str(path), "--as", org[Role.AGENT].username)

    assert (error.value.returncode, str(error.value)) == (
        2,
        "You may not import leads into this list.",
    )


def test_a_running_campaign_refuses_the_import(tmp_path, call_list, org):
    campaign = Campaign.objects.create(
        client=call_list.client, location=org.north, name="Winter", state=CampaignState.RUNNING
    )
    CampaignList.objects.create(campaign=campaign, call_list=call_list)
    path = tmp_path / "leads.csv"
    path.write_text("phone\n0722123456\n", encoding="utf-8")

    with pytest.raises(CommandError) as error:
        import_leads("--list", str(call_list.pk), str(path))

    assert str(error.value) == (
        "The list is used by the running campaign 'Winter': pause the campaign first, then import."
    )


def test_the_command_name_with_a_dash(monkeypatch):
    called = []
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: called.append(argv)
    )

    assert cli.main(["import-leads", "--list", "1", "leads.csv"]) == 0

    assert called == [["dialcrm", "import_leads", "--list", "1", "leads.csv"]]


def test_the_real_command_exits_with_2_and_no_traceback(tmp_path):
    dialcrm = Path(sys.executable).parent / "dialcrm"

    done = subprocess.run(
        [str(dialcrm), "import-leads", "--list", "1", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        env={**os.environ, "DIALCRM_ENV": "test"},
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stderr.strip() == f"CommandError: There is no file {tmp_path / 'missing.csv'}."
    assert "Traceback" not in done.stderr
