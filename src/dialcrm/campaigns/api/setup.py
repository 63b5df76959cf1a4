"""API routes of the location manager's flow: clients, call lists (with their leads) and
campaigns (with their lists, readiness and state actions)."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from dialcrm.campaigns import services
from dialcrm.campaigns.choices import DialMode, LeadState, MachineHandling, ObjectiveKind
from dialcrm.campaigns.leads import lead_page, search_leads
from dialcrm.campaigns.models import CallList, Campaign, Client, DncList, Lead, Status, WorkSheet
from dialcrm.catalog.models import Product
from dialcrm.core.api_crud import add_crud_routes
from dialcrm.core.policy import CHANGE, VIEW, access, may
from dialcrm.org.models import Company, Location, Staff, Team

router = Router(tags=["campaign set-up"])


def _visible(request: HttpRequest, model: Any, ids: list[int]) -> list[Any]:
    """The objects with these ids, each visible to the caller (else 404 naming the first missing)."""
    return [access(model, request.user, pk) for pk in dict.fromkeys(ids)]


class ClientIn(Schema):
    company_id: int
    name: str = Field(min_length=1, max_length=200)
    legal_id: str = Field("", max_length=50)
    contact_name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    notes: str = Field("", max_length=5000)


class ClientOut(ClientIn):
    id: int
    is_active: bool


add_crud_routes(
    router,
    model=Client,
    path="clients",
    schema_in=ClientIn,
    schema_out=ClientOut,
    values=lambda request, payload, instance: {
        **payload.dict(exclude={"company_id"}),
        "company": access(Company, request.user, payload.company_id),
    },
    search_fields=("name", "legal_id", "contact_name"),
    save=services.save_client,
)


class CallListIn(Schema):
    client_id: int
    name: str = Field(min_length=1, max_length=200)
    default_country: str = Field("RO", pattern="^[A-Za-z]{2}$")
    description: str = Field("", max_length=5000)


class CallListOut(CallListIn):
    id: int
    version: int
    custom_fields: list[str]
    is_active: bool


add_crud_routes(
    router,
    model=CallList,
    path="lists",
    schema_in=CallListIn,
    schema_out=CallListOut,
    values=lambda request, payload, instance: {
        **payload.dict(exclude={"client_id"}),
        "client": access(Client, request.user, payload.client_id),
    },
    search_fields=("name", "client__name"),
    save=services.save_call_list,
)


class PhoneOut(Schema):
    number: str
    kind: str
    priority: int
    country: str
    time_zone: str
    attempts: int
    is_dialable: bool


class LeadOut(Schema):
    id: int
    external_id: str
    first_name: str
    last_name: str
    email: str
    city: str
    region: str
    custom: dict[str, Any]
    state: str
    attempts: int
    next_call_at: datetime.datetime | None
    phones: list[PhoneOut]


class LeadPageOut(Schema):
    items: list[LeadOut]
    next_before: int | None = Field(description="Pass as `before` for the next page.")
    count: int = Field(description=f"Matching leads, counted up to {10_000 + 1}.")


@router.get("/lists/{list_id}/leads", response=LeadPageOut)
def list_leads(
    request: HttpRequest,
    list_id: int,
    q: str = "",
    state: LeadState | None = None,
    before: int | None = None,
) -> Any:
    """Leads of a list, newest first, paged by keyset: follow `next_before`."""
    call_list = access(CallList, request.user, list_id)
    if not may(request.user, VIEW, Lead):
        raise PermissionDenied(_("Agents see leads only through their calls."))
    page = lead_page(search_leads(call_list, q, state or ""), before)
    return {"items": page.leads, "next_before": page.next_before, "count": page.total}


class CampaignIn(Schema):
    client_id: int
    location_id: int
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    script: str = Field("", max_length=20000)
    objective_kind: ObjectiveKind = ObjectiveKind.SALES
    objective_target: int = Field(100, ge=1)
    planned_hours: Decimal = Field(
        Decimal("100"), ge=Decimal("0.5"), max_digits=8, decimal_places=1
    )
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    work_sheet_id: int | None = None
    status_ids: list[int] = []
    product_ids: list[int] = []
    agent_ids: list[int] = []
    team_ids: list[int] = []
    dnc_list_ids: list[int] = []
    dial_mode: DialMode = DialMode.PREDICTIVE
    max_abandon_rate: Decimal = Field(Decimal("3.00"), ge=0, le=3, max_digits=4, decimal_places=2)
    connect_window_s: Decimal = Field(
        Decimal("2.0"), ge=Decimal("0.5"), le=2, max_digits=3, decimal_places=1
    )
    ring_timeout_s: int = Field(25, ge=15, le=120)
    max_attempts_per_number: int = Field(5, ge=1, le=50)
    max_attempts_per_lead: int = Field(10, ge=1, le=100)
    redial_delays: dict[str, int] = {}
    calling_hours_start: datetime.time = datetime.time(8, 0)
    calling_hours_end: datetime.time = datetime.time(21, 0)
    calling_days: list[int] = [0, 1, 2, 3, 4, 5]
    caller_id: str = Field("", max_length=32)
    machine_handling: MachineHandling = MachineHandling.HANG_UP
    machine_message: str = Field("", max_length=200)
    safe_harbour_message: str = Field("", max_length=200)
    no_redial_after_abandon_hours: int = Field(72, ge=0, le=720)
    redial_only_when_all_busy: bool = False
    record_calls: bool = False
    max_wrap_up_s: int = Field(120, ge=10, le=600)


class CampaignOut(Schema):
    id: int
    client_id: int
    location_id: int
    name: str
    objective_kind: str
    objective_target: int
    planned_hours: Decimal
    work_sheet_id: int | None
    dial_mode: str
    max_abandon_rate: Decimal
    connect_window_s: Decimal
    ring_timeout_s: int
    max_wrap_up_s: int
    max_attempts_per_number: int
    max_attempts_per_lead: int
    calling_hours_start: datetime.time
    calling_hours_end: datetime.time
    calling_days: list[int]
    caller_id: str
    machine_handling: str
    state: str
    state_reason: str
    stop_code: str = Field(
        description="Why the dialer stopped it by itself: objective_reached, "
        "list_exhausted, ended; empty otherwise."
    )


def _campaign_values(
    request: HttpRequest, payload: CampaignIn, instance: Campaign
) -> dict[str, Any]:
    relations = {"status_ids", "product_ids", "agent_ids", "team_ids", "dnc_list_ids"}
    values = payload.dict(exclude=relations | {"client_id", "location_id", "work_sheet_id"})
    values["client"] = access(Client, request.user, payload.client_id)
    values["location"] = access(Location, request.user, payload.location_id)
    values["work_sheet"] = (
        access(WorkSheet, request.user, payload.work_sheet_id) if payload.work_sheet_id else None
    )
    values["statuses"] = _visible(request, Status, payload.status_ids)
    values["products"] = _visible(request, Product, payload.product_ids)
    values["agents"] = _visible(request, Staff, payload.agent_ids)
    values["teams"] = _visible(request, Team, payload.team_ids)
    values["dnc_lists"] = _visible(request, DncList, payload.dnc_list_ids)
    return values


add_crud_routes(
    router,
    model=Campaign,
    path="campaigns",
    schema_in=CampaignIn,
    schema_out=CampaignOut,
    values=_campaign_values,
    search_fields=("name", "client__name"),
    save=services.save_campaign,
    deactivate=lambda actor, campaign: services.change_campaign_state(actor, campaign, "stop"),
)


class CampaignListIn(Schema):
    list_id: int
    priority: int = Field(1, ge=1, le=99)


@router.put("/campaigns/{campaign_id}/lists", response=list[CampaignListIn])
def set_lists(request: HttpRequest, campaign_id: int, payload: list[CampaignListIn]) -> Any:
    """Replace the campaign's call lists and their priorities."""
    campaign = access(Campaign, request.user, campaign_id, CHANGE)
    chosen = [(access(CallList, request.user, item.list_id), item.priority) for item in payload]
    services.set_campaign_lists(request.user, campaign, chosen)
    return [
        {"list_id": link.call_list_id, "priority": link.priority}
        for link in campaign.list_links.all()
    ]


class ReadinessOut(Schema):
    is_ready: bool
    problems: list[str]


@router.get("/campaigns/{campaign_id}/readiness", response=ReadinessOut)
def readiness(request: HttpRequest, campaign_id: int) -> Any:
    """What the campaign still needs before it can start."""
    campaign = access(Campaign, request.user, campaign_id)
    result = services.check_readiness(campaign)
    return {"is_ready": result.is_ready, "problems": result.problems}


@router.post("/campaigns/{campaign_id}/{action}", response=CampaignOut)
def change_state(
    request: HttpRequest, campaign_id: int, action: str, reason: str = Query("", max_length=300)
) -> Any:
    """`start`, `pause`, `stop` or `complete` the campaign, with an optional `reason`; starting
    checks readiness (422 with what is missing)."""
    campaign = access(Campaign, request.user, campaign_id, CHANGE)
    allowed = set(services.TRANSITIONS)
    if action not in allowed:
        raise ValidationError(
            {"action": _("Choose one of: %(actions)s.") % {"actions": ", ".join(sorted(allowed))}}
        )
    return services.change_campaign_state(request.user, campaign, action, reason)
