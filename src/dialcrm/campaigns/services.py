"""Actions of the location manager's flow: clients, call lists and campaigns, and starting,
pausing, stopping and completing a campaign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialcrm.campaigns.choices import CampaignState, DialMode, StopReason
from dialcrm.campaigns.models import CallList, Campaign, CampaignList, Client, Lead
from dialcrm.core import audit
from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.policy import CHANGE, can
from dialcrm.core.services import save_object
from dialcrm.webhooks import services as webhooks

CAMPAIGN_RELATIONS = ("statuses", "products", "agents", "teams", "dnc_lists")


def save_client(actor: Any, client: Client, values: dict[str, Any]) -> Client:
    return save_object(actor, client, values)


def save_call_list(actor: Any, call_list: CallList, values: dict[str, Any]) -> CallList:
    country = values.get("default_country")
    if country is not None:
        values = {**values, "default_country": country.upper()}
    return save_object(actor, call_list, values)


def _check_related_company(campaign: Campaign, relations: dict[str, Any]) -> None:
    """Everything a campaign uses belongs to the client's company (and agents to its location)."""
    company_id = campaign.client.company_id
    errors: dict[str, str] = {}
    for name in ("statuses", "products", "dnc_lists"):
        if any(item.company_id != company_id for item in relations.get(name, ())):
            errors[name] = _("Choose only items of the client's company.")
    for agent in relations.get("agents", ()):
        if agent.company_id != company_id or agent.role != Role.AGENT:
            errors["agents"] = _("%(name)s is not an agent of this company.") % {"name": agent}
            break
    for team in relations.get("teams", ()):
        if team.location_id != campaign.location_id:
            errors["teams"] = _("%(team)s works at another location.") % {"team": team}
            break
    if errors:
        raise ValidationError(errors)


def save_campaign(actor: Any, campaign: Campaign, values: dict[str, Any]) -> Campaign:
    """Create or change a campaign, with its related statuses, products, agents, teams and DNC
    lists; the changes to those relations are in the audit log too."""
    relations = {name: list(values.pop(name)) for name in CAMPAIGN_RELATIONS if name in values}
    if campaign.pk and campaign.state == CampaignState.RUNNING:
        locked = {"dial_mode", "client", "location"} & {
            name for name, value in values.items() if getattr(campaign, name) != value
        }
        if locked:
            raise ValidationError(
                {name: _("Pause the campaign before changing this.") for name in sorted(locked)}
            )
    with transaction.atomic():
        campaign = save_object(actor, campaign, values)
        _check_related_company(campaign, relations)
        changes = {}
        for name, items in relations.items():
            manager = getattr(campaign, name)
            before = sorted(manager.values_list("pk", flat=True))
            after = sorted(item.pk for item in items)
            if before != after:
                manager.set(items)
                changes[name] = [before, after]
        if changes and audit.current_actor() is not None:
            audit.record(AuditAction.UPDATE, instance=campaign, changes=changes)
    return campaign


def set_campaign_lists(actor: Any, campaign: Campaign, lists: list[tuple[CallList, int]]) -> None:
    """Replace the campaign's call lists with (list, priority) pairs."""
    if not can(actor, CHANGE, campaign):
        raise PermissionDenied(_("You may not change this campaign."))
    for call_list, priority in lists:
        if call_list.client_id != campaign.client_id:
            raise ValidationError(
                {"call_lists": _("%(list)s belongs to another client.") % {"list": call_list}}
            )
        if not 1 <= priority <= 99:
            raise ValidationError({"call_lists": _("Priorities go from 1 (first) to 99.")})
    with transaction.atomic():
        before = sorted(campaign.list_links.values_list("call_list_id", "priority"))
        campaign.list_links.all().delete()
        CampaignList.objects.bulk_create(
            CampaignList(campaign=campaign, call_list=call_list, priority=priority)
            for call_list, priority in lists
        )
        after = sorted((call_list.pk, priority) for call_list, priority in lists)
        if before != after:
            audit.record(
                AuditAction.UPDATE, instance=campaign, changes={"call_lists": [before, after]}
            )


@dataclass(frozen=True)
class Readiness:
    """Whether a campaign can run, and what is missing if not."""

    problems: list[str]

    @property
    def is_ready(self) -> bool:
        return not self.problems


