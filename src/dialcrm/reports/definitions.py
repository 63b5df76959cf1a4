"""The reports: each is defined once, by its filters, its columns, the query of its rows and its
chart, and the same definition serves the screen, the JSON API, the exports and the e-mails.

Every figure is read through the access policy of the rows it sums, so a location manager's
report holds their location only, a team leader's their teams' agents, an agent's their own work.
Each report also says which roles may run it at all (`roles`): campaign-wide figures (summary,
list penetration, hourly rates, abandon compliance) are for those who run campaigns (company and
location scope), since calls the dialer never put through to an agent belong to no team.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns.choices import LeadState
from dialcrm.campaigns.models import CallList, Campaign, Lead
from dialcrm.core.choices import Role
from dialcrm.core.policy import may
from dialcrm.desk.choices import SaleState
from dialcrm.desk.models import Sale
from dialcrm.dialer.choices import AttemptOutcome
from dialcrm.dialer.models import AgentStateInterval, CallAttempt
from dialcrm.dialer.time_accounting import time_accounts
from dialcrm.finance import services as finance
from dialcrm.finance.choices import FINANCE_READERS
from dialcrm.org.models import Staff
from dialcrm.reports.filters import ReportFilters
from dialcrm.reports.models import AttemptHour

CAMPAIGN_RUNNERS = frozenset({Role.ADMINISTRATOR, Role.MANAGER, Role.LOCATION_MANAGER})
PEOPLE_READERS = CAMPAIGN_RUNNERS | {Role.TEAM_LEADER, Role.AGENT}
QUALITY_READERS = PEOPLE_READERS | {Role.QUALITY}
ALL_FILTERS = ("campaign", "call_list", "location", "team", "agent")
CAMPAIGN_FILTERS = ("campaign", "call_list", "location")


class Kind:
    """How a column's values read: text, a count, a share (0..1), hours, seconds, money."""

    TEXT, COUNT, SHARE, HOURS, SECONDS, MONEY = (
        "text",
        "count",
        "share",
        "hours",
        "seconds",
        "money",
    )


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: str = Kind.COUNT

    def display(self, value: Any) -> str:
        """The value as people read it (the screen and the PDF)."""
        if value is None or value == "":
            return "—"
        if self.kind == Kind.SHARE and isinstance(value, int | float):
            return f"{value * 100:.2f}%"
        if isinstance(value, float):
            return f"{value:,.2f}"
        return str(value)

    @property
    def is_number(self) -> bool:
        return self.kind != Kind.TEXT


@dataclass(frozen=True)
class Chart:
    """A Chart.js chart of the rows: labels from one column, one data set per series column."""

    kind: str  # "bar" or "line"
    label: str
    series: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    slug: str
    title: str | Promise
    description: str | Promise
    columns: tuple[Column, ...]
    chart: Chart
    query: Callable[[Any, ReportFilters], list[dict[str, Any]]]
    roles: frozenset[str]
    filters: tuple[str, ...] = ALL_FILTERS
    total: bool = True  # a total row
    # The total row's shares and averages, worked out from its sums (summing them is wrong).
    total_ratios: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)

    def may_run(self, user: Any) -> bool:
        if not (user is not None and user.is_authenticated and user.is_active):
            return False
        return bool(user.is_superuser or user.role in self.roles)

    def run(self, user: Any, filters: ReportFilters) -> ReportResult:
        rows = self.query(user, filters)
        totals = _totals(self, rows) if self.total and rows else None
        return ReportResult(self, filters, rows, totals)


