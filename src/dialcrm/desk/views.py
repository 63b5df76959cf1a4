"""Screens of the desk: the start of work, the agent's desk, the team leader's live view and the
sales waiting for quality review."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dialcrm.campaigns.choices import DialMode
from dialcrm.core.crud import Column, ObjectListView, apply_form_errors
from dialcrm.desk import services
from dialcrm.desk.choices import AgentPauseReason, SaleState, SkipReason
from dialcrm.desk.forms import StartWorkForm
from dialcrm.desk.models import DESK_ROLES, Sale
from dialcrm.dialer.choices import AgentState, PauseReason
from dialcrm.telephony.sip import softphone_endpoint


def _require_agent(request: HttpRequest) -> Any:
    if request.user.role not in DESK_ROLES:
        raise PermissionDenied(_("The desk is for agents and team leaders."))
    return request.user


def _pause_reasons() -> dict[str, str]:
    # The engine logs agents in paused "not ready" until they say they are ready.
    return {**dict(PauseReason.choices), "not_ready": _("Not ready yet")}


def _desk_texts() -> dict[str, Any]:
    """Labels the desk's script shows, in the agent's language."""
    return {
        "states": dict(AgentState.choices),
        "pause_reasons": _pause_reasons(),
        "modes": dict(DialMode.choices),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost: reconnecting…"),
        "connected": _("Connected"),
        "saved": _("Draft saved"),
        "saving": _("Saving draft…"),
        "not_saved": _("Draft not saved: it is kept in this browser and sent again."),
        "recorded": _("Status recorded."),
        "fix_errors": _("Some answers need attention."),
        "choose_status": _("Choose a status."),
        "failed": _("Could not send: check the connection and try again."),
        "not_answered": _("Your call was not answered (%(cause)s)."),
        "logged_out": _("You are logged out of the campaign."),
        "wrap_up_left": _("Wrap-up: %(time)s left"),
        "wrap_up_over": _("Wrap-up time over by %(time)s"),
        "hold": _("Hold"),
        "resume": _("Resume"),
        "on_hold": _("On hold: the customer hears music"),
        "transferred": _("The call went to %(name)s."),
        "transferred_to_you": _("%(name)s transferred this call to you."),
        "consult": {
            "consulting": _("Talking to %(name)s: the customer is on hold."),
            "conference": _("Conference: you, %(name)s and the customer."),
            "consulted": _("%(name)s is consulting you about %(lead)s (%(number)s)."),
            "consulted_conference": _(
                "Conference with %(name)s and their customer %(lead)s (%(number)s)."
            ),
            "started": _("%(name)s is on the line: the customer is on hold."),
            "cancelled": _("Consultation ended: the customer is back with you."),
            "ended": _("The consultation is over."),
            "customer_hung_up": _("The customer hung up during the consultation."),
            "failed": _("The consultation could not start: the customer is back with you."),
            "leave": _("Leave the call"),
            "complete": _("Complete transfer"),
        },
        "phases": {
            "preview": _("Next lead: not dialed yet"),
            "ringing": _("Ringing…"),
            "talking": _("On the call"),
            "ended": _("Call ended: finish the work sheet and set the status"),
        },
        "waiting": {
            "ready": _("Ready: the next call comes to you here."),
            "paused": _("Paused: say you are ready to take calls."),
            "logged_out": _("You are logged out of the campaign."),
            "reserved": _("A call is being put through…"),
        },
    }


def _softphone_config(agent: Any, session: Any) -> dict[str, Any]:
    """The softphone panel: on when the agent takes calls on the softphone in this browser and
    the calls are real (the simulated phone system of the demo rings nobody)."""
    return {
        "enabled": session.endpoint == softphone_endpoint(agent.pk)
        and settings.TELEPHONY == "asterisk",
        "is_simulated": settings.TELEPHONY == "simulated",
        "endpoint": session.endpoint,
        "texts": {
            "microphone": {
                "asking": _("Asking for the microphone…"),
                "granted": _("Microphone ready"),
                "denied": _(
                    "The microphone is blocked: allow it for this site in the browser (the icon "
                    "in the address bar), then reload the page."
                ),
                "missing": _("No microphone found: plug in your headset, then reload the page."),
                "busy": _(
                    "The microphone is used by another program: close it, then reload the page."
                ),
                "unsupported": _(
                    "This browser cannot use a microphone on this page: it needs a secure "
                    "(https) address and a current browser."
                ),
            },
            "turn": {
                "checking": _("Checking the audio relay…"),
                "reachable": _("Audio relay reachable"),
                "unreachable": _(
                    "The audio relay (TURN) cannot be reached: calls may have no sound behind "
                    "the office firewall. Tell your administrator."
                ),
                "unavailable": _("No audio relay: %(detail)s"),
            },
            "registration": {
                "idle": _("Not registered yet"),
                "connecting": _("Connecting to the phone server…"),
                "registered": _("Registered: calls come to this browser"),
                "refused": _(
                    "The phone server refused the registration (%(cause)s): ask your "
                    "administrator to check your phone account."
                ),
                "unreachable": _("Cannot reach the phone server at %(url)s: trying again…"),
                "unavailable": _("The softphone cannot start: %(detail)s"),
                "no_library": _("The softphone did not load: reload the page."),
            },
            "audio": {
                "idle": _("No line yet: the dialer calls you when you start"),
                "connected": _("Connected: customers are put through to your headset"),
                "ended": _("Your line ended (%(cause)s)."),
                "no_microphone": _("The dialer called, but there is no microphone to answer with."),
            },
            "mute": _("Mute"),
            "unmute": _("Unmute"),
            "failed": _("the server answered %(status)s"),
        },
    }


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """The agent's desk, or the start of work when they are not working on a campaign."""
    agent = _require_agent(request)
    session = services.open_session(agent)
    if session is None:
        return _start_screen(request, agent)
    context = {
        "title": _("Desk"),
        "session": session,
        "pause_reasons": AgentPauseReason.choices,
        "skip_reasons": SkipReason.choices,
        "desk_config": {
            "agent_id": agent.pk,
            "session": services.session_summary(session),
            "csrf": get_token(request),
            "texts": _desk_texts(),
        },
        "softphone_config": _softphone_config(agent, session),
    }
    return render(request, "desk/desk.html", context)