def check_readiness(campaign: Campaign) -> Readiness:
    """What a campaign needs before it can start: lists with leads to call, agents, a work sheet,
    statuses a person can choose (including a sale or positive outcome), an objective."""
    problems = []
    links = campaign.list_links.filter(is_active=True, call_list__is_active=True)
    if not links.exists():
        problems.append(_("Add at least one active call list."))
    elif (
        not Lead.objects.filter(call_list__in=links.values("call_list"))
        .exclude(state="final")
        .exists()
    ):
        problems.append(_("The call lists have no lead left to call: import leads first."))
    has_people = (
        campaign.agents.filter(is_active=True).exists()
        or campaign.teams.filter(
            is_active=True, members__is_active=True, members__role=Role.AGENT
        ).exists()
    )
    if not has_people:
        problems.append(_("Assign agents or a team with agents."))
    if campaign.work_sheet_id is None or not campaign.work_sheet.versions.exists():
        problems.append(_("Choose a work sheet (with at least one version)."))
    statuses = campaign.statuses.filter(is_active=True, is_agent_selectable=True)
    if not statuses.exists():
        problems.append(_("Choose the statuses agents may set."))
    elif not statuses.filter(category__in=("sale", "positive_contact")).exists():
        problems.append(
            _("Include a sale or positive-contact status, so the objective can be met.")
        )
    if campaign.dial_mode != DialMode.MANUAL and not campaign.caller_id:
        problems.append(_("Set the caller ID shown to the people called."))
    if campaign.ends_on and campaign.ends_on < timezone.localdate():
        problems.append(_("The campaign's end date has passed."))
    return Readiness(problems)


# The state machine: action -> (allowed from, goes to).
TRANSITIONS = {
    "start": (
        {CampaignState.DRAFT, CampaignState.PAUSED, CampaignState.STOPPED},
        CampaignState.RUNNING,
    ),
    "pause": ({CampaignState.RUNNING}, CampaignState.PAUSED),
    "stop": ({CampaignState.RUNNING, CampaignState.PAUSED}, CampaignState.STOPPED),
    "complete": (
        {CampaignState.RUNNING, CampaignState.PAUSED, CampaignState.STOPPED},
        CampaignState.COMPLETED,
    ),
}


def change_campaign_state(
    actor: Any, campaign: Campaign, action: str, reason: str = ""
) -> Campaign:
    """Start, pause, stop or complete a campaign, checked and audited; the dialer engine
    follows the state it reads."""
    if action not in TRANSITIONS:
        raise ValidationError({"action": _("Unknown action '%(action)s'.") % {"action": action}})
    if not can(actor, CHANGE, campaign):
        raise PermissionDenied(_("You may not %(action)s this campaign.") % {"action": action})
    allowed_from, target = TRANSITIONS[action]
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.state not in allowed_from:
            raise ValidationError(
                {
                    "state": _("A %(state)s campaign cannot be asked to %(action)s.")
                    % {"state": locked.get_state_display().lower(), "action": action}
                }
            )
        if action == "start":
            readiness = check_readiness(locked)
            if not readiness.is_ready:
                raise ValidationError({"state": readiness.problems})
        previous_state = locked.state
        locked.state = target
        locked.state_reason = reason[:300]
        locked.stop_code = ""
        locked.state_changed_at = timezone.now()
        locked.save()
        webhooks.campaign_state_changed(locked, previous_state, actor)
    campaign.refresh_from_db()
    return campaign


def system_stop(campaign_id: int, code: str) -> bool:
    """The dialer engine completes a running campaign at a stop condition,
    with the reason's code and label; audited as the system's action, and the webhook fires.
    False if the campaign was no longer running (a manager acted first)."""
    reason = StopReason(code)
    with transaction.atomic():
        locked = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("client")
            .get(pk=campaign_id)
        )
        if locked.state != CampaignState.RUNNING:
            return False
        previous = (locked.state, locked.state_reason, locked.stop_code)
        locked.state = CampaignState.COMPLETED
        locked.state_reason = str(reason.label)
        locked.stop_code = reason.value
        locked.state_changed_at = timezone.now()
        with audit.acting_as(None):
            locked.save(update_fields=["state", "state_reason", "stop_code", "state_changed_at"])
        audit.record(
            AuditAction.UPDATE,
            instance=locked,
            changes={
                "state": [previous[0], locked.state],
                "state_reason": [previous[1], locked.state_reason],
                "stop_code": [previous[2], locked.stop_code],
            },
            actor=None,
            summary=_("Stopped by the dialer: %(reason)s") % {"reason": reason.label},
        )
        webhooks.campaign_state_changed(locked, previous[0], None)
    return True
