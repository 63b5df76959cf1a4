"""Actions and figures of management finance.

Setting up: `save_hourly_cost`, `save_plan`, `delete_plan`, `add_plan_target`,
`remove_plan_target`.

Following: `profitability(user, period, group_by, filters, currency)` answers, for the people
and campaigns the user may see, the hours worked by kind (from `dialer.time_accounting`), what
they cost (each agent's hours times the hourly cost of their role and level valid on those
days), the accepted sales, their revenue (units times the product's price valid on the sale's
day) and production cost, the profit, the cost per sale, and the progress of the financial plans
of the period (hours and units against the targets, and a forecast at the current pace).

Money is `Money` (a Decimal and a currency): adding two currencies raises `CurrencyMismatch`.
Figures are in the one currency asked for; costs and prices kept in another currency are not
converted but named in the result's `warnings`, with the hours or units left out.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.campaigns.models import Campaign
from dialcrm.catalog.models import CURRENCIES, Product, ProductPrice
from dialcrm.core.periods import overlapping
from dialcrm.core.policy import CHANGE, DELETE, VIEW, access, can, may
from dialcrm.core.services import save_object
from dialcrm.desk.choices import SaleState
from dialcrm.desk.models import SaleLine
from dialcrm.dialer.choices import PauseReason
from dialcrm.dialer.models import AgentStateInterval
from dialcrm.dialer.time_accounting import TimeAccount, time_accounts
from dialcrm.finance.choices import Grouping
from dialcrm.finance.models import FinancialPlan, HourlyCost, PlanTarget
from dialcrm.org.models import Location, Staff, Team

CENT = Decimal("0.01")
HOUR_S = Decimal(3600)


# --- money -----------------------------------------------------------------------------------


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were about to be added."""


@dataclass(frozen=True)
class Money:
    """An amount in one currency."""

    amount: Decimal
    currency: str

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot add {other.currency} to {self.currency} without an exchange rate"
            )

    def rounded(self) -> Money:
        return Money(self.amount.quantize(CENT, rounding=ROUND_HALF_UP), self.currency)

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"


def hours(seconds: float | Decimal) -> Decimal:
    return (Decimal(str(seconds)) / HOUR_S).quantize(CENT, rounding=ROUND_HALF_UP)


# --- setting up ------------------------------------------------------------------------------


def save_hourly_cost(actor: Any, cost: HourlyCost, values: dict[str, Any]) -> HourlyCost:
    """Add or change an hourly cost; periods of one role, level and currency may not overlap."""
    return save_object(actor, cost, values)


def save_plan(actor: Any, plan: FinancialPlan, values: dict[str, Any]) -> FinancialPlan:
    """Add or change a plan, only before its period starts (the model says why otherwise)."""
    return save_object(actor, plan, values)


def delete_plan(actor: Any, plan: FinancialPlan) -> None:
    """Withdraw a plan whose period has not started (a begun plan stays, as it was set)."""
    if not can(actor, DELETE, plan):
        raise PermissionDenied(_("You may not delete this financial plan."))
    with transaction.atomic():
        locked = FinancialPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.has_begun():
            raise ValidationError(
                _("This plan's period began on %(start)s: a begun plan stays as it was set.")
                % {"start": locked.starts_on}
            )
        for target in locked.targets.all():
            target.delete()
        locked.delete()


def add_plan_target(actor: Any, plan: FinancialPlan, values: dict[str, Any]) -> PlanTarget:
    """Give a plan a target for one product (changing a plan: allowed before it starts)."""
    if not can(actor, CHANGE, plan):
        raise PermissionDenied(_("You may not change this financial plan."))
    return save_object(actor, PlanTarget(plan=plan), values)


def remove_plan_target(actor: Any, target: PlanTarget) -> None:
    if not can(actor, DELETE, target):
        raise PermissionDenied(_("You may not change this financial plan."))
    with transaction.atomic():
        plan = FinancialPlan.objects.select_for_update().get(pk=target.plan_id)
        if plan.has_begun():
            raise ValidationError(
                _("This plan's period began on %(start)s: its targets are fixed once it starts.")
                % {"start": plan.starts_on}
            )
        target.delete()


