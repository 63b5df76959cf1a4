"""API routes of work sheets: the five CRUD routes (a sheet comes with its current version's
definition) and its versions.

No `from __future__ import annotations`: Django Ninja reads the route functions' types.
"""

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from dialcrm.campaigns import worksheets
from dialcrm.campaigns.api.statuses import company_for
from dialcrm.campaigns.models import WorkSheet
from dialcrm.core.api_crud import add_crud_routes
from dialcrm.core.policy import VIEW, access

router = Router(tags=["work sheets"])


class WorkSheetIn(Schema):
    company_id: int | None = Field(
        None, description="The company; by default the caller's own (only when adding)."
    )
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    definition: Any = Field(
        None,
        description='The fields: {"groups": [{"title": ..., "fields": [{"key", "label", "kind", '
        '"required", "help", and by kind "max_length", "pattern", "min", "max", "choices"}]}]}. '
        "Required when adding; left out, the current fields stay. A changed definition makes "
        "the next version.",
    )


class WorkSheetOut(Schema):
    id: int
    company_id: int
    name: str
    description: str
    is_active: bool
    version: int | None = Field(None, description="The current version's number.")
    definition: dict[str, Any] | None = Field(None, description="The current version's fields.")

    @staticmethod
    def resolve_version(sheet: WorkSheet) -> int | None:
        current = sheet.current_version
        return current.number if current else None

    @staticmethod
    def resolve_definition(sheet: WorkSheet) -> dict[str, Any] | None:
        current = sheet.current_version
        return current.definition if current else None


class VersionOut(Schema):
    number: int
    created_at: datetime.datetime
    created_by_id: int | None
    field_count: int

    @staticmethod
    def resolve_field_count(version: Any) -> int:
        return len(worksheets.fields_of(version.definition))


class VersionDetailOut(VersionOut):
    definition: dict[str, Any]


def _values(request: HttpRequest, payload: WorkSheetIn, sheet: WorkSheet) -> dict[str, Any]:
    return {
        "company": company_for(request, payload.company_id, sheet),
        "name": payload.name,
        "description": payload.description,
        "definition": payload.definition,
    }


def _save(actor: Any, sheet: WorkSheet, values: dict[str, Any]) -> WorkSheet:
    definition = values.pop("definition", None)
    return worksheets.save_work_sheet(actor, sheet, values, definition).sheet


add_crud_routes(
    router,
    model=WorkSheet,
    path="worksheets",
    schema_in=WorkSheetIn,
    schema_out=WorkSheetOut,
    values=_values,
    search_fields=("name", "description"),
    save=_save,
    deactivate=worksheets.deactivate_work_sheet,
)


@router.get(
    "/worksheets/{sheet_id}/versions",
    response=list[VersionOut],
    operation_id="list_worksheet_versions",
)
def list_versions(request: HttpRequest, sheet_id: int) -> Any:
    sheet = access(WorkSheet, request.user, sheet_id, VIEW)
    return list(sheet.versions.order_by("-number"))


@router.get(
    "/worksheets/{sheet_id}/versions/{number}",
    response=VersionDetailOut,
    operation_id="get_worksheet_version",
)
def get_version(request: HttpRequest, sheet_id: int, number: int) -> Any:
    sheet = access(WorkSheet, request.user, sheet_id, VIEW)
    version = worksheets.version_of(sheet, number)
    if version is None:
        raise Http404(_("This work sheet has no version %(number)d.") % {"number": number})
    return version
