"""Importing leads into call lists: upload, preview, mapping, the background import and its report.

The flow: `create_import` stores an uploaded file and recognises how to read it;
`preview_import` shows its first rows; `start_import` checks a column mapping and options and
queues the job; the worker (`dialcrm worker`, or a thread in the demo) calls `run_import`, which
reads the file as a stream, normalises the numbers, drops duplicates and do-not-call numbers,
and writes the leads in one transaction: a failure midway leaves the list as it was. On
PostgreSQL the leads and phones go in with COPY.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import gc
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dialcrm.campaigns import dnc
from dialcrm.campaigns.choices import CampaignState, ImportState, PhoneKind
from dialcrm.campaigns.import_files import (
    ImportFileError,
    estimate_rows,
    open_table,
    preview,
    with_overrides,
)
from dialcrm.campaigns.import_jobs import (
    DUPLICATE,
    INVALID,
    PROBLEM_COLUMNS,
    SCRUBBED,
    WARNING,
    fail_job,
    file_settings,
    first_problems,
    job_progress,
    language_of,
    prepare_upload,
    preview_job,
    progress_key,
    upload_dir,
)
from dialcrm.campaigns.import_rows import (
    EXTRA_CELLS,
    FOREIGN_NUMBER,
    INVALID_NUMBER,
    LEAD_FIELDS,
    NO_PHONE,
    TOO_LONG,
    PhoneColumn,
    PreparedRow,
    Problem,
    RowPlan,
    prepare_rows,
)
from dialcrm.campaigns.models import CallList, Campaign, ImportJob, ImportMapping, Lead, Phone
from dialcrm.campaigns.phones import is_known_country, number_key
from dialcrm.core import audit
from dialcrm.core.choices import AuditAction
from dialcrm.core.policy import ADD, CHANGE, VIEW, can, may
from dialcrm.core.services import save_object

logger = logging.getLogger(__name__)

PHONE = "phone"
CUSTOM = "custom"
TARGETS = (*LEAD_FIELDS, PHONE, CUSTOM)
DEDUPE_NONE, DEDUPE_LIST, DEDUPE_CLIENT = "none", "list", "client"
DEDUPE_SCOPES = (DEDUPE_NONE, DEDUPE_LIST, DEDUPE_CLIENT)
CHUNK_ROWS = 5_000
ANALYZE_AFTER_ROWS = 50_000
_PROBE_BATCH = 500  # numbers per query where the database has no arrays
_CUSTOM_NAME = re.compile(r"^[\w][\w .-]{0,49}$")


# --- mapping and options ---------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnTarget:
    """Where one column of the file goes: a lead field, a phone number or a custom field."""

    column: str
    target: str
    kind: str = PhoneKind.OTHER  # phones
    priority: int = 1  # phones: 1 is dialled first
    name: str = ""  # custom fields

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"column": self.column, "target": self.target}
        if self.target == PHONE:
            data.update(kind=self.kind, priority=self.priority)
        if self.target == CUSTOM:
            data["name"] = self.name
        return data


@dataclass(frozen=True)
class Mapping:
    """The columns of a file mapped to what they become; unmapped columns are not imported."""

    columns: tuple[ColumnTarget, ...]

    @classmethod
    def from_json(cls, data: Any) -> Mapping:
        """Read a mapping given as JSON: {"columns": [{"column", "target", "kind", "priority",
        "name"}]}; raises ValidationError naming what is wrong."""
        items = data.get("columns") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValidationError({"mapping": _("Give the mapping as a list of columns.")})
        columns = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("column"), str):
                raise ValidationError({"mapping": _("Each mapped column needs its name.")})
            target = item.get("target") or ""
            if target in ("", "ignore"):
                continue
            if target not in TARGETS:
                raise ValidationError(
                    {
                        "mapping": _("Column '%(column)s': unknown target '%(target)s'.")
                        % {"column": item["column"], "target": target}
                    }
                )
            kind = item.get("kind") or PhoneKind.OTHER
            priority = item.get("priority", 1)
            if target == PHONE and kind not in PhoneKind.values:
                raise ValidationError(
                    {
                        "mapping": _("Column '%(column)s': unknown kind of phone '%(kind)s'.")
                        % {"column": item["column"], "kind": kind}
                    }
                )
            if target == PHONE and (
                not isinstance(priority, int)
                or isinstance(priority, bool)
                or not 1 <= priority <= 99
            ):
                raise ValidationError(
                    {
                        "mapping": _(
                            "Column '%(column)s': the priority is a whole number from 1 to 99."
                        )
                        % {"column": item["column"]}
                    }
                )
            name = str(item.get("name") or "").strip()
            columns.append(
                ColumnTarget(
                    item["column"],
                    target,
                    kind if target == PHONE else PhoneKind.OTHER,
                    priority if target == PHONE else 1,
                    name if target == CUSTOM else "",
                )
            )
        mapping = cls(tuple(columns))
        mapping._check_targets()
        return mapping

    def to_json(self) -> dict[str, Any]:
        return {"columns": [column.to_json() for column in self.columns]}

    def _check_targets(self) -> None:
        errors = []
        if not any(column.target == PHONE for column in self.columns):
            errors.append(_("Map at least one column to a phone number."))
        seen_columns: set[str] = set()
        seen_fields: set[str] = set()
        seen_names: set[str] = set()
        for column in self.columns:
            if column.column in seen_columns:
                errors.append(_("Column '%(column)s' is mapped twice.") % {"column": column.column})
            seen_columns.add(column.column)
            if column.target in LEAD_FIELDS:
                if column.target in seen_fields:
                    errors.append(
                        _("Two columns are mapped to %(field)s.") % {"field": column.target}
                    )
                seen_fields.add(column.target)
            if column.target == CUSTOM:
                if not _CUSTOM_NAME.match(column.name):
                    errors.append(
                        _(
                            "Column '%(column)s': name the custom field (letters, digits, "
                            "spaces, . _ -, at most 50)."
                        )
                        % {"column": column.column}
                    )
                elif column.name.lower() in seen_names or column.name in LEAD_FIELDS:
                    errors.append(
                        _("Custom field '%(name)s' is used twice.") % {"name": column.name}
                    )
                seen_names.add(column.name.lower())
        if errors:
            raise ValidationError({"mapping": errors})

    def check_columns(self, headers: list[str]) -> None:
        """The file has every mapped column."""
        missing = [column.column for column in self.columns if column.column not in headers]
        if missing:
            raise ValidationError(
                {
                    "mapping": _("The file has no column %(columns)s.")
                    % {"columns": ", ".join(f"'{name}'" for name in missing)}
                }
            )

    def plan(self, headers: list[str], default_country: str, only_default_country: bool) -> RowPlan:
        self.check_columns(headers)
        index = {name: position for position, name in enumerate(headers)}
        fields = {column.target: index[column.column] for column in self.columns}
        phones = sorted(
            (column for column in self.columns if column.target == PHONE),
            key=lambda column: column.priority,
        )
        return RowPlan(
            headers=tuple(headers),
            fields=tuple(fields.get(name, -1) for name in LEAD_FIELDS),
            phones=tuple(
                PhoneColumn(index[column.column], column.kind, column.priority) for column in phones
            ),
            custom=tuple(
                (column.name, index[column.column])
                for column in self.columns
                if column.target == CUSTOM
            ),
            default_country=default_country,
            only_default_country=only_default_country,
        )

    @property
    def custom_names(self) -> list[str]:
        return [column.name for column in self.columns if column.target == CUSTOM]


_AUTO_PHONE = re.compile(r"^(phone|mobile|landline|work)_?(\d*)$")
_AUTO_KIND = {
    "phone": PhoneKind.OTHER,
    "mobile": PhoneKind.MOBILE,
    "landline": PhoneKind.LANDLINE,
    "work": PhoneKind.WORK,
}


def auto_mapping(headers: list[str]) -> tuple[Mapping, list[str]]:
    """A mapping from header names equal to field names (first_name, email, phone, phone2,
    mobile...), and the columns left out. Phones are dialled in the order of the columns."""
    columns = []
    ignored = []
    priority = 0
    for header in headers:
        key = re.sub(r"[\s-]+", "_", header.strip().lower())
        phone = _AUTO_PHONE.match(key)
        if key in LEAD_FIELDS and all(column.target != key for column in columns):
            columns.append(ColumnTarget(header, key))
        elif phone:
            priority += 1
            columns.append(
                ColumnTarget(header, PHONE, _AUTO_KIND[phone.group(1)], min(priority, 99))
            )
        else:
            ignored.append(header)
    return Mapping(tuple(columns)), ignored


@dataclass(frozen=True)
class ImportOptions:
    """Duplicates, do-not-call scrubbing and which numbers are accepted."""

    dedupe_in_file: bool = True
    dedupe_against: str = DEDUPE_LIST  # none / list / client (all the client's lists)
    dedupe_by_phone: bool = True
    dedupe_fields: tuple[str, ...] = ()  # lead fields that together identify a duplicate
    dnc_list_ids: tuple[int, ...] = ()
    scrub_internal_dnc: bool = True  # the company's internal lists, always checked by default
    only_default_country: bool = False

    @classmethod
    def from_json(cls, data: Any) -> ImportOptions:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ValidationError({"options": _("Give the options as an object.")})
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValidationError(
                {
                    "options": _("Unknown options: %(names)s.")
                    % {"names": ", ".join(sorted(unknown))}
                }
            )
        defaults = cls()
        values: dict[str, Any] = {}
        for name in ("dedupe_in_file", "dedupe_by_phone", "scrub_internal_dnc"):
            values[name] = bool(data.get(name, getattr(defaults, name)))
        values["only_default_country"] = bool(data.get("only_default_country", False))
        scope = data.get("dedupe_against", defaults.dedupe_against)
        if scope not in DEDUPE_SCOPES:
            raise ValidationError({"options": _("Deduplicate against one of: none, list, client.")})
        values["dedupe_against"] = scope
        fields = data.get("dedupe_fields") or []
        if not isinstance(fields, list | tuple) or any(name not in LEAD_FIELDS for name in fields):
            raise ValidationError(
                {
                    "options": _("Deduplicate by these fields only: %(fields)s.")
                    % {"fields": ", ".join(LEAD_FIELDS)}
                }
            )
        values["dedupe_fields"] = tuple(dict.fromkeys(fields))
        ids = data.get("dnc_list_ids") or []
        if not isinstance(ids, list | tuple) or any(
            not isinstance(value, int) or isinstance(value, bool) for value in ids
        ):
            raise ValidationError({"options": _("Give do-not-call lists by their ids.")})
        values["dnc_list_ids"] = tuple(sorted(set(ids)))
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["dedupe_fields"] = list(self.dedupe_fields)
        data["dnc_list_ids"] = list(self.dnc_list_ids)
        return data


# --- upload and preview ----------------------------------------------------------------------


def check_may_import(actor: Any, call_list: CallList) -> None:
    if not (may(actor, ADD, ImportJob) and can(actor, CHANGE, call_list)):
        raise PermissionDenied(_("You may not import leads into this list."))


def create_import(
    actor: Any,
    call_list: CallList,
    source: File | Path,
    original_name: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
) -> ImportJob:
    """Upload a file for import into a list (nothing is imported yet)."""
    check_may_import(actor, call_list)
    if not call_list.is_active:
        raise ValidationError(_("This list is deactivated: reactivate it to import into it."))
    path, size, file_settings, estimated = prepare_upload(
        source, original_name, encoding=encoding, delimiter=delimiter, has_header=has_header
    )
    return ImportJob.objects.create(
        call_list=call_list,
        created_by=actor if getattr(actor, "pk", None) else None,
        file=str(path),
        original_name=original_name[:255],
        file_size=size,
        file_format=file_settings.file_format,
        encoding=file_settings.encoding,
        delimiter=file_settings.delimiter,
        has_header=file_settings.has_header,
        rows_estimated=estimated,
    )


def change_reading(
    actor: Any,
    job: Any,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
) -> Any:
    """Read a job's file another way (encoding, delimiter, header row), checked on its start."""
    if not can(actor, CHANGE, job):
        raise PermissionDenied(_("You may not change this import."))
    if job.state not in (ImportState.UPLOADED, ImportState.FAILED):
        raise ValidationError(_("This import has started already."))
    try:
        changed = with_overrides(
            file_settings(job), encoding=encoding, delimiter=delimiter, has_header=has_header
        )
        preview(Path(job.file), changed, limit=1)
    except ImportFileError as error:
        raise ValidationError({"file": error.message}) from None
    job.encoding, job.delimiter, job.has_header = (
        changed.encoding,
        changed.delimiter,
        changed.has_header,
    )
    job.rows_estimated = estimate_rows(Path(job.file), changed)
    job.save(update_fields=["encoding", "delimiter", "has_header", "rows_estimated"])
    return job