def _start_screen(
    request: HttpRequest, agent: Any, form: StartWorkForm | None = None, status: int = 200
) -> HttpResponse:
    form = form or StartWorkForm(agent=agent)
    context = {
        "title": _("Start of work"),
        "form": form,
        "has_campaigns": form.fields["campaign"].queryset.exists(),
    }
    return render(request, "desk/start.html", context, status=status)


@login_required
@require_POST
def start_work(request: HttpRequest) -> HttpResponse:
    agent = _require_agent(request)
    form = StartWorkForm(request.POST, agent=agent)
    if not form.is_valid():
        return _start_screen(request, agent, form, status=422)
    values = form.cleaned_data
    try:
        services.start_work(
            agent,
            values["campaign"].pk,
            mode=values["mode"],
            endpoint=values["endpoint"],
            auto_ready=values["auto_ready"],
            wrap_up_s=values["wrap_up_s"],
        )
    except ValidationError as error:
        apply_form_errors(form, error)
        return _start_screen(request, agent, form, status=422)
    except services.Conflict as error:
        form.add_error(None, str(error))
        return _start_screen(request, agent, form, status=409)
    return redirect("desk:desk")


@login_required
@require_POST
def end_work(request: HttpRequest) -> HttpResponse:
    services.end_work(_require_agent(request))
    messages.info(request, _("You are logged out of the campaign. Good work!"))
    return redirect("desk:desk")


@login_required
def team(request: HttpRequest) -> HttpResponse:
    """A team leader's live view of their agents."""
    if not services.may_supervise(request.user):
        raise PermissionDenied(_("The team view is for team leaders."))
    context = {
        "title": _("My team"),
        "team_config": {
            "board": services.team_board(request.user),
            "csrf": get_token(request),
            "texts": {
                "states": dict(AgentState.choices),
                "pause_reasons": _pause_reasons(),
                "reconnecting": _("Connection lost: reconnecting…"),
                "confirm_logout": _("Log out %(name)s? A call in progress finishes first."),
                "done_pause": _("%(name)s will be paused (after the call, if on one)."),
                "done_logout": _("%(name)s will be logged out (after the call, if on one)."),
                "failed": _("Could not send: check the connection and try again."),
                "consult": {
                    "consulting": _("Consulting a colleague"),
                    "consulted": _("Consulted by a colleague"),
                    "conference": _("In conference"),
                },
            },
        },
    }
    return render(request, "desk/team.html", context)


class SaleList(ObjectListView):
    """Sales, newest first: the quality review queue (pending) and the decisions."""

    model = Sale
    url_prefix = "desk:sale"
    title = gettext_lazy("Sales")
    columns = [
        Column(gettext_lazy("Sold at"), "created_at"),
        Column(gettext_lazy("Campaign"), "campaign"),
        Column(gettext_lazy("Agent"), "agent"),
        Column(gettext_lazy("Lead"), "lead"),
        Column(gettext_lazy("Products"), "summary"),
        Column(gettext_lazy("Review"), "state"),
    ]
    search_fields = ("lead__last_name", "agent__username", "campaign__name")
    filters = ("state",)

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .select_related("campaign", "agent", "lead")
            .prefetch_related("lines__product")
        )

    def row_url(self, item: Any, can_change: bool) -> str | None:
        return None  # reviewed on the quality screens

    def filter_choices(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "state",
                "label": _("Review"),
                "options": SaleState.choices,
                "value": self.request.GET.get("state", ""),
            }
        ]
