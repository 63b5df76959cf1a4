"""The background worker: takes queued list imports and do-not-call imports and runs them.

`dialcrm worker` runs `run_worker_forever` in its own process (run several: each job is taken
by one worker only, with `SELECT ... FOR UPDATE SKIP LOCKED`); the demo runs the same loop in a
thread. While a worker runs a job it holds a PostgreSQL advisory lock on it, so a job left
"running" by a worker that died (its lock gone with its connection) is found and marked failed;
its import was one transaction, so nothing of it was written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import close_old_connections, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialcrm.campaigns.choices import ImportState
from dialcrm.campaigns.dnc import run_dnc_import
from dialcrm.campaigns.import_jobs import fail_job
from dialcrm.campaigns.imports import run_import
from dialcrm.campaigns.models import DncImportJob, ImportJob

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
REAP_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class _Queue:
    """A kind of job: its model, how it is run, and its advisory-lock namespace."""

    model: type[models.Model]
    run: Callable[[int], Any]
    lock_namespace: int


QUEUES = (
    _Queue(ImportJob, run_import, 73_001),
    _Queue(DncImportJob, run_dnc_import, 73_002),
)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def claim(model: type[models.Model], job_id: int | None = None) -> Any | None:
    """Take the oldest queued job (or this one), marking it running; None if there is none.
    Workers never take the same job: the row is locked, and others skip locked rows."""
    with transaction.atomic():
        queued = model.objects.select_for_update(skip_locked=True).filter(  # type: ignore[attr-defined]
            state=ImportState.QUEUED
        )
        if job_id is not None:
            queued = queued.filter(pk=job_id)
        job = queued.order_by("created_at", "pk").first()
        if job is None:
            return None
        job.state = ImportState.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["state", "started_at"])
        return job


@contextmanager
def _holding(queue: _Queue, job_id: int) -> Iterator[None]:
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


def run_job(queue: _Queue, job: Any) -> None:
    with _holding(queue, job.pk):
        queue.run(job.pk)


def run_claimed(model: type[models.Model], job: Any) -> None:
    """Run a job claimed with `claim` (the CLI runs its own import this way)."""
    run_job(next(queue for queue in QUEUES if queue.model is model), job)


def run_pending_jobs() -> int:
    """Run queued jobs until there are none; how many ran."""
    count = 0
    while True:
        ran = False
        for queue in QUEUES:
            job = claim(queue.model)
            if job is not None:
                run_job(queue, job)
                count += 1
                ran = True
        if not ran:
            return count


def reap_interrupted_jobs(*, only_worker: bool = False) -> int:
    """Mark failed the jobs left running by a worker that stopped.

    On PostgreSQL a job is orphaned when nobody holds its advisory lock. Elsewhere (the demo's
    embedded database, one worker) every running job is orphaned when the worker starts
    (`only_worker=True`).
    """
    if not _is_postgres() and not only_worker:
        return 0
    message = _(
        "The import was interrupted (the worker stopped) and nothing was imported. Start it again."
    )
    count = 0
    for queue in QUEUES:
        running = queue.model.objects.filter(state=ImportState.RUNNING)  # type: ignore[attr-defined]
        for job in running:
            if _is_postgres() and not _is_orphaned(queue, job.pk):
                continue
            fail_job(job, message)
            count += 1
    return count


def _is_orphaned(queue: _Queue, job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [queue.lock_namespace, job_id])
        (acquired,) = cursor.fetchone()
        if acquired:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [queue.lock_namespace, job_id])
    return bool(acquired)


def run_worker_forever(stop_event: threading.Event, poll_seconds: float = POLL_SECONDS) -> None:
    """Run jobs as they are queued until `stop_event` is set (a thread or a process)."""
    logger.info("import worker started")
    reap_interrupted_jobs(only_worker=True)
    last_reap = time.monotonic()
    while not stop_event.is_set():
        try:
            if not connection.in_atomic_block:  # (a test's transaction)
                close_old_connections()  # a connection broken or too old is opened again
            ran = run_pending_jobs()
            if time.monotonic() - last_reap > REAP_EVERY_SECONDS:
                reap_interrupted_jobs()
                last_reap = time.monotonic()
        except Exception:  # the database went away, say: log, wait, try again
            logger.exception("import worker: a round failed")
            ran = 0
        if not ran:
            stop_event.wait(poll_seconds)
    logger.info("import worker stopped")
