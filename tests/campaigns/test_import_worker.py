"""The background worker: `dialcrm worker --once`, and the loop the demo runs in a thread."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command

from dialcrm.campaigns import dnc, imports
from dialcrm.campaigns.choices import ImportState
from dialcrm.campaigns.models import CallList, Client, DncImportJob, DncList, ImportJob
from dialcrm.core.choices import Role
from dialcrm.core.worker import run_worker_forever

MAPPING = imports.Mapping.from_json({"columns": [{"column": "phone", "target": "phone"}]})


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def queued(org, tmp_path):
    """A queued list import and a queued do-not-call import."""
    manager = org[Role.LOCATION_MANAGER]
    client = Client.objects.create(company=org.company, name="Energia SA")
    call_list = CallList.objects.create(client=client, name="Prospects")
    leads = tmp_path / "leads.csv"
    leads.write_text("phone\n0722000001\n", encoding="utf-8")
    job = imports.create_import(manager, call_list, leads, leads.name)
    imports.start_import(manager, job, MAPPING, imports.ImportOptions())
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("phone\n0733000001\n", encoding="utf-8")
    dnc_list = DncList.objects.create(company=org.company, name="National register")
    dnc.start_dnc_import(manager, dnc.create_dnc_import(manager, dnc_list, numbers, "n.csv"))
    return job


def test_worker_once_runs_every_queued_job(queued):
    out = io.StringIO()

    call_command("worker", "--once", stdout=out)

    assert out.getvalue() == "2 job(s) run.\n"
    assert ImportJob.objects.get().state == ImportState.DONE
    assert DncImportJob.objects.get().state == ImportState.DONE


class OneRound(threading.Event):
    """A stop event that lets the loop go round once."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def is_set(self) -> bool:
        self.asked += 1
        return self.asked > 1


def test_the_loop_runs_jobs_until_stopped(queued):
    run_worker_forever(OneRound(), poll_seconds=0)

    assert ImportJob.objects.get().state == ImportState.DONE
    assert DncImportJob.objects.get().state == ImportState.DONE


def test_the_loop_stops_at_once_when_asked(queued):
    stop = threading.Event()
    stop.set()

    run_worker_forever(stop)

    assert ImportJob.objects.get().state == ImportState.QUEUED
