"""The background worker: runs the jobs and the periodic work that apps register with it.

`dialcrm worker` runs `run_worker_forever` in its own process (run several side by side); the demo
runs the same loop in a thread of the web process (`WORKER_IN_PROCESS`). Apps register their work
in their `AppConfig.ready()`, in one of two shapes:

**A queue of jobs** (`register_queue(JobQueue(...))`): rows of a model with a `state` field, a
`created_at` and a `started_at`, created in state `queued_state` by a service. The worker takes the
oldest queued row with `SELECT ... FOR UPDATE SKIP LOCKED` (so two workers never take the same
job), marks it `running_state`, and calls `run(job_id)` while holding a PostgreSQL advisory lock
`(lock_namespace, job_id)`. A job left running by a worker that died has no lock holder any more:
the worker finds it and hands it to `interrupted(job)` (which marks it failed, say). Each queue
has its own `lock_namespace` (a number unique in the project). List imports work this way.

**Periodic work** (`register_periodic(PeriodicWork(...))`): a function `run(now)` called every
`every_seconds`, which handles what is due at `now` and answers how many items it handled (the
worker goes round again at once while there is work). Due rows are taken with `claim_due`: rows
whose due time (e.g. `next_attempt_at`) has come, locked with SKIP LOCKED and pushed forward by a
lease in one short transaction, so another worker skips them while this one works outside any
transaction (an HTTP call, an e-mail); the function then writes the outcome and the next due time.
A worker that dies mid-item leaves the row to be taken again when the lease runs out. Webhook
deliveries work this way.

    from datetime import timedelta
    from dialcrm.core import worker

    def send_due(now):
        for delivery in worker.claim_due(
            Delivery.objects.filter(state="pending"), "next_attempt_at", now,
            lease=timedelta(minutes=2), limit=50,
        ):
            ...  # send, then save the outcome and the next attempt time
        return handled

    worker.register_periodic(worker.PeriodicWork("webhook deliveries", send_due, every_seconds=1))
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, connection, models, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
REAP_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class JobQueue:
    """A kind of job: its model, how it is run, how a job interrupted by a dead worker is closed,
    the states that mean queued and running, and its advisory-lock namespace."""

    name: str
    model: type[models.Model]
    run: Callable[[int], Any]
    interrupted: Callable[[Any], Any]
    queued_state: str
    running_state: str
    lock_namespace: int


@dataclass(frozen=True)
class PeriodicWork:
    """Work done every `every_seconds`: `run(now)` handles what is due and says how much it did."""

    name: str
    run: Callable[[datetime], int]
    every_seconds: float = POLL_SECONDS


QUEUES: list[JobQueue] = []
PERIODIC: list[PeriodicWork] = []


def register_queue(queue: JobQueue) -> None:
    """Let the worker run this queue's jobs (from an `AppConfig.ready()`)."""
    for known in QUEUES:
        if known.name == queue.name or known.lock_namespace == queue.lock_namespace:
            raise ValueError(f"queue {queue.name!r} clashes with {known.name!r}")
    QUEUES.append(queue)


def register_periodic(work: PeriodicWork) -> None:
    """Let the worker do this periodic work (from an `AppConfig.ready()`)."""
    if any(known.name == work.name for known in PERIODIC):
        raise ValueError(f"periodic work {work.name!r} is registered already")
    PERIODIC.append(work)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def queue_of(model: type[models.Model]) -> JobQueue:
    return next(queue for queue in QUEUES if queue.model is model)


def claim(model: type[models.Model], job_id: int | None = None) -> Any | None:
    """Take the oldest queued job of this model (or this one), marking it running; None if there is
    none. Workers never take the same job: the row is locked, and others skip locked rows."""
    queue = queue_of(model)
    with transaction.atomic():
        queued = model.objects.select_for_update(skip_locked=True).filter(  # type: ignore[attr-defined]
            state=queue.queued_state
        )
        if job_id is not None:
            queued = queued.filter(pk=job_id)
        job = queued.order_by("created_at", "pk").first()
        if job is None:
            return None
        job.state = queue.running_state
        job.started_at = timezone.now()
        job.save(update_fields=["state", "started_at"])
        return job


