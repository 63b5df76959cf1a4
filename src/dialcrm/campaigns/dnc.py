"""Do-not-call lists: numbers never to be called.

Each company has one internal list, filled by agents' do-not-call statuses
(`add_to_internal_dnc`), and any number of imported lists (national registers, millions of
numbers), filled one number at a time or from files through the worker. Lists are checked when
leads are imported (scrubbing) and by the dialer before every dial (`is_blocked`).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dialcrm.campaigns.choices import DncKind, ImportState
from dialcrm.campaigns.import_files import ImportFileError, open_table, preview
from dialcrm.campaigns.import_jobs import (
    PROBLEM_COLUMNS,
    fail_job,
    file_settings,
    language_of,
    prepare_upload,
    preview_job,
    progress_key,
    upload_dir,
)
from dialcrm.campaigns.models import DncImportJob, DncList, DncNumber
from dialcrm.campaigns.phones import Normalised, PhoneNormaliser, is_known_country
from dialcrm.core import audit
from dialcrm.core.choices import AuditAction
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, can, may
from dialcrm.core.services import deactivate_object, save_object

logger = logging.getLogger(__name__)

_PROBE_BATCH = 500  # numbers per query where the database has no arrays
_CHUNK_ROWS = 20_000
_ANALYZE_AFTER = 10_000
PROGRESS_KIND = "dnc"


# --- lists -----------------------------------------------------------------------------------


def save_dnc_list(actor: Any, dnc_list: DncList, values: dict[str, Any]) -> DncList:
    """Create or change a list; a company has one internal list (created when first needed)."""
    kind = values.get("kind", dnc_list.kind)
    company = values.get("company", getattr(dnc_list, "company", None))
    if kind == DncKind.INTERNAL and company is not None:
        others = DncList.objects.filter(company=company, kind=DncKind.INTERNAL)
        if dnc_list.pk:
            others = others.exclude(pk=dnc_list.pk)
        if others.exists():
            raise ValidationError(
                {"kind": _("This company has its internal list already: add numbers to it.")}
            )
    if dnc_list.pk and dnc_list.kind == DncKind.INTERNAL and kind != DncKind.INTERNAL:
        raise ValidationError({"kind": _("The internal list stays internal.")})
    return save_object(actor, dnc_list, values)


def deactivate_dnc_list(actor: Any, dnc_list: DncList) -> DncList:
    """Stop checking a list (its numbers are kept). The internal list is always checked."""
    if dnc_list.kind == DncKind.INTERNAL:
        raise ValidationError(
            _("The internal list holds the people who asked not to be called: it stays active.")
        )
    return deactivate_object(actor, dnc_list)


def internal_list(company_id: int) -> DncList:
    """The company's internal list, created on first use."""
    found = DncList.objects.filter(company_id=company_id, kind=DncKind.INTERNAL).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return DncList.objects.create(
                company_id=company_id,
                kind=DncKind.INTERNAL,
                name=_("Internal do-not-call list"),
                description=_("Numbers of people who asked an agent not to be called again."),
            )
    except IntegrityError:  # created meanwhile by another process, or the name is taken
        found = DncList.objects.filter(company_id=company_id, kind=DncKind.INTERNAL).first()
        if found is None:
            raise
        return found


# --- numbers ---------------------------------------------------------------------------------