# --- saved mappings --------------------------------------------------------------------------


def find_mapping(actor: Any, company_id: int, name: str) -> ImportMapping:
    mapping = (
        ImportMapping.objects.for_user(actor, VIEW)
        .filter(company_id=company_id, name__iexact=name.strip())
        .first()
    )
    if mapping is None:
        raise ValidationError(
            {"mapping": _("There is no saved mapping named '%(name)s'.") % {"name": name}}
        )
    return mapping


def save_mapping(
    actor: Any, company_id: int, name: str, mapping: Mapping, options: ImportOptions
) -> ImportMapping:
    """Save a mapping and its options by name for reuse (replacing one of the same name)."""
    name = name.strip()
    if not name:
        raise ValidationError({"save_mapping_as": _("Name the mapping to save it.")})
    existing = (
        ImportMapping.objects.for_user(actor, VIEW)
        .filter(company_id=company_id, name__iexact=name)
        .first()
    )
    instance = existing or ImportMapping(company_id=company_id)
    return save_object(
        actor,
        instance,
        {"name": name, "mapping": mapping.to_json(), "options": options.to_json()},
    )


# --- starting --------------------------------------------------------------------------------


def running_campaigns(call_list: CallList) -> list[Campaign]:
    return list(
        Campaign.objects.filter(list_links__call_list=call_list, state=CampaignState.RUNNING)
        .distinct()
        .order_by("name")
    )


