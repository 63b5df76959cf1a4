"""The wallboard screen: one campaign's live figures, pushed over `ws/wallboard/`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dialcrm.campaigns.choices import CampaignState
from dialcrm.dialer.choices import AgentState, PauseReason
from dialcrm.wallboard import services


@login_required
def choose(request: HttpRequest) -> HttpResponse:
    """The first running campaign's wallboard (or the first one at all)."""
    services.require_watcher(request.user)
    campaign = services.watched_campaigns(request.user).first()
    if campaign is None:
        raise Http404(_("There is no campaign for you to watch."))
    return redirect("wallboard:board", campaign_id=campaign.pk)


@login_required
def board(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = services.access_wallboard(request.user, campaign_id)
    context = {
        "title": _("Wallboard: %(campaign)s") % {"campaign": campaign.name},
        "campaign": campaign,
        "campaigns": services.watched_campaigns(request.user),
        "wallboard_config": {
            "campaign_id": campaign.pk,
            "texts": {
                "states": dict(AgentState.choices),
                # The engine logs agents in paused "not ready" until they say they are ready.
                "pause_reasons": {**dict(PauseReason.choices), "not_ready": _("Not ready yet")},
                "campaign_states": dict(CampaignState.choices),
                "reconnecting": _("Connection lost: reconnecting…"),
                "refused": _("This screen may not receive the figures: sign in again."),
                "live": _("Live"),
                "waiting": _("Waiting for the dialer: the campaign is not running."),
                "contacts": _("Contacts"),
                "sales": _("Sales"),
                "ringing": _("Ringing"),
                "waiting_calls": _("In queue"),
                "connected": _("Connected"),
                "stale": _("No figures for %(seconds)s s: the dialer may be stopped."),
            },
        },
    }
    return render(request, "wallboard/board.html", context)
