"""API routes of list imports: upload a file (multipart), look at its first rows, set the
mapping and options and start, follow the progress, read the report, download the problems."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import paginate

from dialcrm.campaigns import imports
from dialcrm.campaigns.choices import ImportState
from dialcrm.campaigns.import_files import ImportFileError
from dialcrm.campaigns.import_jobs import (
    job_progress,
    max_upload_bytes,
    preview_job,
    problems_csv,
    too_big_message,
)
from dialcrm.campaigns.models import CallList, ImportJob, ImportMapping
from dialcrm.core.api import require
from dialcrm.core.policy import CHANGE, VIEW, access

router = Router(tags=["list imports"])


class ImportJobOut(Schema):
    id: int
    call_list_id: int
    original_name: str
    file_size: int
    file_format: str
    encoding: str
    delimiter: str
    has_header: bool
    state: str
    rows_read: int
    rows_estimated: int
    percent: int
    imported: int
    duplicates: int
    invalid: int
    scrubbed: int
    warnings: int
    list_version: int | None
    error_message: str
    mapping: dict[str, Any]
    options: dict[str, Any]
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None

    # While an import runs, its progress is read live (see `job_progress`).
    @staticmethod
    def resolve_rows_read(job: ImportJob) -> int:
        return job_progress(job).rows_read

    @staticmethod
    def resolve_rows_estimated(job: ImportJob) -> int:
        return job_progress(job).rows_estimated

    @staticmethod
    def resolve_percent(job: ImportJob) -> int:
        return job_progress(job).percent


def check_upload_size(file: UploadedFile) -> None:
    """Uploads reach the API whole (put a cap in the proxy too): refuse big ones clearly."""
    if (file.size or 0) > max_upload_bytes():
        raise HttpError(413, too_big_message(file.size))


@router.post("/lists/{list_id}/imports", response={201: ImportJobOut})
def upload_import(
    request: HttpRequest,
    list_id: int,
    file: File[UploadedFile],
    encoding: Form[str] = "",
    delimiter: Form[str] = "",
    has_header: Form[bool] = True,
) -> Any:
    """Upload a file (multipart field `file`) for import into a list: nothing is imported until
    the import is started. Optional fields: `encoding` and `delimiter` (`tab` for a tab) of a CSV
    file, detected when empty; `has_header` (true by default)."""
    call_list = access(CallList, request.user, list_id, VIEW)
    imports.check_may_import(request.user, call_list)
    check_upload_size(file)
    job = imports.create_import(
        request.user,
        call_list,
        file,
        file.name or "upload",
        encoding=encoding or None,
        delimiter=delimiter or None,
        has_header=has_header,
    )
    return 201, job


@router.get("/imports", response=list[ImportJobOut])
@paginate
def list_imports(request: HttpRequest, list_id: int | None = None, state: str = "") -> Any:
    require(request.user, VIEW, ImportJob)
    jobs = ImportJob.objects.for_user(request.user).order_by("-created_at")
    if list_id is not None:
        jobs = jobs.filter(call_list_id=list_id)
    if state:
        jobs = jobs.filter(state=state)
    return jobs


@router.get("/imports/{job_id}", response=ImportJobOut)
def get_import(request: HttpRequest, job_id: int) -> Any:
    """An import and its progress (`rows_read` grows while it runs)."""
    return access(ImportJob, request.user, job_id, VIEW)


class ColumnOut(Schema):
    column: str
    target: str
    kind: str | None = None
    priority: int | None = None
    name: str | None = None


class PreviewOut(Schema):
    headers: list[str]
    rows: list[list[str]]
    suggested_mapping: list[ColumnOut] = Field(
        description="Columns named like lead fields (first_name, phone, phone2...)."
    )


@router.get("/imports/{job_id}/preview", response=PreviewOut)
def preview_import(request: HttpRequest, job_id: int) -> Any:
    """The first 20 rows as the import will read them, and a mapping guessed from the names."""
    job = access(ImportJob, request.user, job_id, VIEW)
    try:
        preview = preview_job(job)
    except ImportFileError as error:
        raise ValidationError({"file": error.message}) from None
    return {
        "headers": preview.headers,
        "rows": preview.rows,
        "suggested_mapping": imports.auto_mapping(preview.headers)[0].to_json()["columns"],
    }


class ReadingIn(Schema):
    encoding: str | None = Field(None, max_length=32)
    delimiter: str | None = Field(None, max_length=4)
    has_header: bool | None = None


@router.patch("/imports/{job_id}/reading", response=ImportJobOut)
def change_reading(request: HttpRequest, job_id: int, payload: ReadingIn) -> Any:
    """Read the file another way (encoding, delimiter, header row) before starting."""
    job = access(ImportJob, request.user, job_id, CHANGE)
    imports.change_reading(request.user, job, **payload.dict())
    return job


class StartIn(Schema):
    mapping: dict[str, Any] | None = Field(
        None,
        description='{"columns": [{"column": "Telefon", "target": "phone", "kind": "mobile", '
        '"priority": 1}, {"column": "Nume", "target": "last_name"}, {"column": "Oras", '
        '"target": "custom", "name": "oras"}]}. Targets: external_id, first_name, '
        "last_name, email, city, region, phone, custom.",
    )
    mapping_name: str | None = Field(None, description="A saved mapping to apply instead.")
    options: dict[str, Any] | None = Field(
        None,
        description="dedupe_in_file, dedupe_against (none/list/client), dedupe_by_phone, "
        "dedupe_fields, dnc_list_ids, scrub_internal_dnc, only_default_country.",
    )
    save_mapping_as: str = Field("", max_length=100)


@router.post("/imports/{job_id}/start", response={202: ImportJobOut})
def start_import(request: HttpRequest, job_id: int, payload: StartIn) -> Any:
    """Queue the import. Without a mapping, columns named like lead fields are mapped."""
    job = access(ImportJob, request.user, job_id, CHANGE)
    options = payload.options
    if payload.mapping is not None:
        mapping = imports.Mapping.from_json(payload.mapping)
    elif payload.mapping_name:
        saved = imports.find_mapping(
            request.user, job.call_list.client.company_id, payload.mapping_name
        )
        mapping = imports.Mapping.from_json(saved.mapping)
        options = saved.options if options is None else options
    else:
        try:
            headers = preview_job(job).headers
        except ImportFileError as error:
            raise ValidationError({"file": error.message}) from None
        mapping = imports.Mapping.from_json(imports.auto_mapping(headers)[0].to_json())
    job = imports.start_import(
        request.user,
        job,
        mapping,
        imports.ImportOptions.from_json(options),
        save_mapping_as=payload.save_mapping_as,
    )
    return 202, job


class ReportOut(Schema):
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
    problems: list[str]


@router.get("/imports/{job_id}/report", response=ReportOut)
def import_report(request: HttpRequest, job_id: int) -> Any:
    """The report: counts and the first 20 problems (all of them in problems.csv)."""
    return imports.import_report(access(ImportJob, request.user, job_id, VIEW))


@router.get("/imports/{job_id}/problems.csv")
def import_problems(request: HttpRequest, job_id: int) -> Any:
    """Every problem found: row, column, value, kind (invalid, warning, duplicate, scrubbed) and
    reason. Cells are neutralised against CSV injection."""
    job = access(ImportJob, request.user, job_id, VIEW)
    if job.state != ImportState.DONE:
        raise HttpError(409, _("The import is not done yet."))
    response = StreamingHttpResponse(problems_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.csv"'
    return response


class ImportMappingOut(Schema):
    id: int
    company_id: int
    name: str
    mapping: dict[str, Any]
    options: dict[str, Any]


@router.get("/import-mappings", response=list[ImportMappingOut])
@paginate
def list_import_mappings(request: HttpRequest) -> Any:
    require(request.user, VIEW, ImportMapping)
    return ImportMapping.objects.for_user(request.user)