# --- profitability ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days, both included, in a time zone."""

    first_day: datetime.date
    last_day: datetime.date
    time_zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValidationError({"until": _("The period ends before it starts.")})
        if (self.last_day - self.first_day).days > 366:
            raise ValidationError({"until": _("Choose a period of at most a year.")})

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime.combine(self.first_day, datetime.time(), self.time_zone)

    @property
    def end(self) -> datetime.datetime:
        next_day = self.last_day + datetime.timedelta(days=1)
        return datetime.datetime.combine(next_day, datetime.time(), self.time_zone)


def time_zone_of(user: Any) -> ZoneInfo:
    company = getattr(user, "company", None)
    return ZoneInfo(company.time_zone if company is not None else settings.TIME_ZONE)


def today_for(user: Any) -> Period:
    zone = time_zone_of(user)
    today = timezone.localdate(timezone=zone)
    return Period(today, today, zone)


@dataclass(frozen=True)
class Filters:
    """Narrow the figures to one campaign, location, team or agent (ids; None: all seen)."""

    campaign: int | None = None
    location: int | None = None
    team: int | None = None
    agent: int | None = None


@dataclass
class ProfitRow:
    """The figures of one group (a campaign, a location, a team, an agent, or the total)."""

    key: int | None
    label: str
    currency: str
    talk_s: float = 0.0
    wrap_up_s: float = 0.0
    waiting_s: float = 0.0
    paused_by_reason_s: dict[str, float] = field(default_factory=dict)
    labour_cost_exact: Decimal = Decimal("0")
    sales: int = 0
    units: int = 0
    revenue_exact: Decimal = Decimal("0")
    production_cost_exact: Decimal = Decimal("0")

    @property
    def paused_s(self) -> float:
        return sum(self.paused_by_reason_s.values())

    @property
    def worked_s(self) -> float:
        return self.talk_s + self.wrap_up_s + self.waiting_s + self.paused_s

    def pauses(self) -> list[tuple[str, Decimal]]:
        """The paused hours by reason, labelled, for screens."""
        labels = dict(PauseReason.choices)
        return [
            (str(labels.get(reason, _("No reason given"))), hours(seconds))
            for reason, seconds in sorted(self.paused_by_reason_s.items())
        ]

    def add_pauses(self, by_reason: dict[str, float]) -> None:
        for reason, seconds in by_reason.items():
            self.paused_by_reason_s[reason] = self.paused_by_reason_s.get(reason, 0.0) + seconds

    @property
    def labour_cost(self) -> Money:
        return Money(self.labour_cost_exact, self.currency).rounded()

    @property
    def revenue(self) -> Money:
        return Money(self.revenue_exact, self.currency).rounded()

    @property
    def production_cost(self) -> Money:
        return Money(self.production_cost_exact, self.currency).rounded()

    @property
    def profit(self) -> Money:
        return self.revenue - self.production_cost - self.labour_cost

    @property
    def cost_per_sale(self) -> Money | None:
        if not self.sales:
            return None
        return Money(self.labour_cost_exact / self.sales, self.currency).rounded()

    def add(self, other: ProfitRow) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot add {other.currency} to {self.currency}")
        self.talk_s += other.talk_s
        self.wrap_up_s += other.wrap_up_s
        self.waiting_s += other.waiting_s
        self.add_pauses(other.paused_by_reason_s)
        self.labour_cost_exact += other.labour_cost_exact
        self.sales += other.sales
        self.units += other.units
        self.revenue_exact += other.revenue_exact
        self.production_cost_exact += other.production_cost_exact

    def as_dict(self) -> dict[str, Any]:
        cost_per_sale = self.cost_per_sale
        return {
            "key": self.key,
            "label": self.label,
            "hours": {
                "talk": hours(self.talk_s),
                "wrap_up": hours(self.wrap_up_s),
                "waiting": hours(self.waiting_s),
                "paused": hours(self.paused_s),
                "paused_by_reason": {
                    reason: hours(seconds)
                    for reason, seconds in sorted(self.paused_by_reason_s.items())
                },
                "worked": hours(self.worked_s),
            },
            "labour_cost": self.labour_cost.amount,
            "sales": self.sales,
            "units": self.units,
            "revenue": self.revenue.amount,
            "production_cost": self.production_cost.amount,
            "profit": self.profit.amount,
            "cost_per_sale": cost_per_sale.amount if cost_per_sale else None,
        }