class ImportRefused(Exception):
    """The import cannot go on; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse_if_running(call_list: CallList) -> None:
    campaigns = running_campaigns(call_list)
    if campaigns:
        raise ImportRefused(
            _(
                "The list is used by the running campaign %(campaigns)s: pause the campaign "
                "first, then import."
            )
            % {"campaigns": ", ".join(f"'{campaign}'" for campaign in campaigns)}
        )


def _check_dnc_lists(actor: Any, company_id: int, options: ImportOptions) -> None:
    if not options.dnc_list_ids:
        return
    visible = set(
        dnc.DncList.objects.for_user(actor, VIEW)
        .filter(company_id=company_id, is_active=True, pk__in=options.dnc_list_ids)
        .values_list("pk", flat=True)
    )
    unknown = [str(pk) for pk in options.dnc_list_ids if pk not in visible]
    if unknown:
        raise ValidationError(
            {
                "options": _("No active do-not-call list %(ids)s in this company.")
                % {"ids": ", ".join(unknown)}
            }
        )


def start_import(
    actor: Any,
    job: ImportJob,
    mapping: Mapping,
    options: ImportOptions,
    *,
    save_mapping_as: str = "",
) -> ImportJob:
    """Check the mapping and options and queue the import for the worker (audited)."""
    call_list = job.call_list
    check_may_import(actor, call_list)
    if not can(actor, CHANGE, job):
        raise PermissionDenied(_("You may not start this import."))
    if job.state not in (ImportState.UPLOADED, ImportState.FAILED):
        raise ValidationError(_("This import has started already."))
    if not call_list.is_active:
        raise ValidationError(_("This list is deactivated: reactivate it to import into it."))
    if not is_known_country(call_list.default_country):
        raise ValidationError(
            _("The list's default country '%(country)s' is unknown: correct the list first.")
            % {"country": call_list.default_country}
        )
    try:
        headers = preview_job(job).headers
    except ImportFileError as error:
        raise ValidationError({"file": error.message}) from None
    mapping.check_columns(headers)
    company_id = call_list.client.company_id
    _check_dnc_lists(actor, company_id, options)
    try:
        _refuse_if_running(call_list)
    except ImportRefused as refused:
        raise ValidationError(refused.message) from None
    with transaction.atomic():
        if save_mapping_as.strip():
            save_mapping(actor, company_id, save_mapping_as, mapping, options)
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.state not in (ImportState.UPLOADED, ImportState.FAILED):
            raise ValidationError(_("This import has started already."))
        previous = locked.state
        _reset(locked)
        locked.mapping = mapping.to_json()
        locked.options = options.to_json()
        locked.state = ImportState.QUEUED
        locked.save()
        audit.record(
            AuditAction.UPDATE,
            instance=locked,
            company_id=company_id,
            changes={"state": [previous, ImportState.QUEUED]},
            summary=f"list import of '{job.original_name}' into '{call_list}' started",
        )
    cache.set(progress_key(job.pk), 0, 3600)
    job.refresh_from_db()
    return job


def _reset(job: ImportJob) -> None:
    for name in ("rows_read", "imported", "duplicates", "invalid", "scrubbed", "warnings"):
        setattr(job, name, 0)
    job.error_message = ""
    job.errors_file = ""
    job.list_version = None
    job.started_at = job.finished_at = None


# --- progress and report ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import did: counts, the list version it made, and the first problems."""

    job_id: int
    call_list_id: int
    file: str
    state: str
    rows_read: int
    rows_estimated: int
    imported: int
    duplicates: int
    invalid: int
    scrubbed: int
    warnings: int
    list_version: int | None
    error_message: str
    started_at: str | None
    finished_at: str | None
    seconds: float | None
    problems: list[str] = field(default_factory=list)  # the first lines of the problems file


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def import_report(job: ImportJob, problems: int = 20) -> ImportReport:
    seconds = None
    if job.started_at and job.finished_at:
        seconds = round((job.finished_at - job.started_at).total_seconds(), 2)
    progress = job_progress(job)
    return ImportReport(
        job_id=job.pk,
        call_list_id=job.call_list_id,
        file=job.original_name,
        state=job.state,
        rows_read=progress.rows_read,
        rows_estimated=progress.rows_estimated,
        imported=job.imported,
        duplicates=job.duplicates,
        invalid=job.invalid,
        scrubbed=job.scrubbed,
        warnings=job.warnings,
        list_version=job.list_version,
        error_message=job.error_message,
        started_at=_iso(job.started_at),
        finished_at=_iso(job.finished_at),
        seconds=seconds,
        problems=first_problems(job, problems),
    )


