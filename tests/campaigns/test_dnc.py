"""Do-not-call lists: numbers added and removed (audited), the internal list, the dialer's check,
and imports of files of numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dialcrm.campaigns import dnc
from dialcrm.campaigns.choices import DncKind, ImportState
from dialcrm.campaigns.models import DncImportJob, DncList, DncNumber
from dialcrm.core import audit
from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import AuditEntry
from dialcrm.core.worker import run_pending_jobs


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def national(org):
    return DncList.objects.create(company=org.company, name="National register")


@pytest.fixture
def manager(org):
    return org[Role.LOCATION_MANAGER]


def numbers_of(dnc_list) -> list[str]:
    return sorted(DncNumber.objects.filter(dnc_list=dnc_list).values_list("number", flat=True))


def test_a_number_is_added_once_normalised_and_audited(manager, national):
    entry, created = dnc.add_number(manager, national, "0722 123 456", "RO", source="a call")
    again, created_again = dnc.add_number(manager, national, "+40722123456")

    assert (entry.number, created, created_again, again.pk) == (
        "+40722123456",
        True,
        False,
        entry.pk,
    )
    entries = AuditEntry.objects.filter(object_type="campaigns.dnclist", object_id=str(national.pk))
    assert [(item.action, item.changes) for item in entries] == [
        (AuditAction.CREATE, {"numbers": [None, "+40722123456"]})
    ]
    assert entries[0].company_id == national.company_id


def test_an_invalid_number_is_refused(manager, national):
    with pytest.raises(ValidationError) as error:
        dnc.add_number(manager, national, "07x1")

    assert error.value.message_dict == {"number": ["'07x1' is not a valid number for RO."]}
    assert not DncNumber.objects.exists()


def test_a_number_is_removed_and_audited(manager, national):
    dnc.add_number(manager, national, "0722123456")

    removed = dnc.remove_number(manager, national, "0722 123 456")
    removed_again = dnc.remove_number(manager, national, "+40722123456")

    assert (removed, removed_again) == (True, False)
    assert numbers_of(national) == []
    assert AuditEntry.objects.filter(action=AuditAction.DELETE).get().changes == {
        "numbers": ["+40722123456", None]
    }


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, Role.QUALITY, "other_admin"])
def test_only_set_up_and_back_office_people_change_lists(org, national, role):
    with pytest.raises(PermissionDenied):
        dnc.add_number(org[role], national, "0722123456")

    assert not DncNumber.objects.exists()


def test_back_office_may_change_lists(org, national):
    dnc.add_number(org[Role.BACK_OFFICE], national, "0722123456")

    assert numbers_of(national) == ["+40722123456"]


def test_an_agents_do_not_call_status_fills_the_internal_list(org):
    with audit.acting_as(audit.Actor(staff_id=org[Role.AGENT].pk)):
        added = dnc.add_to_internal_dnc(org.company, "+40722123456", "status DNC, call 17")
    added_again = dnc.add_to_internal_dnc(org.company.pk, "+40722123456", "again")

    internal = DncList.objects.get(company=org.company, kind=DncKind.INTERNAL)
    assert (added, added_again) == (True, False)
    assert internal.name == "Internal do-not-call list"
    assert numbers_of(internal) == ["+40722123456"]
    assert DncNumber.objects.get().source == "status DNC, call 17"
    entry = AuditEntry.objects.get(object_type="campaigns.dnclist", changes__has_key="numbers")
    assert (entry.staff_id, entry.changes) == (
        org[Role.AGENT].pk,
        {"numbers": [None, "+40722123456"]},
    )


def test_is_blocked_checks_the_companys_active_lists(org, manager, national):
    unused = DncList.objects.create(company=org.company, name="Old register", is_active=False)
    theirs = DncList.objects.create(company=org.other_company, name="Theirs")
    dnc.add_number(manager, national, "0722000001")
    DncNumber.objects.create(dnc_list=unused, number="+40722000002")
    DncNumber.objects.create(dnc_list=theirs, number="+40722000003")
    dnc.add_to_internal_dnc(org.company, "+40722000004")
    asked = ["+40722000001", "+40722000002", "+40722000003", "+40722000004", "+40722000005"]

    assert dnc.is_blocked(org.company.pk, asked) == {"+40722000001", "+40722000004"}
    # A campaign's own lists, and always the internal one:
    assert dnc.is_blocked(org.company.pk, asked, dnc_list_ids=[]) == {"+40722000004"}
    assert dnc.is_blocked(org.company.pk, asked, dnc_list_ids=[theirs.pk]) == {"+40722000004"}
    assert dnc.is_blocked(org.company.pk, []) == set()


def test_one_internal_list_per_company(org, manager):
    internal = dnc.internal_list(org.company.pk)

    with pytest.raises(ValidationError) as second:
        dnc.save_dnc_list(
            manager, DncList(), {"company": org.company, "name": "Mine", "kind": DncKind.INTERNAL}
        )
    with pytest.raises(ValidationError) as kind:
        dnc.save_dnc_list(manager, internal, {"kind": DncKind.IMPORTED})
    with pytest.raises(ValidationError) as deactivate:
        dnc.deactivate_dnc_list(manager, internal)

    assert second.value.message_dict == {
        "kind": ["This company has its internal list already: add numbers to it."]
    }
    assert kind.value.message_dict == {"kind": ["The internal list stays internal."]}
    assert deactivate.value.messages == [
        "The internal list holds the people who asked not to be called: it stays active."
    ]
    internal.refresh_from_db()
    assert (internal.kind, internal.is_active) == (DncKind.INTERNAL, True)


def test_search_numbers(manager, national):
    for number in ("0722000001", "0722000002", "0213123456"):
        dnc.add_number(manager, national, number)

    assert [entry.number for entry in dnc.search_numbers(national, "0722 000 002")] == [
        "+40722000002"
    ]
    assert [entry.number for entry in dnc.search_numbers(national, "72200")] == [
        "+40722000001",
        "+40722000002",
    ]
    assert dnc.search_numbers(national).count() == 3
    assert dnc.search_numbers(national, "abc").count() == 0


def write(tmp_path: Path, text: str | bytes, name: str = "numbers.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def import_numbers(actor, dnc_list, path, column=None) -> DncImportJob:
    job = dnc.create_dnc_import(actor, dnc_list, path, path.name)
    dnc.start_dnc_import(actor, job, column)
    assert run_pending_jobs() == 1
    job.refresh_from_db()
    return job


def test_import_a_file_of_numbers(tmp_path, manager, national):
    dnc.add_number(manager, national, "0722000001")
    path = write(
        tmp_path,
        "Nume;Telefon\nA;0722 000 001\nB;+40 722 000 002\nC;0040722000002\nD;07x1\nE;\n",
    )

    job = import_numbers(manager, national, path)

    assert job.column == "Telefon"
    assert (job.state, job.rows_read, job.imported, job.duplicates, job.invalid) == (
        ImportState.DONE,
        5,
        1,
        2,
        2,
    )
    assert numbers_of(national) == ["+40722000001", "+40722000002"]
    with Path(job.errors_file).open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle))[1:] == [
            ["5", "Telefon", "07x1", "invalid", "'07x1' is not a valid number for RO"],
            ["6", "Telefon", "", "invalid", "no number"],
        ]
    started = AuditEntry.objects.get(object_type="campaigns.dncimportjob")
    assert started.changes == {"state": ["uploaded", "queued"]}
    finished = AuditEntry.objects.get(summary__startswith="1 numbers imported")
    assert (finished.staff_id, finished.changes) == (manager.pk, {"numbers": [None, "+1"]})


def test_a_failed_numbers_import_adds_nothing(tmp_path, manager, national):
    body = "".join(f"07220{index:05d}\n" for index in range(3000)).encode()
    path = write(tmp_path, b"phone\n" + body + "Ş\n".encode("cp1250"))
    job = dnc.create_dnc_import(manager, national, path, path.name, encoding="utf-8")
    dnc.start_dnc_import(manager, job)

    run_pending_jobs()

    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert job.error_message.startswith("The file is not valid utf-8 text (at row 3002).")
    assert numbers_of(national) == []


def test_a_missing_column_is_refused(tmp_path, manager, national):
    job = dnc.create_dnc_import(manager, national, write(tmp_path, "phone\n0722000001\n"), "x.csv")

    with pytest.raises(ValidationError) as error:
        dnc.start_dnc_import(manager, job, "Telefon")

    assert error.value.message_dict == {"column": ["The file has no column 'Telefon'."]}
    job.refresh_from_db()
    assert job.state == ImportState.UPLOADED


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, "other_admin"])
def test_only_people_who_change_the_list_import_into_it(tmp_path, org, national, role):
    with pytest.raises(PermissionDenied):
        dnc.create_dnc_import(org[role], national, write(tmp_path, "phone\n0722000001\n"), "x")

    assert not DncImportJob.objects.exists()