@dataclass(frozen=True)
class TargetProgress:
    product_id: int
    product: str
    target_units: int
    units: int
    forecast_units: Decimal | None


@dataclass(frozen=True)
class PlanProgress:
    """A financial plan against what was done in its period up to now."""

    plan: FinancialPlan
    target_hours: Decimal
    hours_used: Decimal
    forecast_hours: Decimal | None
    elapsed_share: Decimal  # of the plan's period, 0 to 1
    targets: list[TargetProgress]

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan.pk,
            "campaign_id": self.plan.campaign_id,
            "campaign": str(self.plan.campaign),
            "starts_on": self.plan.starts_on,
            "ends_on": self.plan.ends_on,
            "target_hours": self.target_hours,
            "hours_used": self.hours_used,
            "forecast_hours": self.forecast_hours,
            "elapsed_share": self.elapsed_share,
            "targets": [
                {
                    "product_id": target.product_id,
                    "product": target.product,
                    "target_units": target.target_units,
                    "units": target.units,
                    "forecast_units": target.forecast_units,
                }
                for target in self.targets
            ],
        }


@dataclass
class Profitability:
    period: Period
    currency: str
    group_by: str
    rows: list[ProfitRow]
    total: ProfitRow
    plans: list[PlanProgress]
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The figures in plain values (the API's answer and the screen's charts)."""
        return {
            "since": self.period.first_day,
            "until": self.period.last_day,
            "currency": self.currency,
            "group_by": self.group_by,
            "rows": [row.as_dict() for row in self.rows],
            "total": self.total.as_dict(),
            "plans": [progress.as_dict() for progress in self.plans],
            "warnings": self.warnings,
        }


_TIME_GROUP = {
    Grouping.CAMPAIGN: "campaign",
    Grouping.LOCATION: "location",
    Grouping.TEAM: "team",
    Grouping.AGENT: "agent",
}
_UNGROUPED = {
    Grouping.CAMPAIGN: gettext_lazy("No campaign"),
    Grouping.LOCATION: gettext_lazy("No location"),
    Grouping.TEAM: gettext_lazy("No team"),
    Grouping.AGENT: gettext_lazy("No agent"),
}
_SALE_GROUP = {
    Grouping.CAMPAIGN: "sale__campaign_id",
    Grouping.LOCATION: "sale__agent__location_id",
    Grouping.TEAM: "sale__agent__team_id",
    Grouping.AGENT: "sale__agent_id",
}


def may_see_profitability(user: Any) -> bool:
    return may(user, VIEW, FinancialPlan)


def profitability(
    user: Any,
    period: Period,
    group_by: str = Grouping.CAMPAIGN,
    filters: Filters | None = None,
    currency: str = "RON",
    now: datetime.datetime | None = None,
) -> Profitability:
    """Hours, cost, sales, revenue, profit and plan progress for what the user may see."""
    if not may_see_profitability(user):
        raise PermissionDenied(_("You may not see costs and profit."))
    if group_by not in _TIME_GROUP:
        raise ValidationError({"group_by": _("Group by campaign, location, team or agent.")})
    if currency not in dict(CURRENCIES):
        raise ValidationError(
            {
                "currency": _("Choose a currency among %(codes)s.")
                % {"codes": ", ".join(dict(CURRENCIES))}
            }
        )
    now = now or timezone.now()
    filters = filters or Filters()
    scope = _Scope.of(user, filters)
    report = _Report(period, currency, group_by, now)
    report.count_time(scope.intervals(), scope.company_ids())
    report.count_sales(scope.sale_lines())
    return Profitability(
        period=period,
        currency=currency,
        group_by=group_by,
        rows=report.rows(),
        total=report.total(_("Total")),
        plans=plans_progress(scope.plans(period), now),
        warnings=report.warnings(),
    )


@dataclass(frozen=True)
class _Scope:
    """The locations the user sees (a location manager: theirs) and the filters asked for."""

    locations: QuerySet[Location]
    filters: Filters
    user: Any

    @classmethod
    def of(cls, user: Any, filters: Filters) -> _Scope:
        # Each filter must be something the user may see: out of sight is "not found".
        if filters.campaign is not None:
            access(Campaign, user, filters.campaign)
        if filters.location is not None:
            access(Location, user, filters.location)
        if filters.team is not None:
            access(Team, user, filters.team)
        if filters.agent is not None:
            access(Staff, user, filters.agent)
        return cls(Location.objects.for_user(user, VIEW), filters, user)

    def _condition(self, prefix: str, campaign: str) -> Q:
        condition = Q(**{f"{prefix}location__in": self.locations})
        chosen = {
            campaign: self.filters.campaign,
            f"{prefix}location_id": self.filters.location,
            f"{prefix}team_id": self.filters.team,
            f"{prefix}id": self.filters.agent,
        }
        for lookup, value in chosen.items():
            if value is not None:
                condition &= Q(**{lookup: value})
        return condition

    def company_ids(self) -> QuerySet[Any]:
        return self.locations.values("company_id")

    def intervals(self) -> QuerySet[AgentStateInterval]:
        return AgentStateInterval.objects.filter(self._condition("agent__", "campaign_id"))

    def sale_lines(self) -> QuerySet[SaleLine]:
        return SaleLine.objects.filter(
            self._condition("sale__agent__", "sale__campaign_id"),
            sale__state=SaleState.ACCEPTED,
        )

    def plans(self, period: Period) -> QuerySet[FinancialPlan]:
        plans = FinancialPlan.objects.for_user(self.user, VIEW).filter(
            starts_on__lte=period.last_day,
            ends_on__gte=period.first_day,
            campaign__location__in=self.locations,
        )
        if self.filters.campaign is not None:
            plans = plans.filter(campaign_id=self.filters.campaign)
        if self.filters.location is not None:
            plans = plans.filter(campaign__location_id=self.filters.location)
        return plans.select_related("campaign__location").order_by("campaign__name", "starts_on")


class _Rates:
    """Dated amounts (hourly costs or prices) looked up by a key and a day, loaded at once."""

    def __init__(self) -> None:
        self._spans: dict[Any, list[tuple[datetime.date, datetime.date | None, Any]]] = defaultdict(
            list
        )

    def add(self, key: Any, start: datetime.date, end: datetime.date | None, value: Any) -> None:
        self._spans[key].append((start, end, value))

    def parts(self, period: Period) -> list[Period]:
        """The period cut at each day where one of the amounts starts or stops applying."""
        changes = {
            day
            for spans in self._spans.values()
            for start, end, _value in spans
            for day in (start, end + datetime.timedelta(days=1) if end else None)
            if day is not None and period.first_day < day <= period.last_day
        }
        starts = [period.first_day, *sorted(changes)]
        ends = [day - datetime.timedelta(days=1) for day in starts[1:]] + [period.last_day]
        return [
            Period(first, last, period.time_zone) for first, last in zip(starts, ends, strict=True)
        ]

    def on(self, key: Any, day: datetime.date) -> Any:
        for start, end, value in self._spans.get(key, ()):
            if start <= day and (end is None or day <= end):
                return value
        return None


class _Report:
    """Collects time and sales into rows keyed by the group, pricing them as it goes."""

    def __init__(self, period: Period, currency: str, group_by: str, now: datetime.datetime):
        self.period = period
        self.currency = currency
        self.group_by = group_by
        self.now = now
        self._rows: dict[int | None, ProfitRow] = {}
        self._uncosted: dict[tuple[str, str], list[Any]] = {}
        self._unpriced: dict[int, list[Any]] = {}

    def _row(self, key: int | None) -> ProfitRow:
        if key not in self._rows:
            self._rows[key] = ProfitRow(key=key, label="", currency=self.currency)
        return self._rows[key]

    def count_time(
        self, intervals: QuerySet[AgentStateInterval], company_ids: QuerySet[Any]
    ) -> None:
        """Hours and their cost. The period is cut where an hourly cost starts or ends, so
        within each part every person has one rate and the hours are summed per person, with
        no per-day grouping."""
        group = _TIME_GROUP[self.group_by]
        rates = self._hourly_costs(company_ids)
        people: dict[int, dict[str, Any]] = {}
        for part in rates.parts(self.period):
            accounts = time_accounts(
                part.start,
                part.end,
                group_by=tuple(dict.fromkeys((group, "agent"))),
                intervals=intervals,
                now=self.now,
            )
            missing = {account.key["agent"] for account in accounts} - people.keys()
            people.update(
                (person["pk"], person)
                for person in Staff.objects.filter(pk__in=missing).values(
                    "pk", "company_id", "role", "level"
                )
            )
            for account in accounts:
                person = people[account.key["agent"]]
                rate = rates.on(
                    (person["company_id"], person["role"], person["level"]), part.first_day
                )
                self._add_time(self._row(account.key[group]), account, rate, person, part)

    def _hourly_costs(self, company_ids: QuerySet[Any]) -> _Rates:
        rates = _Rates()
        costs = HourlyCost.objects.filter(company_id__in=company_ids, currency=self.currency)
        for cost in overlapping(costs, self.period.first_day, self.period.last_day):
            rates.add(
                (cost.company_id, cost.role, cost.level),
                cost.valid_from,
                cost.valid_until,
                cost.amount,
            )
        return rates

    def _add_time(
        self,
        row: ProfitRow,
        account: TimeAccount,
        rate: Decimal | None,
        person: dict[str, Any],
        part: Period,
    ) -> None:
        row.talk_s += account.talk_s
        row.wrap_up_s += account.wrap_up_s
        row.waiting_s += account.waiting_s
        row.add_pauses(account.paused_by_reason_s)
        if rate is None:
            self._uncosted.setdefault((person["role"], person["level"]), []).append(
                (part.first_day, part.last_day, account.worked_s)
            )
            return
        row.labour_cost_exact += Decimal(str(account.worked_s)) * rate / HOUR_S

    def count_sales(self, lines: QuerySet[SaleLine]) -> None:
        group = _SALE_GROUP[self.group_by]
        in_period = lines.filter(
            sale__created_at__gte=self.period.start, sale__created_at__lt=self.period.end
        )
        units = (
            in_period.annotate(day=TruncDate("sale__created_at", tzinfo=self.period.time_zone))
            .order_by()
            .values(group, "product_id", "day")
            .annotate(units=Sum("quantity"))
        )
        sold = list(units)
        prices = self._prices({line["product_id"] for line in sold})
        for line in sold:
            row = self._row(line[group])
            row.units += line["units"]
            price = prices.on(line["product_id"], line["day"])
            if price is None:
                self._unpriced.setdefault(line["product_id"], []).append(
                    (line["day"], line["day"], line["units"])
                )
                continue
            row.revenue_exact += price.price * line["units"]
            row.production_cost_exact += price.production_cost * line["units"]
        sales = in_period.order_by().values(group).annotate(sales=Count("sale_id", distinct=True))
        for line in sales:
            self._row(line[group]).sales += line["sales"]

    def _prices(self, product_ids: Iterable[int]) -> _Rates:
        rates = _Rates()
        prices = ProductPrice.objects.filter(product_id__in=product_ids, currency=self.currency)
        for price in overlapping(prices, self.period.first_day, self.period.last_day):
            rates.add(price.product_id, price.valid_from, price.valid_until, price)
        return rates

    def rows(self) -> list[ProfitRow]:
        labels = _labels(self.group_by, [key for key in self._rows if key is not None])
        for key, row in self._rows.items():
            row.label = labels.get(key, "") if key is not None else str(_UNGROUPED[self.group_by])
        return sorted(self._rows.values(), key=lambda row: row.label.lower())

    def total(self, label: str) -> ProfitRow:
        total = ProfitRow(key=None, label=label, currency=self.currency)
        for row in self._rows.values():
            total.add(row)
        return total

    def warnings(self) -> list[str]:
        messages = []
        for (role, level), days in sorted(self._uncosted.items()):
            who = str(Staff(role=role, level=level).get_role_display())
            if level:
                who += f" ({Staff(role=role, level=level).get_level_display()})"
            messages.append(
                _(
                    "No hourly cost in %(currency)s for %(who)s on %(days)s: %(hours)s hours are "
                    "not in the cost. Add the cost under Finance > Hourly costs."
                )
                % {
                    "currency": self.currency,
                    "who": who,
                    "days": _day_span(days),
                    "hours": hours(sum(seconds for _first, _last, seconds in days)),
                }
            )
        names = dict(Product.objects.filter(pk__in=self._unpriced).values_list("pk", "name"))
        for product_id, days in sorted(self._unpriced.items()):
            messages.append(
                _(
                    "No %(currency)s price for %(product)s on %(days)s: %(units)s units are not "
                    "in the revenue. Add the price on the product's page."
                )
                % {
                    "currency": self.currency,
                    "product": names.get(product_id, product_id),
                    "days": _day_span(days),
                    "units": sum(units for _first, _last, units in days),
                }
            )
        return messages


def _day_span(spans: list[tuple[datetime.date, datetime.date, Any]]) -> str:
    first = min(start for start, _end, _amount in spans)
    last = max(end for _start, end, _amount in spans)
    return str(first) if first == last else f"{first} – {last}"


def _labels(group_by: str, keys: list[int]) -> dict[int, str]:
    if group_by == Grouping.CAMPAIGN:
        return dict(Campaign.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == Grouping.LOCATION:
        return dict(Location.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == Grouping.TEAM:
        return dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {person.pk: str(person) for person in Staff.objects.filter(pk__in=keys)}


def plan_progress(plan: FinancialPlan, now: datetime.datetime | None = None) -> PlanProgress:
    """Hours and units of the plan's campaign in its period up to now, and where the current
    pace leads by the period's end."""
    return plans_progress([plan], now)[0]


