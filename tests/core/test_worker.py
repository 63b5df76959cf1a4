"""The background worker's periodic work and its registry (queues: tests/campaigns/test_import_worker.py)."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from dialcrm.core import worker


class Rounds(threading.Event):
    """A stop event that lets the loop go round `rounds` times."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = rounds

    def is_set(self) -> bool:
        self.rounds -= 1
        return self.rounds < 0


@pytest.fixture
def periodic(monkeypatch):
    registered: list[worker.PeriodicWork] = []
    monkeypatch.setattr(worker, "PERIODIC", registered)
    return registered


def backlog(items: int, seen: list[datetime]):
    """Periodic work with `items` due, handled two at a time."""
    left = [items]

    def run(now: datetime) -> int:
        seen.append(now)
        handled = min(2, left[0])
        left[0] -= handled
        return handled

    return run


def test_periodic_work_goes_round_again_while_there_is_work(periodic, db):
    seen: list[datetime] = []
    worker.register_periodic(worker.PeriodicWork("backlog", backlog(5, seen), every_seconds=3600))

    worker.run_worker_forever(Rounds(5), poll_seconds=0)

    # 2 + 2 + 1 handled, then a round with nothing: not again within the hour
    assert len(seen) == 4
    assert all(moment.tzinfo is not None for moment in seen)


def test_failing_periodic_work_does_not_stop_the_rest(periodic, db):
    seen: list[datetime] = []

    def broken(now: datetime) -> int:
        raise RuntimeError("the SMTP server is down")

    worker.register_periodic(worker.PeriodicWork("broken", broken))
    worker.register_periodic(worker.PeriodicWork("backlog", backlog(1, seen)))

    worker.run_worker_forever(Rounds(1), poll_seconds=0)

    assert len(seen) == 1


def test_once_runs_periodic_work_until_nothing_is_due(periodic, db):
    seen: list[datetime] = []
    worker.register_periodic(worker.PeriodicWork("backlog", backlog(5, seen), every_seconds=3600))

    assert worker.run_pending_jobs() == 5
    assert len(seen) == 4


def test_names_and_lock_namespaces_are_unique(periodic):
    worker.register_periodic(worker.PeriodicWork("backlog", backlog(0, [])))
    with pytest.raises(ValueError, match="registered already"):
        worker.register_periodic(worker.PeriodicWork("backlog", backlog(0, [])))
    known = worker.QUEUES[0]
    with pytest.raises(ValueError, match="clashes"):
        worker.register_queue(
            worker.JobQueue(
                "another", known.model, known.run, known.interrupted, "q", "r", known.lock_namespace
            )
        )
