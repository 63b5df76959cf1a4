"""The navigation each person sees, by what they may view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dialcrm.core.choices import Role
from dialcrm.core.policy import VIEW, may


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    model: str  # "app_label.Model" whose view permission shows the item
    group: str
    # Only for these roles as well (None: whoever may view the model).
    roles: frozenset[str] | None = None

    @property
    def url(self) -> str:
        return reverse(self.url_name)


ITEMS = (
    NavItem(_("Desk"), "desk:desk", "desk.DeskSession", _("Desk")),
    NavItem(_("My team"), "desk:team", "desk.SupervisorAction", _("Desk")),
    NavItem(_("Sales"), "desk:sale_list", "desk.Sale", _("Desk")),
    NavItem(
        _("My sales"),
        "quality:my_sales",
        "desk.DeskSession",
        _("Desk"),
        roles=frozenset({Role.AGENT}),
    ),
    NavItem(_("Review queue"), "quality:queue", "quality.ScoreCriterion", _("Quality")),
    NavItem(_("Scorecards"), "quality:criterion_list", "quality.ScoreCriterion", _("Quality")),
    NavItem(_("Scores"), "quality:scores", "quality.ScoreCriterion", _("Quality")),
    NavItem(_("Wallboard"), "wallboard:choose", "wallboard.CampaignWallboard", _("Desk")),
    NavItem(_("Companies"), "org:company_list", "org.Company", _("Organisation")),
    NavItem(_("Locations"), "org:location_list", "org.Location", _("Organisation")),
    NavItem(_("Teams"), "org:team_list", "org.Team", _("Organisation")),
    NavItem(_("Staff"), "org:staff_list", "org.Staff", _("Organisation")),
    NavItem(_("Products"), "catalog:product_list", "catalog.Product", _("Back office")),
    NavItem(_("Work sheets"), "campaigns:worksheet_list", "campaigns.WorkSheet", _("Back office")),
    NavItem(_("Statuses"), "campaigns:status_list", "campaigns.Status", _("Back office")),
    NavItem(_("Profitability"), "finance:profitability", "finance.FinancialPlan", _("Finance")),
    NavItem(_("Financial plans"), "finance:plan_list", "finance.FinancialPlan", _("Finance")),
    NavItem(_("Hourly costs"), "finance:hourlycost_list", "finance.HourlyCost", _("Finance")),
    NavItem(_("Clients"), "campaigns:client_list", "campaigns.Client", _("Campaigns")),
    NavItem(_("Call lists"), "campaigns:calllist_list", "campaigns.CallList", _("Campaigns")),
    NavItem(_("Campaigns"), "campaigns:campaign_list", "campaigns.Campaign", _("Campaigns")),
    NavItem(_("Do-not-call lists"), "campaigns:dnc_list", "campaigns.DncList", _("Campaigns")),
    NavItem(_("Reports"), "reports:index", "reports.AttemptHour", _("Reports")),
    NavItem(
        _("Scheduled reports"), "reports:schedule_list", "reports.ReportSchedule", _("Reports")
    ),
    NavItem(_("Allowed networks"), "core:network_list", "core.NetworkRule", _("Administration")),
    NavItem(_("API tokens"), "core:token_list", "core.ApiToken", _("Administration")),
    NavItem(
        _("Webhooks"), "webhooks:subscription_list", "webhooks.Subscription", _("Administration")
    ),
    NavItem(_("Audit log"), "core:audit_log", "core.AuditEntry", _("Administration")),
)


def sections_for(user: Any) -> list[tuple[str, list[NavItem]]]:
    sections: dict[str, list[NavItem]] = {}
    for item in ITEMS:
        if item.roles is not None and getattr(user, "role", None) not in item.roles:
            continue
        if may(user, VIEW, apps.get_model(item.model)):
            sections.setdefault(str(item.group), []).append(item)
    return list(sections.items())
