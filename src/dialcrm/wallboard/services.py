"""The wallboard as one person sees it: the campaigns they may watch, and the engine's latest
figures of one of them narrowed to the agents they look after (a team leader their team, a
location manager their location), with names. The call, queue and abandon figures are the whole
campaign's."""

from __future__ import annotations

import collections
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Case, QuerySet, When
from django.utils.translation import gettext as _

from dialcrm.campaigns.choices import CampaignState, StopReason
from dialcrm.core.choices import Role
from dialcrm.core.policy import VIEW, access, may
from dialcrm.dialer.figures import latest_figures_key
from dialcrm.org.models import Staff
from dialcrm.wallboard.models import CampaignWallboard

# The engine's fields a wallboard shows as they come (the agents are narrowed and named).
CAMPAIGN_FIELDS = (
    "at",
    "ringing",
    "waiting",
    "connected",
    "dial_level",
    "dials",
    "hopper",
    "dialable_leads",
    "abandon_cap",
    "abandon_rate_today",
    "abandon_rate_24h",
    "abandon_rate_30d",
    "human_answers_today",
    "abandoned_today",
    "human_answers_24h",
    "hours",
    "is_dialing",
    "stop_reason",
    "abandon_guard_rate",
)


def may_watch(user: Any) -> bool:
    return may(user, VIEW, CampaignWallboard)


def watched_campaigns(user: Any) -> QuerySet[CampaignWallboard]:
    """The campaigns whose wallboard this person may open, running ones first."""
    return (
        CampaignWallboard.objects.for_user(user)
        .select_related("location")
        .order_by(Case(When(state=CampaignState.RUNNING, then=0), default=1), "name")
    )


def require_watcher(user: Any) -> None:
    if not may_watch(user):
        raise PermissionDenied(
            _("The wallboard is for team leaders, location managers and managers.")
        )


def access_wallboard(user: Any, campaign_id: Any) -> CampaignWallboard:
    """One campaign's wallboard: 403 for people who watch none, 404 outside their scope."""
    require_watcher(user)
    return access(CampaignWallboard, user, campaign_id)


def watched_agents(user: Any) -> dict[int, str]:
    """The agents this person looks after, by id, with their names."""
    agents = Staff.objects.for_user(user).filter(role=Role.AGENT)
    return {agent.pk: str(agent) for agent in agents}


def latest_figures(campaign_id: int) -> dict[str, Any] | None:
    """The engine's latest `campaign.figures` of the campaign, if an engine runs it."""
    figures = cache.get(latest_figures_key(campaign_id))
    return figures if isinstance(figures, dict) else None


def board_figures(message: dict[str, Any], agents: dict[int, str]) -> dict[str, Any]:
    """The engine's figures as a viewer sees them: their agents only, named, longest in their
    state first, and counted by state."""
    listed = [
        {**agent, "name": agents[agent["id"]]}
        for agent in message.get("agent_states", ())
        if agent.get("id") in agents
    ]
    listed.sort(key=lambda agent: agent["since"])
    return {
        **{name: message.get(name) for name in CAMPAIGN_FIELDS},
        "agents": listed,
        "agent_counts": dict(collections.Counter(agent["state"] for agent in listed)),
        "stop_label": _stop_label(message.get("stop_reason")),
    }


def _stop_label(code: Any) -> str:
    """Why the engine stopped the campaign, in the viewer's language ("" if it did not)."""
    return str(StopReason(code).label) if code in StopReason.values else ""


def snapshot(user: Any, campaign_id: Any) -> dict[str, Any]:
    """The wallboard of one campaign now, for the API: `figures` is null when no engine has
    sent any for half a minute (the campaign is not running anywhere)."""
    campaign = access_wallboard(user, campaign_id)
    message = latest_figures(campaign.pk)
    return {
        "campaign_id": campaign.pk,
        "campaign": campaign.name,
        "state": campaign.state,
        "is_live": message is not None,
        "figures": board_figures(message, watched_agents(user)) if message else None,
    }