# --- running ---------------------------------------------------------------------------------


class _ProblemWriter:
    """The problems of an import, written as they are found (never all in memory)."""

    def __init__(self, path: Path, headers: tuple[str, ...], country: str) -> None:
        self.path = path
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(PROBLEM_COLUMNS)
        self.headers = headers
        self.country = country
        self.pending: list[tuple[int, str, str, str, str]] = []

    def column_name(self, index: int) -> str:
        return self.headers[index] if 0 <= index < len(self.headers) else ""

    def write(self, row: int, column: int, value: str, kind: str, reason: str) -> None:
        self.pending.append((row, self.column_name(column), value, kind, reason))

    def flush(self) -> None:
        """Write the problems found so far, in the order of the rows."""
        self.pending.sort(key=lambda line: line[0])
        self.writer.writerows(self.pending)
        self.pending.clear()

    def problem(self, row: PreparedRow, problem: Problem, kind: str) -> None:
        self.write(row.number, problem.column, problem.value, kind, self.reason(problem))

    def reason(self, problem: Problem) -> str:
        if problem.code == INVALID_NUMBER:
            return _("'%(value)s' is not a valid number for %(country)s") % {
                "value": problem.value,
                "country": self.country,
            }
        if problem.code == FOREIGN_NUMBER:
            return _(
                "'%(value)s' is a number of another country (only numbers of %(country)s are "
                "accepted)"
            ) % {"value": problem.value, "country": self.country}
        if problem.code == NO_PHONE:
            return _("no phone number")
        if problem.code == TOO_LONG:
            return _("'%(value)s...' is too long for this field") % {"value": problem.value}
        if problem.code == EXTRA_CELLS:
            return _(
                "the row has %(count)s values but the file has %(width)d columns (a delimiter "
                "inside a value without quotes?)"
            ) % {"count": problem.value, "width": len(self.headers)}
        return problem.code

    def close(self) -> None:
        self.handle.close()


@dataclass
class _Counts:
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid: int = 0
    scrubbed: int = 0
    warnings: int = 0