@dataclass
class ReportResult:
    report: Report
    filters: ReportFilters
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None = None
    columns: tuple[Column, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.columns = self.report.columns

    def table(self) -> list[list[tuple[Column, str]]]:
        """The rows (and the total) as displayed cells."""
        rows = [*self.rows, self.totals] if self.totals else self.rows
        return [
            [(column, column.display(row[column.key])) for column in self.columns] for row in rows
        ]

    def chart_data(self) -> dict[str, Any]:
        chart = self.report.chart
        labels = {column.key: str(column.label) for column in self.columns}
        return {
            "type": chart.kind,
            "labels": [str(row[chart.label]) for row in self.rows],
            "datasets": [
                {"label": labels[key], "data": [row[key] for row in self.rows]}
                for key in chart.series
            ],
        }


def share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _totals(report: Report, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts, hours and money add up; shares and averages come from the sums
    (`total_ratios`); what neither covers is left empty."""
    totals: dict[str, Any] = {}
    for column in report.columns:
        if column.kind in (Kind.COUNT, Kind.HOURS, Kind.MONEY):
            values = [row[column.key] for row in rows if row[column.key] is not None]
            totals[column.key] = round(sum(values), 2) if values else 0
        else:
            totals[column.key] = None
    for key, ratio in report.total_ratios.items():
        totals[key] = ratio(totals)
    totals[report.columns[0].key] = str(_("Total"))
    return totals


def _ratio(part: str, whole: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda totals: share(totals[part], totals[whole])


# --- the rows each report reads, in the reader's scope and filtered ---------------------------


def _in_period(filters: ReportFilters, field_name: str) -> Q:
    return Q(**{f"{field_name}__gte": filters.starts_at, f"{field_name}__lt": filters.ends_at})


def _filtered(
    queryset: QuerySet[Any], filters: ReportFilters, paths: dict[str, str]
) -> QuerySet[Any]:
    for name, path in paths.items():
        value = filters.get(name)
        if value is not None:
            queryset = queryset.filter(**{path: value})
    return queryset


_HOUR_PATHS = {
    "campaign": "campaign_id",
    "call_list": "call_list_id",
    "location": "campaign__location_id",
    "team": "agent__team_id",
    "agent": "agent_id",
}
_CALL_PATHS = {
    "campaign": "campaign_id",
    "call_list": "lead__call_list_id",
    "location": "campaign__location_id",
    "team": "agent__team_id",
    "agent": "agent_id",
}


def hours(user: Any, filters: ReportFilters) -> QuerySet[AttemptHour]:
    rows = AttemptHour.objects.for_user(user).filter(_in_period(filters, "hour"))
    return _filtered(rows, filters, _HOUR_PATHS)


def attempts(user: Any, filters: ReportFilters) -> QuerySet[CallAttempt]:
    rows = CallAttempt.objects.for_user(user).filter(_in_period(filters, "dialed_at"))
    return _filtered(rows, filters, _CALL_PATHS)


def sales(user: Any, filters: ReportFilters) -> QuerySet[Sale]:
    rows = Sale.objects.for_user(user).filter(_in_period(filters, "created_at"))
    return _filtered(rows, filters, _CALL_PATHS)


_SUMS = {
    name: Sum(name)
    for name in (
        "attempts",
        "contacts",
        "connected",
        "abandoned",
        "machines",
        "busy",
        "no_answer",
        "failed",
        "talk_s",
        "wait_s",
    )
}


def _sales_by(user: Any, filters: ReportFilters, key: str) -> dict[Any, dict[str, int]]:
    counted = (
        sales(user, filters)
        .order_by()
        .values(key)
        .annotate(sold=Count("pk"), accepted=Count("pk", filter=Q(state=SaleState.ACCEPTED)))
    )
    return {row[key]: row for row in counted}


def _names(model: Any, ids: Iterable[Any]) -> dict[Any, str]:
    return {item.pk: str(item) for item in model.objects.filter(pk__in=[i for i in ids if i])}


# --- campaign summary -----------------------------------------------------------------------


def campaign_summary(user: Any, filters: ReportFilters) -> list[dict[str, Any]]:
    per_campaign = {
        row["campaign_id"]: row
        for row in hours(user, filters).order_by().values("campaign_id").annotate(**_SUMS)
    }
    sold = _sales_by(user, filters, "campaign_id")
    names = _names(Campaign, set(per_campaign) | set(sold))
    rows = []
    for campaign_id in sorted(names, key=lambda pk: names[pk].lower()):
        row = per_campaign.get(campaign_id, {})
        sale = sold.get(campaign_id, {})
        live = row.get("connected", 0) + row.get("abandoned", 0)
        rows.append(
            {
                "campaign": names[campaign_id],
                "attempts": row.get("attempts", 0),
                "contacts": row.get("contacts", 0),
                "contact_rate": share(row.get("contacts", 0), row.get("attempts", 0)),
                "live_answers": live,
                "abandoned": row.get("abandoned", 0),
                "abandon_rate": share(row.get("abandoned", 0), live),
                "talk_hours": round((row.get("talk_s") or 0) / 3600, 2),
                "sales": sale.get("sold", 0),
                "accepted": sale.get("accepted", 0),
                "conversion": share(sale.get("sold", 0), row.get("contacts", 0)),
            }
        )
    return rows


# --- agent performance ------------------------------------------------------------------------


def agent_performance(user: Any, filters: ReportFilters) -> list[dict[str, Any]]:
    per_agent = (
        hours(user, filters)
        .filter(agent__isnull=False)
        .order_by()
        .values("agent_id")
        .annotate(**_SUMS)
    )
    by_agent = {row["agent_id"]: row for row in per_agent}
    sold = _sales_by(user, filters, "agent_id")
    people = {
        person.pk: person
        for person in Staff.objects.filter(pk__in=set(by_agent) | set(sold)).select_related("team")
    }
    rows = []
    for agent_id in sorted(people, key=lambda pk: str(people[pk]).lower()):
        row = by_agent.get(agent_id, {})
        sale = sold.get(agent_id, {})
        connected = row.get("connected", 0)
        talk_s = row.get("talk_s") or 0.0
        rows.append(
            {
                "agent": str(people[agent_id]),
                "team": str(people[agent_id].team or ""),
                "calls": connected,
                "contacts": row.get("contacts", 0),
                "talk_hours": round(talk_s / 3600, 2),
                "average_talk_s": round(talk_s / connected, 1) if connected else None,
                "average_wait_s": round((row.get("wait_s") or 0) / connected, 2)
                if connected
                else None,
                "sales": sale.get("sold", 0),
                "accepted": sale.get("accepted", 0),
                "conversion": share(sale.get("sold", 0), row.get("contacts", 0)),
            }
        )
    return rows


# --- time accounting ------------------------------------------------------------------------


def time_accounting(user: Any, filters: ReportFilters) -> list[dict[str, Any]]:
    """Each agent's logged-in hours split into talk, wrap-up, waiting and paused."""
    intervals = _filtered(
        AgentStateInterval.objects.for_user(user),
        filters,
        {
            "campaign": "campaign_id",
            "location": "agent__location_id",
            "team": "agent__team_id",
            "agent": "agent_id",
        },
    )
    accounts = time_accounts(filters.starts_at, filters.ends_at, intervals=intervals)
    people = {
        person.pk: person
        for person in Staff.objects.filter(
            pk__in=[account.key["agent"] for account in accounts]
        ).select_related("team")
    }
    rows = []
    for account in sorted(accounts, key=lambda item: str(people[item.key["agent"]]).lower()):
        person = people[account.key["agent"]]
        rows.append(
            {
                "agent": str(person),
                "team": str(person.team or ""),
                "worked_hours": round(account.worked_s / 3600, 2),
                "talk_hours": round(account.talk_s / 3600, 2),
                "wrap_up_hours": round(account.wrap_up_s / 3600, 2),
                "waiting_hours": round(account.waiting_s / 3600, 2),
                "paused_hours": round(account.paused_s / 3600, 2),
                "occupancy": share(account.talk_s + account.wrap_up_s, account.worked_s),
            }
        )
    return rows


# --- profitability against plan ----------------------------------------------------------


def profitability_vs_plan(user: Any, filters: ReportFilters) -> list[dict[str, Any]]:
    """Each campaign's hours, cost, sales, revenue and profit (`dialcrm.finance`), with its
    financial plans' hours and units against what was done so far."""
    figures = finance.profitability(
        user,
        finance.Period(filters.start, filters.end, filters.zone),
        group_by="campaign",
        filters=finance.Filters(
            campaign=filters.get("campaign"),
            location=filters.get("location"),
            team=filters.get("team"),
            agent=filters.get("agent"),
        ),
    )
    plans: dict[Any, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for progress in figures.plans:
        plan = plans[progress.plan.campaign_id]
        plan["target_hours"] += progress.target_hours
        plan["hours_used"] += progress.hours_used
        plan["target_units"] += sum(target.target_units for target in progress.targets)
        plan["units"] += sum(target.units for target in progress.targets)
    rows = []
    for row in figures.rows:
        plan = plans.get(row.key, {})
        cost_per_sale = row.cost_per_sale
        rows.append(
            {
                "campaign": row.label,
                "worked_hours": round(row.worked_s / 3600, 2),
                "labour_cost": float(row.labour_cost.amount),
                "sales": row.sales,
                "units": row.units,
                "revenue": float(row.revenue.amount),
                "profit": float(row.profit.amount),
                "cost_per_sale": float(cost_per_sale.amount) if cost_per_sale else None,
                "plan_hours": float(plan["target_hours"]) if plan else None,
                "plan_hours_used": share(
                    float(plan.get("hours_used", 0)), float(plan.get("target_hours", 0))
                ),
                "plan_units": int(plan["target_units"]) if plan else None,
                "plan_units_done": share(
                    float(plan.get("units", 0)), float(plan.get("target_units", 0))
                ),
            }
        )
    return rows


# --- list penetration -------------------------------------------------------------------------


def list_penetration(user: Any, filters: ReportFilters) -> list[dict[str, Any]]:
    campaigns = _filtered(
        Campaign.objects.for_user(user),
        filters,
        {"campaign": "pk", "location": "location_id"},
    )
    lists = CallList.objects.for_user(user).filter(campaigns__in=campaigns).distinct()
    if filters.get("call_list") is not None:
        lists = lists.filter(pk=filters.get("call_list"))
    contacted = CallAttempt.objects.filter(lead=OuterRef("pk"), outcome=AttemptOutcome.CONTACT)
    counted = (
        Lead.objects.filter(call_list__in=lists)
        .annotate(was_contacted=Exists(contacted))
        .order_by()
        .values("call_list_id")
        .annotate(
            leads=Count("pk"),
            attempted=Count("pk", filter=Q(attempts__gt=0)),
            contacted=Count("pk", filter=Q(was_contacted=True)),
            final=Count("pk", filter=Q(state=LeadState.FINAL)),
        )
    )
    by_list = {row["call_list_id"]: row for row in counted}
    rows = []
    for call_list in lists.order_by("name"):
        row = by_list.get(call_list.pk, {})
        leads = row.get("leads", 0)
        rows.append(
            {
                "call_list": call_list.name,
                "leads": leads,
                "attempted": row.get("attempted", 0),
                "attempted_share": share(row.get("attempted", 0), leads),
                "contacted": row.get("contacted", 0),
                "contacted_share": share(row.get("contacted", 0), leads),
                "final": row.get("final", 0),
                "final_share": share(row.get("final", 0), leads),
            }
        )
    return rows


# --- statuses breakdown -----------------------------------------------------------------------


def statuses_breakdown(user: Any, filters: ReportFilters) -> list[dict[str, Any]]:
    counted = list(
        attempts(user, filters)
        .filter(status__isnull=False)
        .order_by()
        .values("status__code", "status__label", "status__category")
        .annotate(calls=Count("pk"))
        .order_by("-calls", "status__code")
    )
    total = sum(row["calls"] for row in counted)
    return [
        {
            "status": f"{row['status__code']} · {row['status__label']}",
            "category": row["status__category"],
            "calls": row["calls"],
            "share": share(row["calls"], total),
        }
        for row in counted
    ]


# --- hourly contact rates ---------------------------------------------------------------------


def hourly_contact_rates(user: Any, filters: ReportFilters) -> list[dict[str, Any]]:
    per_hour = (
        hours(user, filters)
        .annotate(local_hour=ExtractHour("hour", tzinfo=filters.zone))
        .order_by()
        .values("local_hour")
        .annotate(**_SUMS)
    )
    by_hour = {row["local_hour"]: row for row in per_hour}
    rows = []
    for hour in range(24):
        row = by_hour.get(hour)
        if row is None:
            continue
        rows.append(
            {
                "hour": f"{hour:02d}:00",
                "attempts": row["attempts"],
                "contacts": row["contacts"],
                "contact_rate": share(row["contacts"], row["attempts"]),
                "machines": row["machines"],
                "no_answer": row["no_answer"],
                "busy": row["busy"],
            }
        )
    return rows


# --- abandon compliance -----------------------------------------------------------------------


def abandon_compliance(user: Any, filters: ReportFilters) -> list[dict[str, Any]]:
    """Per campaign: the abandon rate of the period, of the 24 hours and of the 30 days before
    the period's end (or now, if sooner), against the campaign's cap."""
    until = min(filters.ends_at, timezone.now())
    windows = {
        "period": (filters.starts_at, filters.ends_at),
        "day": (until - datetime.timedelta(hours=24), until),
        "month": (until - datetime.timedelta(days=30), until),
    }
    scoped = _filtered(
        AttemptHour.objects.for_user(user),
        filters,
        {
            "campaign": "campaign_id",
            "call_list": "call_list_id",
            "location": "campaign__location_id",
        },
    )
    figures: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for window, (start, end) in windows.items():
        for row in (
            scoped.filter(hour__gte=start, hour__lt=end)
            .order_by()
            .values("campaign_id")
            .annotate(
                abandoned_calls=Sum("abandoned"), live_calls=Sum(F("connected") + F("abandoned"))
            )
        ):
            figures[row["campaign_id"]][window] = (row["abandoned_calls"], row["live_calls"])
    campaigns = Campaign.objects.filter(pk__in=figures).order_by("name")
    rows = []
    for campaign in campaigns:
        rates = {window: share(*figures[campaign.pk].get(window, (0, 0))) for window in windows}
        cap = float(campaign.max_abandon_rate) / 100
        worst = max((rate for rate in rates.values() if rate is not None), default=0.0)
        rows.append(
            {
                "campaign": campaign.name,
                "cap": cap,
                "live_answers": figures[campaign.pk].get("period", (0, 0))[1],
                "abandoned": figures[campaign.pk].get("period", (0, 0))[0],
                "period_rate": rates["period"],
                "day_rate": rates["day"],
                "month_rate": rates["month"],
                "within_cap": str(_("yes") if worst <= cap else _("no")),
            }
        )
    return rows


# --- quality outcomes -------------------------------------------------------------------------


def quality_outcomes(user: Any, filters: ReportFilters) -> list[dict[str, Any]]:
    """Sales of the period by agent and by where they are in quality review."""
    counted = (
        sales(user, filters)
        .order_by()
        .values("agent_id")
        .annotate(
            sold=Count("pk"),
            **{state: Count("pk", filter=Q(state=state)) for state in SaleState.values},
        )
    )
    by_agent = {row["agent_id"]: row for row in counted}
    people = _names(Staff, by_agent)
    rows = []
    for agent_id in sorted(people, key=lambda pk: people[pk].lower()):
        row = by_agent[agent_id]
        reviewed = row[SaleState.ACCEPTED] + row[SaleState.REJECTED]
        rows.append(
            {
                "agent": people[agent_id],
                "sales": row["sold"],
                **{state: row[state] for state in SaleState.values},
                "acceptance_rate": share(row[SaleState.ACCEPTED], reviewed),
            }
        )
    return rows


REPORTS: dict[str, Report] = {}


def register(report: Report) -> Report:
    REPORTS[report.slug] = report
    return report


register(
    Report(
        slug="campaign-summary",
        title=_("Campaign summary"),
        description=_(
            "Calls, contacts, abandoned calls, talk time and sales of each campaign in the period."
        ),
        columns=(
            Column("campaign", _("Campaign"), Kind.TEXT),
            Column("attempts", _("Calls dialled")),
            Column("contacts", _("Contacts")),
            Column("contact_rate", _("Contact rate"), Kind.SHARE),
            Column("live_answers", _("Answered by a person")),
            Column("abandoned", _("Abandoned")),
            Column("abandon_rate", _("Abandon rate"), Kind.SHARE),
            Column("talk_hours", _("Talk hours"), Kind.HOURS),
            Column("sales", _("Sales")),
            Column("accepted", _("Accepted sales")),
            Column("conversion", _("Sales per contact"), Kind.SHARE),
        ),
        chart=Chart("bar", "campaign", ("attempts", "contacts", "sales")),
        total_ratios={
            "contact_rate": _ratio("contacts", "attempts"),
            "abandon_rate": _ratio("abandoned", "live_answers"),
            "conversion": _ratio("sales", "contacts"),
        },
        query=campaign_summary,
        roles=CAMPAIGN_RUNNERS,
        filters=CAMPAIGN_FILTERS,
    )
)
register(
    Report(
        slug="agent-performance",
        title=_("Agent performance"),
        description=_(
            "Calls, talk time, average handling, sales and conversion of each agent in the period."
        ),
        columns=(
            Column("agent", _("Agent"), Kind.TEXT),
            Column("team", _("Team"), Kind.TEXT),
            Column("calls", _("Calls taken")),
            Column("contacts", _("Contacts")),
            Column("talk_hours", _("Talk hours"), Kind.HOURS),
            Column("average_talk_s", _("Average talk (s)"), Kind.SECONDS),
            Column("average_wait_s", _("Average answer wait (s)"), Kind.SECONDS),
            Column("sales", _("Sales")),
            Column("accepted", _("Accepted sales")),
            Column("conversion", _("Sales per contact"), Kind.SHARE),
        ),
        chart=Chart("bar", "agent", ("contacts", "sales")),
        total_ratios={"conversion": _ratio("sales", "contacts")},
        query=agent_performance,
        roles=QUALITY_READERS,
    )
)
register(
    Report(
        slug="time-accounting",
        title=_("Time accounting"),
        description=_(
            "How each agent's logged-in hours were spent: talking, wrapping up, waiting, paused."
        ),
        columns=(
            Column("agent", _("Agent"), Kind.TEXT),
            Column("team", _("Team"), Kind.TEXT),
            Column("worked_hours", _("Logged-in hours"), Kind.HOURS),
            Column("talk_hours", _("Talk hours"), Kind.HOURS),
            Column("wrap_up_hours", _("Wrap-up hours"), Kind.HOURS),
            Column("waiting_hours", _("Waiting hours"), Kind.HOURS),
            Column("paused_hours", _("Paused hours"), Kind.HOURS),
            Column("occupancy", _("Occupancy"), Kind.SHARE),
        ),
        chart=Chart(
            "bar", "agent", ("talk_hours", "wrap_up_hours", "waiting_hours", "paused_hours")
        ),
        total_ratios={
            "occupancy": lambda totals: share(
                totals["talk_hours"] + totals["wrap_up_hours"], totals["worked_hours"]
            )
        },
        query=time_accounting,
        roles=PEOPLE_READERS,
        filters=("campaign", "location", "team", "agent"),
    )
)
register(
    Report(
        slug="profitability",
        title=_("Profitability against plan"),
        description=_(
            "Each campaign's hours, labour cost, accepted sales, revenue and profit in the period, "
            "and its financial plans' hours and units done so far."
        ),
        columns=(
            Column("campaign", _("Campaign"), Kind.TEXT),
            Column("worked_hours", _("Hours worked"), Kind.HOURS),
            Column("labour_cost", _("Labour cost"), Kind.MONEY),
            Column("sales", _("Accepted sales")),
            Column("units", _("Units")),
            Column("revenue", _("Revenue"), Kind.MONEY),
            Column("profit", _("Profit"), Kind.MONEY),
            Column("cost_per_sale", _("Cost per sale"), Kind.MONEY),
            Column("plan_hours", _("Planned hours"), Kind.HOURS),
            Column("plan_hours_used", _("Planned hours used"), Kind.SHARE),
            Column("plan_units", _("Planned units")),
            Column("plan_units_done", _("Planned units done"), Kind.SHARE),
        ),
        chart=Chart("bar", "campaign", ("labour_cost", "revenue", "profit")),
        total_ratios={
            "cost_per_sale": lambda totals: (
                round(totals["labour_cost"] / totals["sales"], 2) if totals["sales"] else None
            )
        },
        query=profitability_vs_plan,
        roles=FINANCE_READERS,
        filters=("campaign", "location", "team", "agent"),
    )
)
register(
    Report(
        slug="list-penetration",
        title=_("List penetration"),
        description=_(
            "How far each call list has been worked: leads attempted, contacted and finished "
            "(the lists' state now; the period does not apply)."
        ),
        columns=(
            Column("call_list", _("Call list"), Kind.TEXT),
            Column("leads", _("Leads")),
            Column("attempted", _("Attempted")),
            Column("attempted_share", _("Attempted share"), Kind.SHARE),
            Column("contacted", _("Contacted")),
            Column("contacted_share", _("Contacted share"), Kind.SHARE),
            Column("final", _("Finished")),
            Column("final_share", _("Finished share"), Kind.SHARE),
        ),
        chart=Chart("bar", "call_list", ("attempted", "contacted", "final")),
        total_ratios={
            "attempted_share": _ratio("attempted", "leads"),
            "contacted_share": _ratio("contacted", "leads"),
            "final_share": _ratio("final", "leads"),
        },
        query=list_penetration,
        roles=CAMPAIGN_RUNNERS,
        filters=CAMPAIGN_FILTERS,
    )
)
register(
    Report(
        slug="statuses",
        title=_("Statuses breakdown"),
        description=_("How the calls of the period were closed, by status."),
        columns=(
            Column("status", _("Status"), Kind.TEXT),
            Column("category", _("Meaning"), Kind.TEXT),
            Column("calls", _("Calls")),
            Column("share", _("Share"), Kind.SHARE),
        ),
        chart=Chart("bar", "status", ("calls",)),
        total_ratios={"share": _ratio("calls", "calls")},
        query=statuses_breakdown,
        roles=PEOPLE_READERS,
    )
)
register(
    Report(
        slug="hourly-contact-rates",
        title=_("Hourly contact rates"),
        description=_("Calls and contacts by hour of the day (local time) over the period."),
        columns=(
            Column("hour", _("Hour"), Kind.TEXT),
            Column("attempts", _("Calls dialled")),
            Column("contacts", _("Contacts")),
            Column("contact_rate", _("Contact rate"), Kind.SHARE),
            Column("machines", _("Answering machines")),
            Column("no_answer", _("No answer")),
            Column("busy", _("Busy")),
        ),
        chart=Chart("line", "hour", ("attempts", "contacts")),
        total_ratios={"contact_rate": _ratio("contacts", "attempts")},
        query=hourly_contact_rates,
        roles=CAMPAIGN_RUNNERS,
        filters=CAMPAIGN_FILTERS,
    )
)
register(
    Report(
        slug="abandon-compliance",
        title=_("Abandon compliance"),
        description=_(
            "Each campaign's abandoned calls against its cap: over the period, the last 24 hours "
            "and the last 30 days (to the period's end)."
        ),
        columns=(
            Column("campaign", _("Campaign"), Kind.TEXT),
            Column("cap", _("Cap"), Kind.SHARE),
            Column("live_answers", _("Answered by a person")),
            Column("abandoned", _("Abandoned")),
            Column("period_rate", _("Rate in the period"), Kind.SHARE),
            Column("day_rate", _("Rate, 24 hours"), Kind.SHARE),
            Column("month_rate", _("Rate, 30 days"), Kind.SHARE),
            Column("within_cap", _("Within the cap"), Kind.TEXT),
        ),
        chart=Chart("bar", "campaign", ("period_rate", "day_rate", "month_rate", "cap")),
        query=abandon_compliance,
        roles=CAMPAIGN_RUNNERS,
        filters=CAMPAIGN_FILTERS,
        total=False,
    )
)
register(
    Report(
        slug="quality-outcomes",
        title=_("Quality outcomes"),
        description=_("The sales of the period by agent and by quality review outcome."),
        columns=(
            Column("agent", _("Agent"), Kind.TEXT),
            Column("sales", _("Sales")),
            *(Column(state, label) for state, label in SaleState.choices),
            Column("acceptance_rate", _("Accepted of reviewed"), Kind.SHARE),
        ),
        chart=Chart("bar", "agent", tuple(SaleState.values)),
        total_ratios={
            "acceptance_rate": lambda totals: share(
                totals[SaleState.ACCEPTED],
                totals[SaleState.ACCEPTED] + totals[SaleState.REJECTED],
            )
        },
        query=quality_outcomes,
        roles=QUALITY_READERS,
    )
)


def reports_for(user: Any) -> list[Report]:
    return [report for report in REPORTS.values() if report.may_run(user)]


def may_see_reports(user: Any) -> bool:
    return may(user, "view", AttemptHour) and bool(reports_for(user))
