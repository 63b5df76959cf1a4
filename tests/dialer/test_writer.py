"""The engine's records thread: queued work in order, batched into transactions; calls of a
function marked `runs_together` run as one; a failing batch runs again one by one."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection

from dialcrm.campaigns.models import Lead
from dialcrm.dialer import store
from dialcrm.dialer.models import CallAttempt
from dialcrm.dialer.writer import RecordWriter, runs_together
from tests.dialer.engine.conftest import make_running_campaign

calls: list[tuple[str, Any]] = []


def note_many(arguments: list[tuple[Any, ...]]) -> list[str]:
    calls.append(("many", [value for (value,) in arguments]))
    return [f"stored {value}" for (value,) in arguments]


@runs_together(note_many)
def note(value: int) -> str:
    calls.append(("one", value))
    return f"stored {value}"


def other(value: int) -> str:
    calls.append(("other", value))
    return f"other {value}"


def fails_on_three(arguments: list[tuple[Any, ...]]) -> list[str]:
    if any(value == 3 for (value,) in arguments):
        raise ValueError("three is refused")
    return note_many(arguments)


@runs_together(fails_on_three)
def refuse_three(value: int) -> str:
    if value == 3:
        raise ValueError("three is refused")
    calls.append(("one", value))
    return f"stored {value}"


def _queue_behind_a_gate(writer: RecordWriter, work: list[tuple[Any, int]]) -> list[Any]:
    """Queue `work` while the thread is held, so that it all runs as one batch."""
    gate = threading.Event()
    writer.submit(gate.wait, alone=True)
    futures = [writer.submit(function, value) for function, value in work]
    gate.set()
    return futures


@pytest.fixture
def writer() -> Any:
    calls.clear()
    records = RecordWriter(name="test-records")
    yield records
    records.shutdown()


@pytest.mark.django_db(transaction=True)
def test_calls_queued_together_run_as_one_in_order(writer: RecordWriter) -> None:
    futures = _queue_behind_a_gate(
        writer, [(note, 1), (note, 2), (note, 3), (other, 4), (note, 5), (note, 6)]
    )

    results = [future.result(timeout=10) for future in futures]

    assert results == ["stored 1", "stored 2", "stored 3", "other 4", "stored 5", "stored 6"]
    assert calls == [("many", [1, 2, 3]), ("other", 4), ("many", [5, 6])]


@pytest.mark.django_db(transaction=True)
def test_a_lone_call_runs_in_its_own_form(writer: RecordWriter) -> None:
    assert writer.submit(note, 7).result(timeout=10) == "stored 7"
    assert calls == [("one", 7)]


@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_runs_again_one_by_one(writer: RecordWriter) -> None:
    futures = _queue_behind_a_gate(writer, [(refuse_three, value) for value in (1, 2, 3, 4)])

    for value, future in zip((1, 2, 4), (futures[0], futures[1], futures[3]), strict=True):
        assert future.result(timeout=10) == f"stored {value}"
    with pytest.raises(ValueError, match="three is refused"):
        futures[2].result(timeout=10)
    assert calls == [("one", 1), ("one", 2), ("one", 4)]


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_call_is_left_out_of_its_batch(writer: RecordWriter) -> None:
    gate = threading.Event()
    writer.submit(gate.wait, alone=True)
    first, cancelled, last = (writer.submit(note, value) for value in (1, 2, 3))
    assert cancelled.cancel()
    gate.set()

    assert (first.result(timeout=10), last.result(timeout=10)) == ("stored 1", "stored 3")
    assert calls == [("many", [1, 3])]


def _attempts_for(leads: list[Lead], settings: store.CampaignSettings) -> list[Any]:
    now_s = time.time()
    return [
        (
            settings,
            store.HopperLead(
                lead_id=lead.pk,
                phone_id=lead.phones.get().pk,
                number=lead.phones.get().number,
                time_zone="UTC",
                list_id=lead.call_list_id,
                region="",
                attempts=0,
                last_outcome="",
                is_callback=False,
                due_at_s=0.0,
            ),
            str(uuid.uuid4()),
            now_s + index,
        )
        for index, lead in enumerate(leads)
    ]


@pytest.mark.parametrize("vendor", ["postgresql", "portable"])
@pytest.mark.django_db
def test_attempts_of_many_dials_are_stored_at_once(
    org: Any, vendor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL takes them with COPY, other databases (the demo's SQLite) with one INSERT of
    many rows: the same records either way, each with its fields' defaults."""
    running = make_running_campaign(org, leads=3)
    settings = store.load_campaign(running.campaign.pk)
    dials = _attempts_for(list(Lead.objects.order_by("pk")), settings)
    if vendor == "portable":
        monkeypatch.setattr(connection, "vendor", "sqlite")

    assert store.create_attempts(dials) == [None, None, None]

    stored = list(CallAttempt.objects.order_by("dialed_at"))
    assert [str(attempt.call_id) for attempt in stored] == [call_id for _, _, call_id, _ in dials]
    assert [attempt.lead_id for attempt in stored] == [lead.lead_id for _, lead, _, _ in dials]
    assert [attempt.dialed_at.timestamp() for attempt in stored] == pytest.approx(
        [now_s for *_, now_s in dials]
    )
    first = stored[0]
    assert (first.campaign_id, first.number, first.mode) == (
        running.campaign.pk,
        dials[0][1].number,
        settings.dial_mode,
    )
    assert (first.outcome, first.is_abandoned, first.cause, first.agent_id) == (
        "in_progress",
        False,
        "",
        None,
    )