def normalise_number(raw: str, country: str = "RO") -> str:
    """A number as E.164, or a ValidationError saying why not."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError({"number": _("Enter a phone number.")})
    if not is_known_country(country):
        raise ValidationError(
            {"country": _("Unknown country '%(country)s'.") % {"country": country}}
        )
    result = PhoneNormaliser(country).normalise(raw)
    if not isinstance(result, Normalised):
        raise ValidationError(
            {
                "number": _("'%(value)s' is not a valid number for %(country)s.")
                % {"value": raw[:50], "country": country.upper()}
            }
        )
    return result.e164


def _check_may_change(actor: Any, dnc_list: DncList) -> None:
    if not can(actor, CHANGE, dnc_list):
        raise PermissionDenied(_("You may not change this do-not-call list."))


def add_number(
    actor: Any, dnc_list: DncList, raw: str, country: str = "RO", source: str = ""
) -> tuple[DncNumber, bool]:
    """Put a number on a list (audited); (the entry, whether it was added now)."""
    _check_may_change(actor, dnc_list)
    number = normalise_number(raw, country)
    with transaction.atomic():
        entry, created = DncNumber.objects.get_or_create(
            dnc_list=dnc_list, number=number, defaults={"source": source[:100]}
        )
        if created:
            audit.record(
                AuditAction.CREATE,
                instance=dnc_list,
                changes={"numbers": [None, number]},
                summary=f"{number} added to do-not-call list '{dnc_list}'",
            )
    return entry, created


def remove_number(actor: Any, dnc_list: DncList, raw: str, country: str = "RO") -> bool:
    """Take a number off a list (audited); False when it was not on it."""
    _check_may_change(actor, dnc_list)
    number = raw.strip() if raw.strip().startswith("+") else normalise_number(raw, country)
    with transaction.atomic():
        deleted, _counts = DncNumber.objects.filter(dnc_list=dnc_list, number=number).delete()
        if deleted:
            audit.record(
                AuditAction.DELETE,
                instance=dnc_list,
                changes={"numbers": [number, None]},
                summary=f"{number} removed from do-not-call list '{dnc_list}'",
            )
    return bool(deleted)


def add_to_internal_dnc(company: Any, number: str, source: str = "") -> bool:
    """Put a number (E.164) on the company's internal list: called when an agent sets a
    do-not-call status. True when it was not there yet. Audited as the person acting, if any."""
    company_id = company if isinstance(company, int) else company.pk
    dnc_list = internal_list(company_id)
    with transaction.atomic():
        _entry, created = DncNumber.objects.get_or_create(
            dnc_list=dnc_list, number=number, defaults={"source": source[:100]}
        )
        if created and audit.current_actor() is not None:
            audit.record(
                AuditAction.CREATE,
                instance=dnc_list,
                changes={"numbers": [None, number]},
                summary=f"{number} added to the internal do-not-call list ({source[:80]})",
            )
    return created


def lists_to_check(
    company_id: int, dnc_list_ids: Iterable[int] = (), include_internal: bool = True
) -> list[int]:
    """The active lists to check: the given ones of the company, and its internal lists."""
    condition = Q(pk__in=list(dnc_list_ids))
    if include_internal:
        condition |= Q(kind=DncKind.INTERNAL)
    return list(
        DncList.objects.filter(condition, company_id=company_id, is_active=True).values_list(
            "pk", flat=True
        )
    )


def blocked_numbers(numbers: list[str], dnc_list_ids: list[int]) -> set[str]:
    """Which of these E.164 numbers are on any of these lists (one query per few thousand)."""
    if not numbers or not dnc_list_ids:
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT number FROM {DncNumber._meta.db_table} "
                "WHERE dnc_list_id = ANY(%s) AND number = ANY(%s)",
                [dnc_list_ids, numbers],
            )
            return {number for (number,) in cursor.fetchall()}
    found: set[str] = set()
    for start in range(0, len(numbers), _PROBE_BATCH):
        batch = numbers[start : start + _PROBE_BATCH]
        found.update(
            DncNumber.objects.filter(dnc_list_id__in=dnc_list_ids, number__in=batch).values_list(
                "number", flat=True
            )
        )
    return found


def is_blocked(
    company_id: int, numbers: Iterable[str], dnc_list_ids: Iterable[int] | None = None
) -> set[str]:
    """The numbers (E.164) that must not be called. The dialer asks before every dial.

    Without `dnc_list_ids`, every active list of the company counts; with them (a campaign's
    lists), those and the company's internal list.
    """
    numbers = [number for number in dict.fromkeys(numbers) if number]
    if dnc_list_ids is None:
        lists = list(
            DncList.objects.filter(company_id=company_id, is_active=True).values_list(
                "pk", flat=True
            )
        )
    else:
        lists = lists_to_check(company_id, dnc_list_ids)
    return blocked_numbers(numbers, lists)


def search_numbers(dnc_list: DncList, query: str = "", country: str = "RO") -> QuerySet[DncNumber]:
    """A list's numbers, ordered; a query is a number in any written form or some digits."""
    numbers = DncNumber.objects.filter(dnc_list=dnc_list).order_by("number")
    query = query.strip()
    if not query:
        return numbers
    result = PhoneNormaliser(country).normalise(query) if is_known_country(country) else None
    if isinstance(result, Normalised):
        return numbers.filter(number=result.e164)
    digits = "".join(character for character in query if character.isdigit())
    return numbers.filter(number__contains=digits) if digits else numbers.none()


