"""API routes of do-not-call lists: the lists, their numbers (search, add, remove), the check
the dialer makes before dialing, and imports of files of numbers."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import paginate

from dialcrm.campaigns import dnc
from dialcrm.campaigns.api.imports import check_upload_size
from dialcrm.campaigns.choices import DncKind, ImportState
from dialcrm.campaigns.import_jobs import job_progress, problems_csv
from dialcrm.campaigns.models import DncImportJob, DncList
from dialcrm.campaigns.phones import Normalised, PhoneNormaliser, is_known_country
from dialcrm.core.api import require
from dialcrm.core.api_crud import add_crud_routes
from dialcrm.core.policy import CHANGE, VIEW, access
from dialcrm.org.models import Company

router = Router(tags=["do-not-call"])


class DncListIn(Schema):
    company_id: int
    name: str = Field(min_length=1, max_length=200)
    kind: DncKind = DncKind.IMPORTED
    description: str = Field("", max_length=5000)


class DncListOut(DncListIn):
    id: int
    is_active: bool


add_crud_routes(
    router,
    model=DncList,
    path="dnc-lists",
    schema_in=DncListIn,
    schema_out=DncListOut,
    values=lambda request, payload, instance: {
        **payload.dict(exclude={"company_id"}),
        "company": access(Company, request.user, payload.company_id),
    },
    search_fields=("name", "description"),
    save=dnc.save_dnc_list,
    deactivate=dnc.deactivate_dnc_list,
)


class NumberOut(Schema):
    number: str
    added_at: datetime.datetime
    source: str


@router.get("/dnc-lists/{list_id}/numbers", response=list[NumberOut])
@paginate
def list_numbers(request: HttpRequest, list_id: int, q: str = "", country: str = "RO") -> Any:
    """A list's numbers in order; `q` is a number in any written form, or some digits."""
    dnc_list = access(DncList, request.user, list_id, VIEW)
    return dnc.search_numbers(dnc_list, q, country.upper())


class NumberIn(Schema):
    number: str = Field(min_length=1, max_length=40)
    country: str = Field("RO", pattern="^[A-Za-z]{2}$", description="For numbers without +.")
    source: str = Field("", max_length=100)


class NumberAdded(Schema):
    number: str
    added: bool = Field(description="False when the number was on the list already.")


@router.post("/dnc-lists/{list_id}/numbers", response={201: NumberAdded, 200: NumberAdded})
def add_number(request: HttpRequest, list_id: int, payload: NumberIn) -> Any:
    dnc_list = access(DncList, request.user, list_id, CHANGE)
    entry, created = dnc.add_number(
        request.user, dnc_list, payload.number, payload.country.upper(), payload.source
    )
    return (201 if created else 200), {"number": entry.number, "added": created}


@router.delete("/dnc-lists/{list_id}/numbers/{number}", response=NumberAdded)
def remove_number(request: HttpRequest, list_id: int, number: str, country: str = "RO") -> Any:
    """Take a number off a list (E.164, or written for `country`)."""
    dnc_list = access(DncList, request.user, list_id, CHANGE)
    if not dnc.remove_number(request.user, dnc_list, number, country.upper()):
        raise HttpError(404, _("%(number)s is not on this list.") % {"number": number})
    return {"number": number, "added": False}


class CheckIn(Schema):
    numbers: list[str] = Field(max_length=10_000, description="E.164, or written for `country`.")
    country: str = Field("RO", pattern="^[A-Za-z]{2}$")
    dnc_list_ids: list[int] | None = Field(
        None,
        description="A campaign's lists (the company's internal lists always count); "
        "by default every active list of the company.",
    )
    company_id: int | None = Field(None, description="Your company by default.")


class CheckOut(Schema):
    blocked: list[str] = Field(description="The numbers (as given) that must not be called.")
    invalid: list[str] = Field(description="The numbers that are not valid phone numbers.")


@router.post("/dnc/check", response=CheckOut)
def check_numbers(request: HttpRequest, payload: CheckIn) -> Any:
    """Which numbers must not be called: the check the dialer makes before every dial."""
    require(request.user, VIEW, DncList)
    company_id = payload.company_id or request.user.company_id
    if company_id is None:
        raise ValidationError({"company_id": _("Say which company's lists to check.")})
    access(Company, request.user, company_id, VIEW)
    country = payload.country.upper()
    if not is_known_country(country):
        raise ValidationError(
            {"country": _("Unknown country '%(country)s'.") % {"country": country}}
        )
    normaliser = PhoneNormaliser(country)
    as_given: dict[str, list[str]] = {}
    invalid = []
    for raw in payload.numbers:
        result = normaliser.normalise(raw)
        if isinstance(result, Normalised):
            as_given.setdefault(result.e164, []).append(raw)
        else:
            invalid.append(raw)
    blocked = dnc.is_blocked(company_id, list(as_given), payload.dnc_list_ids)
    return {
        "blocked": [raw for number in as_given if number in blocked for raw in as_given[number]],
        "invalid": invalid,
    }


class DncImportOut(Schema):
    id: int
    dnc_list_id: int
    original_name: str
    file_format: str
    encoding: str
    delimiter: str
    has_header: bool
    column: str
    country: str
    state: str
    rows_read: int
    rows_estimated: int
    imported: int
    duplicates: int
    invalid: int
    error_message: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None

    @staticmethod
    def resolve_rows_read(job: DncImportJob) -> int:
        return job_progress(job, dnc.PROGRESS_KIND).rows_read


@router.post("/dnc-lists/{list_id}/imports", response={201: DncImportOut, 202: DncImportOut})
def upload_numbers(
    request: HttpRequest,
    list_id: int,
    file: File[UploadedFile],
    column: Form[str] = "",
    country: Form[str] = "RO",
    encoding: Form[str] = "",
    delimiter: Form[str] = "",
    has_header: Form[bool] = True,
    start: Form[bool] = True,
) -> Any:
    """Upload a file of numbers (multipart field `file`; millions of numbers are fine) and, by
    default (`start`), queue its import. Optional fields: `column` holding the numbers (guessed
    from the names if empty), `country` of numbers written without + (RO), `encoding`,
    `delimiter`, `has_header`."""
    dnc_list = access(DncList, request.user, list_id, VIEW)
    check_upload_size(file)
    job = dnc.create_dnc_import(
        request.user,
        dnc_list,
        file,
        file.name or "upload",
        country=country,
        encoding=encoding or None,
        delimiter=delimiter or None,
        has_header=has_header,
    )
    if not start:
        return 201, job
    return 202, dnc.start_dnc_import(request.user, job, column or None)


class DncStartIn(Schema):
    column: str | None = None


@router.post("/dnc-imports/{job_id}/start", response={202: DncImportOut})
def start_numbers_import(request: HttpRequest, job_id: int, payload: DncStartIn) -> Any:
    job = access(DncImportJob, request.user, job_id, CHANGE)
    return 202, dnc.start_dnc_import(request.user, job, payload.column)


@router.get("/dnc-imports/{job_id}", response=DncImportOut)
def get_numbers_import(request: HttpRequest, job_id: int) -> Any:
    return access(DncImportJob, request.user, job_id, VIEW)


@router.get("/dnc-imports/{job_id}/problems.csv")
def numbers_import_problems(request: HttpRequest, job_id: int) -> Any:
    job = access(DncImportJob, request.user, job_id, VIEW)
    if job.state != ImportState.DONE:
        raise HttpError(409, _("The import is not done yet."))
    response = StreamingHttpResponse(problems_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dnc-import-{job.pk}-problems.csv"'
    return response
