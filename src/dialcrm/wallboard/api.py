"""API routes of the wallboard: the campaigns a person may watch and a snapshot of one
campaign's live figures, for external wall displays (the same figures the WebSocket pushes)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from dialcrm.wallboard import services

router = Router(tags=["wallboard"])


class CampaignOut(Schema):
    id: int
    name: str
    state: str
    location: str


class AgentOut(Schema):
    id: int
    name: str
    state: str
    since: float  # epoch seconds the agent entered the state
    reason: str  # the pause reason, when paused


class HourOut(Schema):
    at: float  # epoch seconds the hour starts
    contacts: int
    sales: int


class FiguresOut(Schema):
    at: float
    agents: list[AgentOut]
    agent_counts: dict[str, int]
    ringing: int
    waiting: int
    connected: int
    dial_level: float
    dials: int
    hopper: int
    dialable_leads: int | None
    abandon_cap: float
    abandon_rate_today: float
    abandon_rate_24h: float
    abandon_rate_30d: float
    human_answers_today: int
    abandoned_today: int
    human_answers_24h: int
    hours: list[HourOut]
    is_dialing: bool


class WallboardOut(Schema):
    campaign_id: int
    campaign: str
    state: str
    is_live: bool
    figures: FiguresOut | None


@router.get("/campaigns", response=list[CampaignOut])
def campaigns(request: HttpRequest) -> Any:
    """The campaigns whose wallboard you may watch."""
    services.require_watcher(request.user)
    return [
        {
            "id": campaign.pk,
            "name": campaign.name,
            "state": campaign.state,
            "location": str(campaign.location),
        }
        for campaign in services.watched_campaigns(request.user)
    ]


@router.get("/campaigns/{campaign_id}", response=WallboardOut)
def wallboard(request: HttpRequest, campaign_id: int) -> Any:
    """A campaign's live figures now (at most a second old while an engine runs it)."""
    return services.snapshot(request.user, campaign_id)