# --- importing files of numbers --------------------------------------------------------------


def _check_may_import(actor: Any, dnc_list: DncList) -> None:
    if not (may(actor, ADD, DncImportJob) and can(actor, CHANGE, dnc_list)):
        raise PermissionDenied(_("You may not import numbers into this do-not-call list."))


def guess_number_column(headers: list[str]) -> str:
    """The column that most likely holds the numbers: one named like a phone, else the first."""
    for header in headers:
        lowered = header.lower()
        if any(word in lowered for word in ("phone", "number", "telefon", "numar", "mobile")):
            return header
    return headers[0]


def create_dnc_import(
    actor: Any,
    dnc_list: DncList,
    source: File | Path,
    original_name: str,
    *,
    country: str = "RO",
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
) -> DncImportJob:
    """Upload a file of numbers for a list (nothing is imported yet)."""
    _check_may_import(actor, dnc_list)
    country = country.upper()
    if not is_known_country(country):
        raise ValidationError(
            {"country": _("Unknown country '%(country)s'.") % {"country": country}}
        )
    path, size, settings, estimated = prepare_upload(
        source, original_name, encoding=encoding, delimiter=delimiter, has_header=has_header
    )
    headers = preview(path, settings, limit=1).headers
    return DncImportJob.objects.create(
        dnc_list=dnc_list,
        created_by=actor if getattr(actor, "pk", None) else None,
        file=str(path),
        original_name=original_name[:255],
        file_size=size,
        file_format=settings.file_format,
        encoding=settings.encoding,
        delimiter=settings.delimiter,
        has_header=settings.has_header,
        column=guess_number_column(headers),
        country=country,
        rows_estimated=estimated,
    )


def start_dnc_import(actor: Any, job: DncImportJob, column: str | None = None) -> DncImportJob:
    """Queue a numbers import for the worker (audited)."""
    _check_may_import(actor, job.dnc_list)
    if not can(actor, CHANGE, job):
        raise PermissionDenied(_("You may not start this import."))
    if job.state not in (ImportState.UPLOADED, ImportState.FAILED):
        raise ValidationError(_("This import has started already."))
    try:
        headers = preview_job(job).headers
    except ImportFileError as error:
        raise ValidationError({"file": error.message}) from None
    column = column or job.column
    if column not in headers:
        raise ValidationError(
            {"column": _("The file has no column '%(column)s'.") % {"column": column}}
        )
    with transaction.atomic():
        previous = job.state
        job.column = column
        job.state = ImportState.QUEUED
        job.error_message = ""
        job.errors_file = ""
        job.rows_read = job.imported = job.duplicates = job.invalid = 0
        job.started_at = job.finished_at = None
        job.save()
        audit.record(
            AuditAction.UPDATE,
            instance=job,
            company_id=job.dnc_list.company_id,
            changes={"state": [previous, ImportState.QUEUED]},
            summary=f"import of '{job.original_name}' into do-not-call list '{job.dnc_list}' "
            "started",
        )
    cache.set(progress_key(job.pk, PROGRESS_KIND), 0, 3600)
    return job


class _NumberWriter:
    """Adds numbers to a list without repeating any: through a staging table and
    INSERT ... ON CONFLICT on PostgreSQL, bulk inserts elsewhere. Counts what it added."""

    def __init__(self, dnc_list: DncList, source: str) -> None:
        self.dnc_list = dnc_list
        self.source = source[:100]
        self.added = 0
        self.is_postgres = connection.vendor == "postgresql"
        self.stage = f"dnc_import_stage_{dnc_list.pk}"
        if self.is_postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.stage}")
                cursor.execute(f"CREATE TEMPORARY TABLE {self.stage} (number text NOT NULL)")

    def write(self, numbers: list[str]) -> None:
        if not numbers:
            return
        if self.is_postgres:
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {self.stage} (number) FROM STDIN") as copy,
            ):
                copy.write("\n".join(numbers) + "\n")
            return
        before = DncNumber.objects.filter(dnc_list=self.dnc_list).count()
        DncNumber.objects.bulk_create(
            (
                DncNumber(dnc_list=self.dnc_list, number=number, source=self.source)
                for number in numbers
            ),
            batch_size=500,
            ignore_conflicts=True,
        )
        self.added += DncNumber.objects.filter(dnc_list=self.dnc_list).count() - before

    def finish(self) -> None:
        if not self.is_postgres:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DncNumber._meta.db_table} (dnc_list_id, number, added_at, source) "
                f"SELECT DISTINCT %s, number, %s, %s FROM {self.stage} "
                "ON CONFLICT (dnc_list_id, number) DO NOTHING",
                [self.dnc_list.pk, timezone.now(), self.source],
            )
            self.added = cursor.rowcount
            cursor.execute(f"DROP TABLE {self.stage}")
            if self.added >= _ANALYZE_AFTER:
                # Fresh statistics, so the planner uses the index for the checks that follow.
                cursor.execute(f"ANALYZE {DncNumber._meta.db_table}")


