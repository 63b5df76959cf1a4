"""The import of leads into a call list: normalisation, duplicates, do-not-call scrubbing, the
report, all-or-nothing, and the refusals."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dialcrm.campaigns import dnc, import_jobs, imports
from dialcrm.campaigns.choices import CampaignState, ImportState
from dialcrm.campaigns.models import (
    CallList,
    Campaign,
    CampaignList,
    Client,
    DncList,
    ImportJob,
    ImportMapping,
    Lead,
    Phone,
)
from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import AuditEntry
from dialcrm.core.worker import claim, reap_interrupted_jobs, run_pending_jobs

HEADER = "external_id;first_name;last_name;phone1;phone2;city;oras\n"
ROWS = [
    "1;Ion;Popescu;0722 123 456;021 312 34 56;Cluj;Dej\n",
    "2;Ana;Ionescu;07x1;;Iasi;\n",
    "3;Dan;Pop;+40 722-123-456;;Arad;\n",
    "4;Eva;Rus;0733 111 222;07x2;Sibiu;Medias\n",
    "5;Geo;Dinu;0744 555 666;;Brasov;\n",
    "6;Ada;Stan;;;Deva;\n",
]
MAPPING = imports.Mapping.from_json(
    {
        "columns": [
            {"column": "external_id", "target": "external_id"},
            {"column": "first_name", "target": "first_name"},
            {"column": "last_name", "target": "last_name"},
            {"column": "phone1", "target": "phone", "kind": "mobile", "priority": 1},
            {"column": "phone2", "target": "phone", "kind": "landline", "priority": 2},
            {"column": "city", "target": "city"},
            {"column": "oras", "target": "custom", "name": "town"},
        ]
    }
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client_company(org):
    return Client.objects.create(company=org.company, name="Energia SA")


@pytest.fixture
def call_list(client_company):
    return CallList.objects.create(client=client_company, name="Prospects")


@pytest.fixture
def manager(org):
    return org[Role.LOCATION_MANAGER]


def write(tmp_path: Path, text: str | bytes, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(actor, call_list, path, mapping=MAPPING, **options) -> ImportJob:
    job = imports.create_import(actor, call_list, path, path.name)
    imports.start_import(actor, job, mapping, imports.ImportOptions(**options))
    assert run_pending_jobs() == 1
    job.refresh_from_db()
    return job


def problems(job: ImportJob) -> list[list[str]]:
    with Path(job.errors_file).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_import_normalises_deduplicates_scrubs_and_reports(tmp_path, manager, call_list, org):
    dnc.add_to_internal_dnc(org.company, "+40744555666", "agent status")
    path = write(tmp_path, HEADER + "".join(ROWS))

    job = run(manager, call_list, path)

    assert job.state == ImportState.DONE
    assert (job.rows_read, job.imported, job.duplicates, job.invalid, job.scrubbed) == (
        6,
        2,
        1,
        2,
        1,
    )
    assert job.warnings == 1
    assert job.list_version == 1
    call_list.refresh_from_db()
    assert call_list.version == 1
    assert call_list.custom_fields == ["town"]
    leads = {lead.external_id: lead for lead in Lead.objects.filter(call_list=call_list)}
    assert set(leads) == {"1", "4"}
    assert leads["1"].custom == {"town": "Dej"}
    assert leads["4"].custom == {"town": "Medias"}
    assert leads["1"].list_version == 1
    assert leads["1"].city == "Cluj"
    phones = [
        (phone.number, phone.kind, phone.priority, phone.country, phone.time_zone)
        for phone in Phone.objects.filter(lead=leads["1"]).order_by("priority")
    ]
    assert phones == [
        ("+40722123456", "mobile", 1, "RO", "Europe/Bucharest"),
        ("+40213123456", "landline", 2, "RO", "Europe/Bucharest"),
    ]
    assert [phone.number for phone in leads["4"].phones.all()] == ["+40733111222"]
    assert problems(job) == [
        ["3", "phone1", "07x1", "invalid", "'07x1' is not a valid number for RO"],
        ["4", "", "", "duplicate", "+40722123456 is on an earlier row of the file"],
        ["5", "phone2", "07x2", "warning", "'07x2' is not a valid number for RO"],
        ["6", "phone1", "+40744555666", "scrubbed", "+40744555666 is on a do-not-call list"],
        ["7", "", "", "invalid", "no phone number"],
    ]
    report = imports.import_report(job)
    assert report.problems[0] == "row 3, column phone1: '07x1' is not a valid number for RO"
    assert report.seconds is not None


def test_starting_an_import_is_audited(tmp_path, manager, call_list):
    path = write(tmp_path, HEADER + ROWS[0])
    job = imports.create_import(manager, call_list, path, path.name)

    imports.start_import(manager, job, MAPPING, imports.ImportOptions())

    entry = AuditEntry.objects.get(object_type="campaigns.importjob", object_id=str(job.pk))
    assert entry.action == AuditAction.UPDATE
    assert entry.changes == {"state": ["uploaded", "queued"]}
    assert entry.company_id == call_list.client.company_id
    assert "leads.csv" in entry.summary


def test_duplicates_against_the_list_the_client_or_nothing(tmp_path, manager, call_list):
    other_list = CallList.objects.create(client=call_list.client, name="Old prospects")
    old = Lead.objects.create(call_list=other_list, last_name="Old")
    Phone.objects.create(lead=old, number="+40722123456")
    path = write(tmp_path, HEADER + ROWS[0] + ROWS[3])

    against_list = run(manager, call_list, path, dedupe_against="list")
    against_client = run(manager, call_list, path, dedupe_against="client")
    against_nothing = run(manager, call_list, path, dedupe_against="none")

    # The first import put both rows in the list: the second finds them all there.
    assert (against_list.imported, against_list.duplicates) == (2, 0)
    assert (against_client.imported, against_client.duplicates) == (0, 2)
    assert (against_nothing.imported, against_nothing.duplicates) == (2, 0)
    assert problems(against_client)[0] == [
        "2",
        "",
        "",
        "duplicate",
        "+40722123456 is already in a client's list",
    ]
    assert Lead.objects.filter(call_list=call_list).count() == 4
    call_list.refresh_from_db()
    assert call_list.version == 3
    assert against_nothing.list_version == 3


def test_duplicates_by_chosen_fields(tmp_path, manager, call_list):
    Lead.objects.create(call_list=call_list, external_id="X-1")
    text = (
        "id;phone\n"
        "X-1;0722000001\n"  # already in the list
        "X-2;0722000002\n"
        "x-2;0722000003\n"  # same id as the row before (case does not matter)
        ";0722000004\n"  # no id: not compared
    )
    mapping = imports.Mapping.from_json(
        {
            "columns": [
                {"column": "id", "target": "external_id"},
                {"column": "phone", "target": "phone"},
            ]
        }
    )

    job = run(
        manager,
        call_list,
        write(tmp_path, text),
        mapping,
        dedupe_fields=("external_id",),
        dedupe_by_phone=False,
    )

    assert (job.imported, job.duplicates) == (2, 2)
    assert [line[4] for line in problems(job)] == [
        "same external_id as a lead already in this list",
        "same external_id as an earlier row of the file",
    ]


def test_scrub_against_chosen_lists_only(tmp_path, manager, call_list, org):
    national = DncList.objects.create(company=org.company, name="National register")
    unused = DncList.objects.create(company=org.company, name="Unused")
    dnc.add_number(manager, national, "0722 123 456")
    dnc.add_number(manager, unused, "0733 111 222")
    path = write(tmp_path, HEADER + ROWS[0] + ROWS[3])

    job = run(manager, call_list, path, dnc_list_ids=(national.pk,))

    assert (job.imported, job.scrubbed, job.warnings) == (2, 0, 2)
    lead = Lead.objects.get(call_list=call_list, external_id="1")
    assert [phone.number for phone in lead.phones.all()] == ["+40213123456"]
    assert problems(job)[0] == [
        "2",
        "phone1",
        "+40722123456",
        "warning",
        "+40722123456 is on a do-not-call list: not imported",
    ]


def test_numbers_of_another_country(tmp_path, manager, call_list):
    text = "phone;phone2\n+33 1 42 68 53 00;\n+33 1 42 68 53 01;0722123456\n"
    mapping = imports.Mapping.from_json(
        {
            "columns": [
                {"column": "phone", "target": "phone"},
                {"column": "phone2", "target": "phone", "priority": 2},
            ]
        }
    )

    accepted = run(manager, call_list, write(tmp_path, text), mapping)
    refused = run(
        manager,
        call_list,
        write(tmp_path, text),
        mapping,
        only_default_country=True,
        dedupe_against="none",
    )

    assert (accepted.imported, accepted.invalid) == (2, 0)
    assert Phone.objects.filter(number="+33142685300", country="FR").exists()
    assert (refused.imported, refused.invalid, refused.warnings) == (1, 1, 1)
    assert problems(refused)[0][4] == (
        "'+33 1 42 68 53 00' is a number of another country (only numbers of RO are accepted)"
    )


def test_formula_cells_are_plain_text_and_neutralised_on_export(tmp_path, manager, call_list):
    text = "first_name,phone\n\"=cmd|' /C calc'!A0\",0722123456\nAna,=1+2\n"
    mapping = imports.Mapping.from_json(
        {
            "columns": [
                {"column": "first_name", "target": "first_name"},
                {"column": "phone", "target": "phone"},
            ]
        }
    )

    job = run(manager, call_list, write(tmp_path, text), mapping)

    assert Lead.objects.get(call_list=call_list).first_name == "=cmd|' /C calc'!A0"
    exported = "".join(import_jobs.problems_csv(job))
    assert "\n3,phone,'=1+2,invalid,'=1+2' is not a valid number for RO" in exported.replace(
        "\r\n", "\n"
    )
    assert import_jobs.neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert import_jobs.neutralise("-2+3") == "'-2+3"
    assert import_jobs.neutralise("\tx") == "'\tx"
    assert import_jobs.neutralise("Ana") == "Ana"


def test_ragged_rows(tmp_path, manager, call_list):
    text = (
        "last_name,phone,city\n"
        "Short,0722000001\n"  # fewer values: the rest are empty
        "Long,0722000002,Cluj,,\n"  # empty values at the end: fine
        "Popescu, Ion,0722000003,Iasi\n"  # a comma inside an unquoted value
    )
    mapping = imports.Mapping.from_json(
        {
            "columns": [
                {"column": "last_name", "target": "last_name"},
                {"column": "phone", "target": "phone"},
                {"column": "city", "target": "city"},
            ]
        }
    )

    job = run(manager, call_list, write(tmp_path, text), mapping)

    assert (job.imported, job.invalid) == (2, 1)
    assert problems(job) == [
        [
            "4",
            "",
            "4",
            "invalid",
            "the row has 4 values but the file has 3 columns (a delimiter inside a value "
            "without quotes?)",
        ],
        ["4", "phone", "Ion", "invalid", "'Ion' is not a valid number for RO"],
    ]


def test_a_failure_midway_leaves_the_list_as_it_was(tmp_path, manager, call_list, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    Lead.objects.create(call_list=call_list, last_name="Before")
    body = "".join(f"Lead {index};0722{index:06d}\n" for index in range(2000)).encode()
    # A byte that is not UTF-8 long after the start, where detection does not look.
    path = write(tmp_path, b"last_name;phone\n" + body + "Ştefan;0722999999\n".encode("cp1250"))
    mapping = imports.Mapping.from_json(
        {
            "columns": [
                {"column": "last_name", "target": "last_name"},
                {"column": "phone", "target": "phone"},
            ]
        }
    )

    job = imports.create_import(manager, call_list, path, path.name, encoding="utf-8")
    imports.start_import(manager, job, mapping, imports.ImportOptions())
    run_pending_jobs()
    job.refresh_from_db()

    assert job.state == ImportState.FAILED
    assert job.rows_estimated == 2001
    assert job.error_message.startswith("The file is not valid utf-8 text (at row 2002).")
    assert list(Lead.objects.filter(call_list=call_list).values_list("last_name", flat=True)) == [
        "Before"
    ]
    call_list.refresh_from_db()
    assert call_list.version == 0
    assert job.errors_file == ""


def test_an_unexpected_error_fails_the_job_with_nothing_imported(
    tmp_path, manager, call_list, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    path = write(tmp_path, HEADER + "".join(ROWS))
    job = imports.create_import(manager, call_list, path, path.name)
    imports.start_import(manager, job, MAPPING, imports.ImportOptions())
    monkeypatch.setattr(imports.KnownNumbers, "which", broken)

    run_pending_jobs()

    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert job.error_message == (
        f"The import failed unexpectedly and nothing was imported. Try again, or tell your "
        f"administrator (import {job.pk})."
    )
    assert not Lead.objects.filter(call_list=call_list).exists()


def _running_campaign(call_list, org) -> Campaign:
    campaign = Campaign.objects.create(
        client=call_list.client, location=org.north, name="Winter", state=CampaignState.RUNNING
    )
    CampaignList.objects.create(campaign=campaign, call_list=call_list)
    return campaign


def test_refused_while_a_campaign_using_the_list_runs(tmp_path, manager, call_list, org):
    _running_campaign(call_list, org)
    path = write(tmp_path, HEADER + ROWS[0])
    job = imports.create_import(manager, call_list, path, path.name)

    with pytest.raises(ValidationError) as refused:
        imports.start_import(manager, job, MAPPING, imports.ImportOptions())

    assert refused.value.messages == [
        "The list is used by the running campaign 'Winter': pause the campaign first, then import."
    ]
    job.refresh_from_db()
    assert job.state == ImportState.UPLOADED


def test_a_campaign_started_while_queued_fails_the_import(tmp_path, manager, call_list, org):
    path = write(tmp_path, HEADER + ROWS[0])
    job = imports.create_import(manager, call_list, path, path.name)
    imports.start_import(manager, job, MAPPING, imports.ImportOptions())
    _running_campaign(call_list, org)

    run_pending_jobs()

    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert "pause the campaign first" in job.error_message
    assert not Lead.objects.filter(call_list=call_list).exists()


def test_a_failed_import_can_be_started_again(tmp_path, manager, call_list, org):
    campaign = _running_campaign(call_list, org)
    path = write(tmp_path, HEADER + ROWS[0])
    job = imports.create_import(manager, call_list, path, path.name)
    campaign.state = CampaignState.DRAFT
    campaign.save()
    imports.start_import(manager, job, MAPPING, imports.ImportOptions())
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.RUNNING)
    run_pending_jobs()
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.PAUSED)
    job.refresh_from_db()

    imports.start_import(manager, job, MAPPING, imports.ImportOptions())
    run_pending_jobs()

    job.refresh_from_db()
    assert (job.state, job.imported, job.error_message) == (ImportState.DONE, 1, "")


def test_a_phone_column_must_be_mapped():
    with pytest.raises(ValidationError) as error:
        imports.Mapping.from_json({"columns": [{"column": "name", "target": "last_name"}]})

    assert error.value.message_dict == {"mapping": ["Map at least one column to a phone number."]}


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            [{"column": "a", "target": "phone"}, {"column": "a", "target": "city"}],
            "Column 'a' is mapped twice.",
        ),
        (
            [{"column": "a", "target": "phone"}, {"column": "b", "target": "custom", "name": ""}],
            "Column 'b': name the custom field (letters, digits, spaces, . _ -, at most 50).",
        ),
        (
            [{"column": "a", "target": "phone", "kind": "fax"}],
            "Column 'a': unknown kind of phone 'fax'.",
        ),
        ([{"column": "a", "target": "salary"}], "Column 'a': unknown target 'salary'."),
        (
            [{"column": "a", "target": "phone"}, {"column": "b", "target": "phone", "priority": 0}],
            "Column 'b': the priority is a whole number from 1 to 99.",
        ),
    ],
)
def test_bad_mappings(columns, message):
    with pytest.raises(ValidationError) as error:
        imports.Mapping.from_json({"columns": columns})

    assert error.value.messages == [message]


def test_a_mapped_column_missing_from_the_file(tmp_path, manager, call_list):
    path = write(tmp_path, "name,tel\nAna,0722123456\n")
    job = imports.create_import(manager, call_list, path, path.name)

    with pytest.raises(ValidationError) as error:
        imports.start_import(manager, job, MAPPING, imports.ImportOptions())

    assert error.value.messages[0] == (
        "The file has no column 'external_id', 'first_name', 'last_name', 'phone1', 'phone2', "
        "'city', 'oras'."
    )


def test_auto_mapping_by_header_names():
    mapping, ignored = imports.auto_mapping(
        ["First name", "last_name", "Phone", "phone2", "Mobile", "Notes"]
    )

    assert mapping.to_json()["columns"] == [
        {"column": "First name", "target": "first_name"},
        {"column": "last_name", "target": "last_name"},
        {"column": "Phone", "target": "phone", "kind": "other", "priority": 1},
        {"column": "phone2", "target": "phone", "kind": "other", "priority": 2},
        {"column": "Mobile", "target": "phone", "kind": "mobile", "priority": 3},
    ]
    assert ignored == ["Notes"]


def test_saved_mappings_are_reused_by_name(tmp_path, manager, call_list):
    path = write(tmp_path, HEADER + ROWS[0])
    job = imports.create_import(manager, call_list, path, path.name)
    options = imports.ImportOptions(dedupe_against="client", only_default_country=True)

    imports.start_import(manager, job, MAPPING, options, save_mapping_as="Energia export")
    saved = imports.find_mapping(manager, call_list.client.company_id, "energia EXPORT")

    assert imports.Mapping.from_json(saved.mapping) == MAPPING
    assert imports.ImportOptions.from_json(saved.options) == options
    imports.save_mapping(manager, call_list.client.company_id, "Energia export", MAPPING, options)
    assert ImportMapping.objects.count() == 1


def test_options_are_checked(org, manager, call_list):
    other_company_list = DncList.objects.create(company=org.other_company, name="Theirs")

    with pytest.raises(ValidationError) as scope:
        imports.ImportOptions.from_json({"dedupe_against": "everything"})
    with pytest.raises(ValidationError) as unknown:
        imports.ImportOptions.from_json({"dedupe": True})
    with pytest.raises(ValidationError) as foreign:
        imports._check_dnc_lists(
            manager,
            call_list.client.company_id,
            imports.ImportOptions(dnc_list_ids=(other_company_list.pk,)),
        )

    assert scope.value.messages == ["Deduplicate against one of: none, list, client."]
    assert unknown.value.messages == ["Unknown options: dedupe."]
    assert foreign.value.messages == [
        f"No active do-not-call list {other_company_list.pk} in this company."
    ]


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, Role.QUALITY, Role.BACK_OFFICE])
def test_only_list_managers_may_import(tmp_path, org, call_list, role):
    path = write(tmp_path, HEADER + ROWS[0])

    with pytest.raises(PermissionDenied):
        imports.create_import(org[role], call_list, path, path.name)

    assert not ImportJob.objects.exists()
    assert not list((tmp_path / "media").glob("imports/*"))


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.MANAGER, Role.LOCATION_MANAGER])
def test_administrators_managers_and_location_managers_may_import(tmp_path, org, call_list, role):
    job = run(org[role], call_list, write(tmp_path, HEADER + ROWS[0]))

    assert job.imported == 1


def test_the_worker_takes_each_job_once_oldest_first(tmp_path, manager, call_list):
    jobs = []
    for _ in range(2):
        path = write(tmp_path, HEADER + ROWS[0])
        job = imports.create_import(manager, call_list, path, path.name)
        jobs.append(imports.start_import(manager, job, MAPPING, imports.ImportOptions()))

    first = claim(ImportJob)
    second = claim(ImportJob)

    assert (first.pk, second.pk) == (jobs[0].pk, jobs[1].pk)
    assert claim(ImportJob) is None
    assert first.state == ImportState.RUNNING


def test_jobs_of_a_worker_that_died_are_failed(tmp_path, manager, call_list):
    path = write(tmp_path, HEADER + ROWS[0])
    job = imports.create_import(manager, call_list, path, path.name)
    imports.start_import(manager, job, MAPPING, imports.ImportOptions())
    claim(ImportJob)  # ... and the worker dies before running it

    assert reap_interrupted_jobs() == 1

    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert job.error_message == (
        "The import was interrupted (the worker stopped) and nothing was imported. Start it again."
    )


def test_progress_while_running_comes_from_the_cache(tmp_path, manager, call_list):
    path = write(tmp_path, HEADER + "".join(ROWS))
    job = imports.create_import(manager, call_list, path, path.name)
    imports.start_import(manager, job, MAPPING, imports.ImportOptions())
    running = claim(ImportJob)
    imports.cache.set(imports.progress_key(job.pk), 3, 60)

    progress = imports.job_progress(running)

    assert (progress.rows_read, progress.rows_estimated, progress.percent) == (3, 6, 50)
    assert not progress.is_finished


def test_lookups_in_the_database_when_too_many_numbers_for_memory(
    tmp_path, manager, call_list, org, monkeypatch
):
    monkeypatch.setattr(imports, "MEMORY_NUMBERS_LIMIT", 0)
    dnc.add_to_internal_dnc(org.company, "+40744555666", "agent status")
    old = Lead.objects.create(call_list=call_list, last_name="Old")
    Phone.objects.create(lead=old, number="+40733111222")

    job = run(manager, call_list, write(tmp_path, HEADER + "".join(ROWS)))

    assert (job.rows_read, job.imported, job.duplicates, job.invalid, job.scrubbed) == (
        6,
        1,
        2,
        2,
        1,
    )


def test_a_failed_write_fails_the_job_with_nothing_imported(
    tmp_path, manager, call_list, monkeypatch
):
    def broken(self, texts):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(imports._CopyLeadWriter, "_copy", broken)

    job = run(manager, call_list, write(tmp_path, HEADER + "".join(ROWS)))

    assert job.state == ImportState.FAILED
    assert not Lead.objects.filter(call_list=call_list).exists()
    call_list.refresh_from_db()
    assert call_list.version == 0


def test_lead_ids_are_taken_across_ranges():
    ids = imports._LeadIds(wrapper=None, sequence="unused")
    ids.ranges.extend([range(10, 13), range(20, 22)])

    assert ids.take(2) == [10, 11]
    assert ids.take(2) == [12, 20]
    assert ids.available() == 1
    assert ids.take(1) == [21]


def test_lead_ids_come_from_the_sequence(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('campaigns_lead', 'id')")
        (sequence,) = cursor.fetchone()
    ids = imports._LeadIds(connection, sequence)

    ids.reserve(5)
    taken = ids.take(5)

    assert taken == list(range(taken[0], taken[0] + 5))


def test_more_rows_than_estimated_get_more_ids(tmp_path, manager, call_list, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    body = "".join(f"L{index};0722{index:06d}\n" for index in range(1500))
    job = imports.create_import(
        manager, call_list, write(tmp_path, "last_name;phone\n" + body), "x"
    )
    ImportJob.objects.filter(pk=job.pk).update(rows_estimated=0)  # a bad estimate: 1,000 ids
    mapping = imports.Mapping.from_json(
        {
            "columns": [
                {"column": "phone", "target": "phone"},
                {"column": "last_name", "target": "last_name"},
            ]
        }
    )
    imports.start_import(manager, job, mapping, imports.ImportOptions())

    run_pending_jobs()

    job.refresh_from_db()
    assert (job.state, job.imported) == (ImportState.DONE, 1500)
    assert Lead.objects.filter(call_list=call_list).values("id").distinct().count() == 1500