def _chunks(
    rows: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def prepared_chunks(
    rows: Iterator[tuple[int, list[str]]], plan: RowPlan
) -> Iterator[list[PreparedRow]]:
    """Chunks of prepared rows, in file order.

    (Helper processes were tried for this: sending the prepared rows back costs the importing
    process as much as preparing them, so they gained nothing.)"""
    for chunk in _chunks(rows, CHUNK_ROWS):
        yield prepare_rows(plan, chunk)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage cycles less often while millions of short-lived rows are made: the rows
    are freed as soon as they are written, and the collector's frequent passes over everything
    else alive would otherwise take more time than the import itself."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 200_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


_END = object()


def in_background(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """The items of an iterator made in a thread, a few ahead: the file is read and its rows
    prepared while this thread waits for the database. The thread touches no database."""
    queue: Queue[tuple[object, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put((None, item), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put((_END, None))
        except BaseException as error:  # handed to the consuming thread, which raises it
            queue.put((_END, error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="import-reader", daemon=True)
    thread.start()
    try:
        while True:
            marker, value = queue.get()
            if marker is _END:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(Empty):
                queue.get(timeout=0.1)
        thread.join()


MEMORY_NUMBERS_LIMIT = 3_000_000  # about 200 MB of numbers at most are read into memory


class KnownNumbers:
    """Numbers already in the database (on do-not-call lists, phones of lists), to check the
    rows of an import against. When there are at most MEMORY_NUMBERS_LIMIT of them they are
    read once into memory, which spares the database millions of lookups; else each chunk's
    numbers are looked up with `probe`."""

    def __init__(self, numbers: QuerySet[Any], probe: Callable[[list[str]], set[str]]) -> None:
        self.probe = probe
        self.keys: set[int] | None = None
        count = numbers.count()
        if count <= MEMORY_NUMBERS_LIMIT:
            self.keys = _read_keys(numbers) if count else set()

    @property
    def probes(self) -> bool:
        """Whether `which` asks the database."""
        return self.keys is None

    def which(self, numbers: list[str]) -> set[str]:
        """Which of these E.164 numbers are known."""
        if not numbers:
            return set()
        keys = self.keys
        if keys is None:
            return self.probe(numbers)
        if not keys:
            return set()
        return {number for number in numbers if int(number[1:]) in keys}


def _read_keys(numbers: QuerySet[Any]) -> set[int]:
    """The keys of E.164 numbers. On PostgreSQL they come joined in one text per 200,000:
    fetching (or copying) millions of rows one by one costs seconds."""
    keys: set[int] = set()
    if connection.vendor != "postgresql":
        for number in numbers.iterator(chunk_size=20_000):
            if number[1:].isdigit():
                keys.add(int(number[1:]))
        return keys
    sql, params = numbers.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(substr(number, 2), ',') FROM "
            f"(SELECT number, row_number() OVER () / 200000 AS part FROM ({sql}) AS n) AS p "
            "WHERE number ~ '^[+][0-9]+$' GROUP BY part",
            params,
        )
        for (text,) in cursor.fetchall():
            keys.update(map(int, text.split(",")))
    return keys


class _Deduplicator:
    """Rows already seen: in the file (by number, and by the chosen fields), in the list or in
    all the client's lists."""

    def __init__(self, call_list: CallList, options: ImportOptions) -> None:
        self.options = options
        self.seen_numbers: set[int] = set()
        self.seen_keys: set[tuple[str, ...]] = set()
        self.field_positions = [LEAD_FIELDS.index(name) for name in options.dedupe_fields]
        self.list_ids: list[int] = []
        if options.dedupe_against == DEDUPE_LIST:
            self.list_ids = [call_list.pk]
        elif options.dedupe_against == DEDUPE_CLIENT:
            self.list_ids = list(
                CallList.objects.filter(client_id=call_list.client_id).values_list("pk", flat=True)
            )
        self.existing_keys = self._existing_keys() if self.field_positions else set()
        self.existing: KnownNumbers | None = None
        if self.list_ids and options.dedupe_by_phone:
            list_ids = self.list_ids
            self.existing = KnownNumbers(
                Phone.objects.filter(lead__call_list_id__in=list_ids).values_list(
                    "number", flat=True
                ),
                lambda numbers: _numbers_in_lists(numbers, list_ids),
            )

    def key(self, row: PreparedRow) -> tuple[str, ...] | None:
        if not self.field_positions:
            return None
        key = tuple(row.values[position].lower() for position in self.field_positions)
        return key if all(key) else None

    def _existing_keys(self) -> set[tuple[str, ...]]:
        if not self.list_ids:
            return set()
        names = list(self.options.dedupe_fields)
        rows = Lead.objects.filter(call_list_id__in=self.list_ids).values_list(*names)
        keys = set()
        for values in rows.iterator(chunk_size=20_000):
            key = tuple(str(value).lower() for value in values)
            if all(key):
                keys.add(key)
        return keys

    def in_file(self, row: PreparedRow) -> str | None:
        """Why the row repeats an earlier row of the file, or None."""
        if not self.options.dedupe_in_file:
            return None
        numbers = (
            [number_key(phone[0].e164) for phone in row.phones]
            if self.options.dedupe_by_phone
            else []
        )
        key = self.key(row)
        for number, phone in zip(numbers, row.phones, strict=False):
            if number in self.seen_numbers:
                return _("%(number)s is on an earlier row of the file") % {"number": phone[0].e164}
        if key is not None and key in self.seen_keys:
            return _("same %(fields)s as an earlier row of the file") % {
                "fields": ", ".join(self.options.dedupe_fields)
            }
        self.seen_numbers.update(numbers)
        if key is not None:
            self.seen_keys.add(key)
        return None

    @property
    def probes(self) -> bool:
        return self.existing is not None and self.existing.probes

    def existing_numbers(self, numbers: list[str]) -> set[str]:
        return self.existing.which(numbers) if self.existing is not None else set()

    def already_there(self, row: PreparedRow, existing: set[str]) -> str | None:
        """Why the row is already in the list (or the client's lists), or None."""
        if not self.list_ids:
            return None
        for phone in row.phones:
            if phone[0].e164 in existing:
                return _("%(number)s is already in %(where)s") % {
                    "number": phone[0].e164,
                    "where": self._where(),
                }
        key = self.key(row) if self.existing_keys else None
        if key is not None and key in self.existing_keys:
            return _("same %(fields)s as a lead already in %(where)s") % {
                "fields": ", ".join(self.options.dedupe_fields),
                "where": self._where(),
            }
        return None

    def _where(self) -> str:
        if self.options.dedupe_against == DEDUPE_LIST:
            return _("this list")
        return _("a client's list")


def _numbers_in_lists(numbers: list[str], list_ids: list[int]) -> set[str]:
    """Which of these E.164 numbers are phones of leads in these lists."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT p.number FROM {Phone._meta.db_table} p "
                f"JOIN {Lead._meta.db_table} l ON l.id = p.lead_id "
                "WHERE p.number = ANY(%s) AND l.call_list_id = ANY(%s)",
                [numbers, list_ids],
            )
            return {number for (number,) in cursor.fetchall()}
    found: set[str] = set()
    for start in range(0, len(numbers), _PROBE_BATCH):
        batch = numbers[start : start + _PROBE_BATCH]
        found.update(
            Phone.objects.filter(number__in=batch, lead__call_list_id__in=list_ids).values_list(
                "number", flat=True
            )
        )
    return found


class _LeadWriter:
    """Writes accepted rows as leads and phones of one list version (ORM bulk inserts; the
    embedded database of the demo)."""

    def __init__(self, call_list: CallList, version: int) -> None:
        self.call_list = call_list
        self.version = version

    def wait_idle(self) -> None:
        pass

    def close(self) -> None:
        pass

    def write(self, rows: list[PreparedRow]) -> None:
        leads = [
            Lead(
                call_list_id=self.call_list.pk,
                custom=row.custom,
                list_version=self.version,
                **dict(zip(LEAD_FIELDS, row.values, strict=True)),
            )
            for row in rows
        ]
        Lead.objects.bulk_create(leads, batch_size=500)
        Phone.objects.bulk_create(
            (
                Phone(
                    lead_id=lead.pk,
                    number=number.e164,
                    kind=kind,
                    priority=priority,
                    country=number.country,
                    time_zone=number.time_zone,
                )
                for lead, row in zip(leads, rows, strict=True)
                for number, kind, priority, _column in row.phones
            ),
            batch_size=500,
        )


_COPY_SPECIAL = re.compile(r"[\\\t\n\r\x00]")


def _copy_escape(value: str) -> str:
    """A value in PostgreSQL's COPY text format."""
    if not _COPY_SPECIAL.search(value):
        return value
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\x00", "")
    )


def _copy_constant(field_: models.Field[Any, Any], now: datetime.datetime) -> str:
    """The COPY text of a column this import does not fill: its default."""
    if getattr(field_, "auto_now_add", False) or getattr(field_, "auto_now", False):
        value: Any = now
    else:
        value = field_.get_default()
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return _copy_escape(json.dumps(value))
    return _copy_escape(str(value))


def _json_object(custom: dict[str, str], encoded_keys: dict[str, str]) -> str:
    """A JSON object of strings, faster than json.dumps for millions of small ones."""
    if not custom:
        return "{}"
    return (
        "{"
        + ", ".join(
            f"{encoded_keys[key]}: {encode_basestring(value)}" for key, value in custom.items()
        )
        + "}"
    )


class _LeadIds:
    """Lead ids taken from the table's sequence ahead of the rows (a sequence is outside
    transactions: ids of a failed import are simply never used). They come as ranges: one,
    unless other sessions took ids from the sequence at the same moment."""

    def __init__(self, wrapper: Any, sequence: str) -> None:
        self.wrapper = wrapper
        self.sequence = sequence
        self.ranges: deque[range] = deque()

    def available(self) -> int:
        return sum(len(ids) for ids in self.ranges)

    def reserve(self, count: int) -> None:
        with self.wrapper.cursor() as cursor:
            cursor.execute(
                "SELECT min(id), max(id) FROM (SELECT id, id - row_number() OVER (ORDER BY id) "
                "AS island FROM (SELECT nextval(%s) AS id FROM generate_series(1, %s)) AS ids) "
                "AS numbered GROUP BY island ORDER BY 1",
                [self.sequence, count],
            )
            self.ranges.extend(range(first, last + 1) for first, last in cursor.fetchall())

    def take(self, count: int) -> list[int]:
        taken: list[int] = []
        while len(taken) < count:
            ids = self.ranges.popleft()
            wanted = count - len(taken)
            taken.extend(ids[:wanted])
            if len(ids) > wanted:
                self.ranges.appendleft(ids[wanted:])
        return taken


class _CopyLeadWriter:
    """Writes accepted rows with PostgreSQL COPY. The rows are turned into COPY text in the
    importing thread; a writing thread sends them, so that the database works on one chunk
    while the next is read and checked. Lead ids are taken ahead from the sequence, so phones
    can point at their leads. Columns the import does not fill get their model defaults, so a
    field added to Lead or Phone later keeps working."""

    LEAD_COLUMNS = ("id", "call_list_id", *LEAD_FIELDS, "custom", "list_version")
    PHONE_COLUMNS = ("lead_id", "number", "kind", "priority", "country", "time_zone")

    def __init__(
        self, call_list: CallList, version: int, custom_names: list[str], expected_rows: int
    ) -> None:
        # The connection (and transaction) of the importing thread, which the writing thread
        # uses too: the importing thread waits for it to be idle before using it again.
        self.connection = connections[DEFAULT_DB_ALIAS]
        self.prefix = f"\t{call_list.pk}\t"
        self.version = f"\t{version}"
        now = timezone.now()
        self.lead_sql, self.lead_rest = self._copy_sql(Lead, self.LEAD_COLUMNS, now)
        self.phone_sql, self.phone_rest = self._copy_sql(Phone, self.PHONE_COLUMNS, now)
        self.keys = {name: encode_basestring(name) for name in custom_names}
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Lead._meta.db_table])
            (sequence,) = cursor.fetchone()
        self.ids = _LeadIds(self.connection, sequence)
        # The estimate comes from the file's start: a little more, within reason.
        self.ids.reserve(min(expected_rows + expected_rows // 50 + 1000, 2_000_000))
        self.thread = _WritingThread(self._copy, self.connection)

    @staticmethod
    def _copy_sql(
        model: type[models.Model], filled: tuple[str, ...], now: datetime.datetime
    ) -> tuple[str, str]:
        rest = [
            field_
            for field_ in model._meta.concrete_fields
            if field_.column not in filled and not field_.primary_key
        ]
        columns = [*filled, *(field_.column for field_ in rest)]
        constants = "".join("\t" + _copy_constant(field_, now) for field_ in rest)
        sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        return sql, constants + "\n"

    def write(self, rows: list[PreparedRow]) -> None:
        if self.ids.available() < len(rows):
            self.thread.wait_idle()
            self.ids.reserve(max(len(rows), 200_000))
        lead_lines = []
        phone_lines = []
        prefix, version, lead_rest, phone_rest, keys = (
            self.prefix,
            self.version,
            self.lead_rest,
            self.phone_rest,
            self.keys,
        )
        for lead_id, row in zip(self.ids.take(len(rows)), rows, strict=True):
            values = row.values
            if _COPY_SPECIAL.search("".join(values)) is None:
                text = "\t".join(values)
            else:
                text = "\t".join(_copy_escape(value) for value in values)
            custom = _copy_escape(_json_object(row.custom, keys))
            lead_lines.append(f"{lead_id}{prefix}{text}\t{custom}{version}{lead_rest}")
            for number, kind, priority, _column in row.phones:
                phone_lines.append(
                    f"{lead_id}\t{number.e164}\t{kind}\t{priority}\t{number.country}\t"
                    f"{number.time_zone}{phone_rest}"
                )
        self.thread.put(("".join(lead_lines), "".join(phone_lines)))

    def _copy(self, texts: tuple[str, str]) -> None:
        with self.connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(self.lead_sql) as copy:
                copy.write(texts[0])
            with raw.copy(self.phone_sql) as copy:
                copy.write(texts[1])

    def wait_idle(self) -> None:
        """Before the importing thread uses the connection."""
        self.thread.wait_idle()

    def close(self) -> None:
        self.thread.close()


class _WritingThread:
    """Runs writes in order in a thread of its own, on the importing thread's connection
    (inside its transaction). An error is raised in the importing thread at its next write or
    at the end; the writes after it are dropped."""

    def __init__(self, work: Callable[[Any], None], wrapper: Any) -> None:
        self.work = work
        self.wrapper = wrapper
        self.queue: Queue[Any] = Queue(maxsize=2)
        self.error: BaseException | None = None
        wrapper.inc_thread_sharing()
        self.thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    self.work(item)
            except BaseException as error:  # raised again in the importing thread
                self.error = error
            finally:
                self.queue.task_done()

    def put(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def wait_idle(self) -> None:
        self.queue.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Wait for the writes; raise the error of one that failed."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
            self.wrapper.dec_thread_sharing()
        if self.error is not None:
            raise self.error


class _Importer:
    """One run of one import job, inside one transaction."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.call_list = job.call_list
        self.company_id = self.call_list.client.company_id
        self.options = ImportOptions.from_json(job.options)
        self.mapping = Mapping.from_json(job.mapping)
        self.counts = _Counts()
        self.errors_path = upload_dir() / f"import-{job.pk}-problems.csv"

    def run(self) -> None:
        job = self.job
        with open_table(Path(job.file), file_settings(job)) as table:
            plan = self.mapping.plan(
                table.headers, self.call_list.default_country, self.options.only_default_country
            )
            problems = _ProblemWriter(self.errors_path, plan.headers, plan.default_country)
            try:
                with fewer_collections(), transaction.atomic():
                    self._import(table.rows, plan, problems)
            finally:
                problems.close()

    def _import(
        self, rows: Iterator[tuple[int, list[str]]], plan: RowPlan, problems: _ProblemWriter
    ) -> None:
        job = self.job
        call_list = CallList.objects.select_for_update().get(pk=self.call_list.pk)
        if not call_list.is_active:
            raise ImportRefused(_("This list is deactivated: reactivate it to import into it."))
        _refuse_if_running(call_list)
        version = call_list.version + 1
        deduplicator = _Deduplicator(call_list, self.options)
        scrub_lists = dnc.lists_to_check(
            self.company_id, self.options.dnc_list_ids, self.options.scrub_internal_dnc
        )
        do_not_call = KnownNumbers(
            dnc.DncNumber.objects.filter(dnc_list_id__in=scrub_lists).values_list(
                "number", flat=True
            ),
            lambda numbers: dnc.blocked_numbers(numbers, scrub_lists),
        )
        if connection.vendor == "postgresql":
            # Check foreign keys row by row as the rows go in, while the file is still being
            # read, rather than all at once when the transaction commits.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            writer: Any = _CopyLeadWriter(
                call_list, version, self.mapping.custom_names, job.rows_estimated
            )
        else:
            writer = _LeadWriter(call_list, version)
        chunks = prepared_chunks(rows, plan)
        try:
            for prepared in in_background(chunks):
                accepted = self._sort(prepared, deduplicator, do_not_call, problems, writer)
                problems.flush()
                if accepted:
                    writer.write(accepted)
                cache.set(progress_key(job.pk), self.counts.rows_read, 3600)
        finally:
            writer.close()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' default
        # A campaign may have started meanwhile: the dialer must not see a list change under it.
        _refuse_if_running(call_list)
        custom_fields = list(call_list.custom_fields or [])
        for name in self.mapping.custom_names:
            if name not in custom_fields:
                custom_fields.append(name)
        CallList.objects.filter(pk=call_list.pk).update(
            version=version, custom_fields=custom_fields
        )
        if connection.vendor == "postgresql" and self.counts.imported >= ANALYZE_AFTER_ROWS:
            # Fresh statistics, so the lead pages and the next import's checks use the indexes.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Lead._meta.db_table}, {Phone._meta.db_table}")
        counts = self.counts
        job.rows_read = counts.rows_read
        job.imported = counts.imported
        job.duplicates = counts.duplicates
        job.invalid = counts.invalid
        job.scrubbed = counts.scrubbed
        job.warnings = counts.warnings
        job.list_version = version
        job.state = ImportState.DONE
        job.finished_at = timezone.now()
        job.errors_file = str(self.errors_path)
        job.error_message = ""
        job.save()
        upload = Path(job.file)
        transaction.on_commit(lambda: upload.unlink(missing_ok=True))

    def _sort(
        self,
        prepared: list[PreparedRow],
        deduplicator: _Deduplicator,
        do_not_call: KnownNumbers,
        problems: _ProblemWriter,
        writer: Any,
    ) -> list[PreparedRow]:
        """Count and sort a chunk: invalid, duplicate, scrubbed, or accepted (returned)."""
        counts = self.counts
        candidates = []
        for row in prepared:
            counts.rows_read += 1
            if not row.is_valid:
                counts.invalid += 1
                for problem in row.problems:
                    problems.problem(row, problem, INVALID)
                continue
            reason = deduplicator.in_file(row)
            if reason:
                counts.duplicates += 1
                problems.write(row.number, -1, "", DUPLICATE, reason)
                continue
            candidates.append(row)
        numbers = [phone[0].e164 for row in candidates for phone in row.phones]
        if deduplicator.probes or do_not_call.probes:
            writer.wait_idle()  # the lookups use the connection the writer uses
        existing = deduplicator.existing_numbers(numbers)
        blocked = do_not_call.which(numbers)
        accepted = []
        for row in candidates:
            reason = deduplicator.already_there(row, existing)
            if reason:
                counts.duplicates += 1
                problems.write(row.number, -1, "", DUPLICATE, reason)
                continue
            if blocked:
                kept = [phone for phone in row.phones if phone[0].e164 not in blocked]
                if not kept:
                    counts.scrubbed += 1
                    for phone in row.phones:
                        problems.write(
                            row.number,
                            phone[3],
                            phone[0].e164,
                            SCRUBBED,
                            _("%(number)s is on a do-not-call list") % {"number": phone[0].e164},
                        )
                    continue
                for phone in row.phones:
                    if phone[0].e164 in blocked:
                        counts.warnings += 1
                        problems.write(
                            row.number,
                            phone[3],
                            phone[0].e164,
                            WARNING,
                            _("%(number)s is on a do-not-call list: not imported")
                            % {"number": phone[0].e164},
                        )
                row.phones = kept
            for problem in row.problems:
                counts.warnings += 1
                problems.problem(row, problem, WARNING)
            counts.imported += 1
            accepted.append(row)
        return accepted


def run_import(job_id: int) -> ImportJob:
    """Run a claimed import job to its end: done with its report, or failed with a reason and
    nothing imported. Called by the worker; never raises for a bad file or a refusal."""
    job = ImportJob.objects.select_related("call_list__client", "created_by").get(pk=job_id)
    with translation.override(language_of(job)):
        importer = _Importer(job)
        try:
            importer.run()
        except (ImportFileError, ImportRefused) as error:
            fail_job(job, error.message, importer.errors_path)
        except ValidationError as error:
            fail_job(job, " ".join(error.messages), importer.errors_path)
        except Exception:
            logger.exception("list import %s failed", job.pk)
            fail_job(
                job,
                _(
                    "The import failed unexpectedly and nothing was imported. Try again, or "
                    "tell your administrator (import %(id)d)."
                )
                % {"id": job.pk},
                importer.errors_path,
            )
    cache.delete(progress_key(job.pk))
    return job
