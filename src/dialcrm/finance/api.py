"""API routes of management finance: hourly costs, financial plans and their targets, plan
progress, and profitability."""

import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from dialcrm.campaigns.models import Campaign
from dialcrm.catalog.api import CURRENCY_PATTERN
from dialcrm.catalog.models import Product
from dialcrm.core.api import require
from dialcrm.core.choices import AgentLevel, Role
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, access
from dialcrm.finance import services
from dialcrm.finance.choices import Grouping
from dialcrm.finance.models import FinancialPlan, HourlyCost, PlanTarget
from dialcrm.org.models import Company

router = Router(tags=["finance"])
ROLE_PATTERN = "^(" + "|".join(Role.values) + ")$"
LEVEL_PATTERN = "^(" + "|".join(AgentLevel.values) + ")?$"
GROUPING_PATTERN = "^(" + "|".join(Grouping.values) + ")$"


# --- hourly costs ----------------------------------------------------------------------------


class HourlyCostIn(Schema):
    company_id: int
    role: str = Field(pattern=ROLE_PATTERN)
    level: str = Field("", pattern=LEVEL_PATTERN)
    amount: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    currency: str = Field("RON", pattern=CURRENCY_PATTERN)
    valid_from: datetime.date
    valid_until: datetime.date | None = None


class HourlyCostOut(HourlyCostIn):
    id: int


def _cost_values(request: HttpRequest, payload: HourlyCostIn) -> dict[str, Any]:
    return {
        **payload.dict(exclude={"company_id"}),
        "company": access(Company, request.user, payload.company_id),
    }


@router.get("/hourly-costs", response=list[HourlyCostOut])
@paginate
def list_hourly_costs(
    request: HttpRequest, role: str | None = None, currency: str | None = None
) -> Any:
    require(request.user, VIEW, HourlyCost)
    costs = HourlyCost.objects.for_user(request.user)
    if role:
        costs = costs.filter(role=role)
    if currency:
        costs = costs.filter(currency=currency)
    return costs


@router.get("/hourly-costs/{cost_id}", response=HourlyCostOut)
def get_hourly_cost(request: HttpRequest, cost_id: int) -> Any:
    return access(HourlyCost, request.user, cost_id)


@router.post("/hourly-costs", response={201: HourlyCostOut})
def create_hourly_cost(request: HttpRequest, payload: HourlyCostIn) -> Any:
    require(request.user, ADD, HourlyCost)
    values = _cost_values(request, payload)
    return 201, services.save_hourly_cost(request.user, HourlyCost(), values)


@router.put("/hourly-costs/{cost_id}", response=HourlyCostOut)
def update_hourly_cost(request: HttpRequest, cost_id: int, payload: HourlyCostIn) -> Any:
    cost = access(HourlyCost, request.user, cost_id, CHANGE)
    return services.save_hourly_cost(request.user, cost, _cost_values(request, payload))


# --- financial plans -------------------------------------------------------------------------


class PlanIn(Schema):
    campaign_id: int
    starts_on: datetime.date
    ends_on: datetime.date
    target_hours: Decimal = Field(ge=Decimal("0.5"), max_digits=9, decimal_places=1)
    note: str = Field("", max_length=300)


class TargetIn(Schema):
    product_id: int
    units: int = Field(ge=1, le=2_000_000_000)


class TargetOut(TargetIn):
    id: int


class PlanOut(PlanIn):
    id: int
    targets: list[TargetOut]

    @staticmethod
    def resolve_targets(plan: FinancialPlan) -> list[PlanTarget]:
        return list(plan.targets.all())


def _plan_values(request: HttpRequest, payload: PlanIn) -> dict[str, Any]:
    return {
        **payload.dict(exclude={"campaign_id"}),
        "campaign": access(Campaign, request.user, payload.campaign_id),
    }


@router.get("/plans", response=list[PlanOut])
@paginate
def list_plans(request: HttpRequest, campaign_id: int | None = None) -> Any:
    require(request.user, VIEW, FinancialPlan)
    plans = FinancialPlan.objects.for_user(request.user).prefetch_related("targets")
    return plans.filter(campaign_id=campaign_id) if campaign_id else plans


@router.get("/plans/{plan_id}", response=PlanOut)
def get_plan(request: HttpRequest, plan_id: int) -> Any:
    return access(FinancialPlan, request.user, plan_id)


