"""The reports over the JSON API: every report with the screen's filters (as query parameters),
its exports, and scheduled reports with their deliveries."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from dialcrm.core.api import require
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, access
from dialcrm.core.services import deactivate_object
from dialcrm.reports import services
from dialcrm.reports.choices import ExportFormat, Frequency
from dialcrm.reports.definitions import reports_for
from dialcrm.reports.exports import as_data, export
from dialcrm.reports.models import ReportDelivery, ReportSchedule

router = Router(tags=["reports"])


class ColumnOut(Schema):
    key: str
    label: str
    kind: str


class ReportOut(Schema):
    slug: str
    title: str
    description: str
    filters: list[str]
    columns: list[ColumnOut]


class ReportResultOut(Schema):
    report: str
    title: str
    filters: dict[str, Any]
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None
    chart: dict[str, Any]


FILTERS_HELP = (
    "Filters as query parameters: period (today, yesterday, last_7_days, this_month, "
    "last_month, custom; default last_7_days), start and end (YYYY-MM-DD, for custom), and the "
    "ids of campaign, call_list, location, team, agent where the report has them."
)


@router.get("/", response=list[ReportOut])
def list_reports(request: HttpRequest) -> Any:
    """The reports this person may run."""
    return [
        {
            "slug": report.slug,
            "title": str(report.title),
            "description": str(report.description),
            "filters": list(report.filters),
            "columns": [
                {"key": column.key, "label": str(column.label), "kind": column.kind}
                for column in report.columns
            ],
        }
        for report in reports_for(request.user)
    ]


class ScheduleIn(Schema):
    name: str = Field(max_length=200)
    export_format: ExportFormat = ExportFormat.XLSX
    recipients: str = Field(max_length=5000)
    frequency: Frequency = Frequency.DAILY
    weekday: int | None = Field(None, ge=0, le=6)
    send_at: datetime.time
    time_zone: str = Field(max_length=64)
    is_active: bool = True


class ScheduleChangeIn(Schema):
    """The fields to change; the others stay."""

    name: str | None = Field(None, max_length=200)
    export_format: ExportFormat | None = None
    recipients: str | None = Field(None, max_length=5000)
    frequency: Frequency | None = None
    weekday: int | None = Field(None, ge=0, le=6)
    send_at: datetime.time | None = None
    time_zone: str | None = Field(None, max_length=64)
    is_active: bool | None = None


class ScheduleCreateIn(ScheduleIn):
    report: str = Field(max_length=40)
    filters: dict[str, Any] = Field(default_factory=dict)


class ScheduleOut(Schema):
    id: int
    name: str
    report: str
    filters: dict[str, Any]
    export_format: str
    recipients: str
    frequency: str
    weekday: int | None
    send_at: datetime.time
    time_zone: str
    next_run_at: datetime.datetime | None
    owner_id: int
    is_active: bool


class DeliveryOut(Schema):
    id: int
    due_at: datetime.datetime
    finished_at: datetime.datetime
    state: str
    recipients: str
    file_name: str
    size: int
    error: str


@router.get("/schedules", response=list[ScheduleOut])
@paginate
def list_schedules(request: HttpRequest) -> Any:
    require(request.user, VIEW, ReportSchedule)
    return ReportSchedule.objects.for_user(request.user).order_by("name", "pk")


@router.post("/schedules", response={201: ScheduleOut})
def create_schedule(request: HttpRequest, payload: ScheduleCreateIn) -> Any:
    """Schedule a report; `filters` are the report's filters (see the report routes)."""
    require(request.user, ADD, ReportSchedule)
    values = payload.dict(exclude={"filters"})
    schedule = services.save_schedule(request.user, ReportSchedule(), values, payload.filters)
    return 201, schedule


@router.get("/schedules/{schedule_id}", response=ScheduleOut)
def get_schedule(request: HttpRequest, schedule_id: int) -> Any:
    return access(ReportSchedule, request.user, schedule_id)


@router.patch("/schedules/{schedule_id}", response=ScheduleOut)
def update_schedule(request: HttpRequest, schedule_id: int, payload: ScheduleChangeIn) -> Any:
    schedule = access(ReportSchedule, request.user, schedule_id, CHANGE)
    return services.save_schedule(request.user, schedule, payload.dict(exclude_unset=True))


@router.delete("/schedules/{schedule_id}", response={204: None})
def deactivate_schedule(request: HttpRequest, schedule_id: int) -> Any:
    """Stop a scheduled report (it stays, with its deliveries)."""
    schedule = access(ReportSchedule, request.user, schedule_id, DELETE)
    deactivate_object(request.user, schedule)
    return 204, None


@router.get("/schedules/{schedule_id}/deliveries", response=list[DeliveryOut])
@paginate
def list_deliveries(request: HttpRequest, schedule_id: int) -> Any:
    schedule = access(ReportSchedule, request.user, schedule_id)
    return ReportDelivery.objects.for_user(request.user).filter(schedule=schedule)


@router.get("/{slug}", response=ReportResultOut, description=FILTERS_HELP)
def run_report(request: HttpRequest, slug: str) -> Any:
    """A report's rows, totals and chart for the filters given."""
    return as_data(services.run_report(request.user, slug, request.GET))


@router.get("/{slug}/export", description=FILTERS_HELP)
def export_report(
    request: HttpRequest, slug: str, format: ExportFormat = ExportFormat.CSV
) -> HttpResponse:
    """A report as a file: `format` is csv, xlsx, pdf or json."""
    filters = request.GET.copy()
    filters.pop("format", None)
    file = export(services.run_report(request.user, slug, filters), format)
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    return response