def _plan_period(plan: FinancialPlan) -> Period:
    """The plan's days, ending with the campaign if it ends first."""
    last_day = plan.ends_on
    campaign_end = plan.campaign.ends_on
    if campaign_end is not None and campaign_end < last_day:
        last_day = max(campaign_end, plan.starts_on)
    return Period(plan.starts_on, last_day, ZoneInfo(plan.campaign.location.time_zone))


def plans_progress(
    plans: Iterable[FinancialPlan], now: datetime.datetime | None = None
) -> list[PlanProgress]:
    """`plan_progress` for several plans, with one query for the hours and one for the units
    of all the plans sharing a period (a month's plans of every campaign, typically)."""
    now = now or timezone.now()
    plans = list(plans)
    by_period: dict[Period, list[FinancialPlan]] = defaultdict(list)
    for plan in plans:
        by_period[_plan_period(plan)].append(plan)
    hours_of: dict[int, float] = {}
    units_of: dict[tuple[int, int], int] = {}
    for period, members in by_period.items():
        campaigns = [plan.campaign_id for plan in members]
        for account in time_accounts(
            period.start,
            period.end,
            group_by=("campaign",),
            intervals=AgentStateInterval.objects.filter(campaign__in=campaigns),
            now=now,
        ):
            hours_of[account.key["campaign"]] = account.worked_s
        sold = (
            SaleLine.objects.filter(
                sale__campaign__in=campaigns,
                sale__state=SaleState.ACCEPTED,
                sale__created_at__gte=period.start,
                sale__created_at__lt=period.end,
            )
            .order_by()
            .values("sale__campaign_id", "product_id")
            .annotate(units=Sum("quantity"))
            .values_list("sale__campaign_id", "product_id", "units")
        )
        units_of.update(((campaign, product), units) for campaign, product, units in sold)
    return [_progress(plan, now, hours_of, units_of) for plan in plans]


def _progress(
    plan: FinancialPlan,
    now: datetime.datetime,
    hours_of: dict[int, float],
    units_of: dict[tuple[int, int], int],
) -> PlanProgress:
    period = _plan_period(plan)
    span_s = Decimal(str((period.end - period.start).total_seconds()))
    elapsed_s = Decimal(str(max(0.0, min((now - period.start).total_seconds(), float(span_s)))))
    share = elapsed_s / span_s
    used_hours = hours(hours_of.get(plan.campaign_id, 0.0))

    def forecast(done: Decimal) -> Decimal | None:
        if not share:
            return None
        return (done / share).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    targets = []
    for target in plan.targets.select_related("product").order_by("product__name"):
        units = units_of.get((plan.campaign_id, target.product_id), 0)
        targets.append(
            TargetProgress(
                product_id=target.product_id,
                product=target.product.name,
                target_units=target.units,
                units=units,
                forecast_units=forecast(Decimal(units)),
            )
        )
    return PlanProgress(
        plan=plan,
        target_hours=plan.target_hours,
        hours_used=used_hours,
        forecast_hours=forecast(used_hours),
        elapsed_share=share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        targets=targets,
    )
