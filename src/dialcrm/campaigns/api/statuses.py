"""API routes of call statuses. Listing them seeds the defaults on a company's first visit.

No `from __future__ import annotations`: Django Ninja reads the route functions' types.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from dialcrm.campaigns import statuses
from dialcrm.campaigns.choices import StatusCategory
from dialcrm.campaigns.models import Status
from dialcrm.core.api import require
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, access
from dialcrm.org.models import Company

router = Router(tags=["statuses"])


class StatusIn(Schema):
    company_id: int | None = Field(
        None, description="The company; by default the caller's own (only when adding)."
    )
    code: str = Field(min_length=1, max_length=32, pattern=r"^[-a-zA-Z0-9_]+$")
    label: str = Field(min_length=1, max_length=100)
    category: StatusCategory
    is_final: bool = False
    retry_after_minutes: int | None = Field(None, description="Empty for final statuses.")
    is_agent_selectable: bool = True
    order: int = Field(100, ge=0, le=32767)


class StatusOut(Schema):
    id: int
    company_id: int
    code: str
    label: str
    category: StatusCategory
    is_final: bool
    retry_after_minutes: int | None
    is_agent_selectable: bool
    order: int
    is_active: bool


def company_for(request: HttpRequest, company_id: int | None, instance: Any) -> Any:
    """The company a new object goes to: the one named (if visible) or the caller's own."""
    if instance.pk is not None:
        return access(Company, request.user, company_id) if company_id else instance.company
    if company_id:
        return access(Company, request.user, company_id)
    if request.user.company_id is None:
        raise ValidationError({"company_id": _("Say which company this is for.")})
    return request.user.company


def _values(request: HttpRequest, payload: StatusIn, instance: Status) -> dict[str, Any]:
    return {
        **payload.dict(exclude={"company_id"}),
        "company": company_for(request, payload.company_id, instance),
    }


@router.get("/statuses", response=list[StatusOut], operation_id="list_status")
@paginate
def list_statuses(
    request: HttpRequest,
    q: str = "",
    category: StatusCategory | None = None,
    include_inactive: bool = False,
) -> Any:
    require(request.user, VIEW, Status)
    statuses.ensure_default_statuses(request.user.company)
    queryset = Status.objects.for_user(request.user)
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    if category:
        queryset = queryset.filter(category=category)
    if q.strip():
        queryset = queryset.filter(Q(code__icontains=q.strip()) | Q(label__icontains=q.strip()))
    return queryset


@router.get("/statuses/{status_id}", response=StatusOut, operation_id="get_status")
def get_status(request: HttpRequest, status_id: int) -> Any:
    return access(Status, request.user, status_id, VIEW)


@router.post("/statuses", response={201: StatusOut}, operation_id="create_status")
def create_status(request: HttpRequest, payload: StatusIn) -> Any:
    require(request.user, ADD, Status)
    status = Status()
    return 201, statuses.save_status(request.user, status, _values(request, payload, status))


@router.patch("/statuses/{status_id}", response=StatusOut, operation_id="update_status")
def update_status(request: HttpRequest, status_id: int, payload: StatusIn) -> Any:
    status = access(Status, request.user, status_id, CHANGE)
    return statuses.save_status(request.user, status, _values(request, payload, status))


@router.delete("/statuses/{status_id}", response=StatusOut, operation_id="deactivate_status")
def deactivate_status(request: HttpRequest, status_id: int) -> Any:
    status = access(Status, request.user, status_id, DELETE)
    return statuses.deactivate_status(request.user, status)