@router.post("/plans", response={201: PlanOut})
def create_plan(request: HttpRequest, payload: PlanIn) -> Any:
    require(request.user, ADD, FinancialPlan)
    return 201, services.save_plan(request.user, FinancialPlan(), _plan_values(request, payload))


@router.put("/plans/{plan_id}", response=PlanOut)
def update_plan(request: HttpRequest, plan_id: int, payload: PlanIn) -> Any:
    plan = access(FinancialPlan, request.user, plan_id, CHANGE)
    return services.save_plan(request.user, plan, _plan_values(request, payload))


@router.delete("/plans/{plan_id}", response={204: None})
def delete_plan(request: HttpRequest, plan_id: int) -> Any:
    plan = access(FinancialPlan, request.user, plan_id, DELETE)
    services.delete_plan(request.user, plan)
    return 204, None


@router.post("/plans/{plan_id}/targets", response={201: TargetOut})
def add_target(request: HttpRequest, plan_id: int, payload: TargetIn) -> Any:
    plan = access(FinancialPlan, request.user, plan_id, CHANGE)
    product = access(Product, request.user, payload.product_id)
    target = services.add_plan_target(
        request.user, plan, {"product": product, "units": payload.units}
    )
    return 201, target


@router.delete("/plans/{plan_id}/targets/{target_id}", response={204: None})
def remove_target(request: HttpRequest, plan_id: int, target_id: int) -> Any:
    target = access(PlanTarget, request.user, target_id, DELETE)
    if target.plan_id != plan_id:
        raise Http404(_("This plan has no such target."))
    services.remove_plan_target(request.user, target)
    return 204, None


class TargetProgressOut(Schema):
    product_id: int
    product: str
    target_units: int
    units: int
    forecast_units: Decimal | None


class PlanProgressOut(Schema):
    plan_id: int
    campaign_id: int
    campaign: str
    starts_on: datetime.date
    ends_on: datetime.date
    target_hours: Decimal
    hours_used: Decimal
    forecast_hours: Decimal | None
    elapsed_share: Decimal
    targets: list[TargetProgressOut]


@router.get("/plans/{plan_id}/progress", response=PlanProgressOut)
def get_plan_progress(request: HttpRequest, plan_id: int) -> Any:
    plan = access(FinancialPlan, request.user, plan_id)
    return services.plan_progress(plan).as_dict()


# --- profitability ---------------------------------------------------------------------------


class ProfitabilityQuery(Schema):
    since: datetime.date | None = Field(None, description="First day (default: today)")
    until: datetime.date | None = Field(None, description="Last day, included (default: since)")
    group_by: str = Field(Grouping.CAMPAIGN.value, pattern=GROUPING_PATTERN)
    currency: str = Field("RON", pattern=CURRENCY_PATTERN)
    campaign_id: int | None = None
    location_id: int | None = None
    team_id: int | None = None
    agent_id: int | None = None


class HoursOut(Schema):
    talk: Decimal
    wrap_up: Decimal
    waiting: Decimal
    paused: Decimal
    paused_by_reason: dict[str, Decimal]
    worked: Decimal


class ProfitRowOut(Schema):
    key: int | None
    label: str
    hours: HoursOut
    labour_cost: Decimal
    sales: int
    units: int
    revenue: Decimal
    production_cost: Decimal
    profit: Decimal
    cost_per_sale: Decimal | None


class ProfitabilityOut(Schema):
    since: datetime.date
    until: datetime.date
    currency: str
    group_by: str
    rows: list[ProfitRowOut]
    total: ProfitRowOut
    plans: list[PlanProgressOut]
    warnings: list[str]


@router.get("/profitability", response=ProfitabilityOut)
def get_profitability(request: HttpRequest, query: Query[ProfitabilityQuery]) -> Any:
    """Hours by kind, labour cost, accepted sales, revenue, production cost, profit and cost
    per sale, grouped by campaign, location, team or agent, with the plans of the period.
    Amounts are in `currency`; missing costs or prices are named in `warnings`."""
    user = request.user
    today = services.today_for(user)
    since = query.since or today.first_day
    period = services.Period(since, query.until or since, today.time_zone)
    filters = services.Filters(
        campaign=query.campaign_id,
        location=query.location_id,
        team=query.team_id,
        agent=query.agent_id,
    )
    result = services.profitability(user, period, query.group_by, filters, query.currency)
    return result.as_dict()