def claim_due(
    rows: models.QuerySet[Any],
    due_field: str,
    now: datetime,
    *,
    lease: timedelta,
    limit: int,
) -> list[Any]:
    """Take up to `limit` rows whose `due_field` has come (oldest first), skipping rows another
    worker holds, and push their due time to `now + lease` so nobody takes them meanwhile."""
    with transaction.atomic():
        due = list(
            rows.select_for_update(skip_locked=True, of=("self",))  # not joined rows
            .filter(**{f"{due_field}__lte": now})
            .order_by(due_field, "pk")[:limit]
        )
        if due:
            rows.model.objects.filter(pk__in=[row.pk for row in due]).update(
                **{due_field: now + lease}
            )
        return due


@contextmanager
def _holding(queue: JobQueue, job_id: int) -> Iterator[None]:
    """The advisory lock that tells other workers this job's worker is alive."""
    if not _is_postgres():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [queue.lock_namespace, job_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [queue.lock_namespace, job_id])


def run_claimed(job: Any) -> None:
    """Run a job claimed with `claim` (the import command runs its own import this way)."""
    queue = queue_of(type(job))
    with _holding(queue, job.pk):
        queue.run(job.pk)


def run_queued_jobs() -> int:
    """Run queued jobs until there are none; how many ran."""
    count = 0
    while True:
        ran = False
        for queue in QUEUES:
            job = claim(queue.model)
            if job is not None:
                run_claimed(job)
                count += 1
                ran = True
        if not ran:
            return count


def run_pending_jobs() -> int:
    """Run every queued job and all the periodic work due now, until nothing is left; how many
    jobs and items were handled (`dialcrm worker --once`, tests)."""
    count = run_queued_jobs()
    for work in PERIODIC:
        while handled := work.run(timezone.now()):
            count += handled
    return count


def reap_interrupted_jobs(*, only_worker: bool = False) -> int:
    """Close the jobs left running by a worker that stopped.

    On PostgreSQL a job is orphaned when nobody holds its advisory lock. Elsewhere (the demo's
    embedded database, one worker) every running job is orphaned when the worker starts
    (`only_worker=True`).
    """
    if not _is_postgres() and not only_worker:
        return 0
    count = 0
    for queue in QUEUES:
        running = queue.model.objects.filter(state=queue.running_state)  # type: ignore[attr-defined]
        for job in running:
            if _is_postgres() and not _is_orphaned(queue, job.pk):
                continue
            queue.interrupted(job)
            count += 1
    return count


def _is_orphaned(queue: JobQueue, job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [queue.lock_namespace, job_id])
        (acquired,) = cursor.fetchone()
        if acquired:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [queue.lock_namespace, job_id])
    return bool(acquired)


def _run_periodic(last_run: dict[str, float]) -> int:
    """Do the periodic work whose time has come; how many items were handled."""
    handled = 0
    for work in PERIODIC:
        if time.monotonic() - last_run.get(work.name, float("-inf")) < work.every_seconds:
            continue
        try:
            done = work.run(timezone.now())
        except Exception:  # one kind of work failing does not stop the others
            logger.exception("worker: %s failed", work.name)
            done = 0
        if not done:  # while there is work, go again at once
            last_run[work.name] = time.monotonic()
        handled += done
    return handled


def run_worker_forever(stop_event: threading.Event, poll_seconds: float = POLL_SECONDS) -> None:
    """Run jobs as they are queued and periodic work as it falls due, until `stop_event` is set
    (a thread or a process)."""
    logger.info("worker started")
    reap_interrupted_jobs(only_worker=True)
    last_reap = time.monotonic()
    last_run: dict[str, float] = {}
    while not stop_event.is_set():
        try:
            if not connection.in_atomic_block:  # (a test's transaction)
                close_old_connections()  # a connection broken or too old is opened again
            done = run_queued_jobs() + _run_periodic(last_run)
            if time.monotonic() - last_reap > REAP_EVERY_SECONDS:
                reap_interrupted_jobs()
                last_reap = time.monotonic()
        except Exception:  # the database went away, say: log, wait, try again
            logger.exception("worker: a round failed")
            done = 0
        if not done:
            stop_event.wait(poll_seconds)
    logger.info("worker stopped")