def _run_dnc_import(job: DncImportJob, errors_path: Path) -> None:
    settings = file_settings(job)
    normaliser = PhoneNormaliser(job.country)
    rows_read = invalid = valid = 0
    with (
        open_table(Path(job.file), settings) as table,
        errors_path.open("w", encoding="utf-8-sig", newline="") as handle,
        transaction.atomic(),
    ):
        if job.column not in table.headers:
            raise ImportFileError(
                _("The file has no column '%(column)s'.") % {"column": job.column}
            )
        column = table.headers.index(job.column)
        problems = csv.writer(handle)
        problems.writerow(PROBLEM_COLUMNS)
        dnc_list = DncList.objects.select_for_update().get(pk=job.dnc_list_id)
        writer = _NumberWriter(dnc_list, _("import of %(file)s") % {"file": job.original_name})
        batch: list[str] = []
        for number, cells in table.rows:
            rows_read += 1
            raw = cells[column].strip() if column < len(cells) else ""
            result = normaliser.normalise(raw) if raw else None
            if isinstance(result, Normalised):
                valid += 1
                batch.append(result.e164)
            else:
                invalid += 1
                reason = (
                    _("'%(value)s' is not a valid number for %(country)s")
                    % {"value": raw[:50], "country": job.country}
                    if raw
                    else _("no number")
                )
                problems.writerow([number, job.column, raw[:50], "invalid", reason])
            if len(batch) >= _CHUNK_ROWS:
                writer.write(batch)
                batch = []
                cache.set(progress_key(job.pk, PROGRESS_KIND), rows_read, 3600)
        writer.write(batch)
        writer.finish()
        job.rows_read = rows_read
        job.invalid = invalid
        job.imported = writer.added
        job.duplicates = valid - writer.added
        job.state = ImportState.DONE
        job.finished_at = timezone.now()
        job.errors_file = str(errors_path)
        job.save()
        audit.record(
            AuditAction.UPDATE,
            instance=dnc_list,
            actor=audit.Actor(staff_id=job.created_by_id),
            changes={"numbers": [None, f"+{writer.added}"]},
            summary=f"{writer.added} numbers imported into do-not-call list '{dnc_list}' "
            f"from '{job.original_name}'",
        )
        upload = Path(job.file)
        transaction.on_commit(lambda: upload.unlink(missing_ok=True))


def run_dnc_import(job_id: int) -> DncImportJob:
    """Run a claimed numbers import to its end (done, or failed with nothing imported)."""
    job = DncImportJob.objects.select_related("dnc_list", "created_by").get(pk=job_id)
    errors_path = upload_dir() / f"dnc-import-{job.pk}-problems.csv"
    with translation.override(language_of(job)):
        try:
            _run_dnc_import(job, errors_path)
        except ImportFileError as error:
            fail_job(job, error.message, errors_path)
        except Exception:
            logger.exception("do-not-call import %s failed", job.pk)
            fail_job(
                job,
                _(
                    "The import failed unexpectedly and nothing was imported. Try again, or "
                    "tell your administrator (import %(id)d)."
                )
                % {"id": job.pk},
                errors_path,
            )
    cache.delete(progress_key(job.pk, PROGRESS_KIND))
    return job


def may_view_numbers(actor: Any, dnc_list: DncList) -> bool:
    return can(actor, VIEW, dnc_list)


def may_delete(actor: Any, dnc_list: DncList) -> bool:
    return can(actor, DELETE, dnc_list)
