"""The words for the engine's refusals.

The engine says why it did not do a command with a code and parameters (`Refusal`, and
`store.DialRefused` for a number that may not be dialled); whoever shows it to a person words it
here, in that person's language (the desk does, for the agent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

REFUSALS: Mapping[str, Promise] = {
    "not_logged_in": _("You are not logged in to a running campaign: start work again."),
    "campaign_not_running": _("This campaign is not running."),
    "not_assigned": _("You are not assigned to this campaign."),
    "login_not_checked": _("Your login could not be checked just now: start work again."),
    "finish_call_before_moving": _("Finish your call before changing campaign."),
    "finish_call_first": _("Finish the call and set its status first."),
    "not_on_call": _("You are not on a call."),
    "no_call_to_close": _("There is no call of yours to give a status to."),
    "campaign_dials_itself": _("This campaign dials for you: no preview or manual dialing here."),
    "be_ready_to_preview": _("Be ready, with no lead on screen, to see the next one."),
    "no_lead_now": _("No lead may be called now."),
    "on_call_already": _("You are on a call already."),
    "manual_only": _("Dialing a number of your own is for manual campaigns."),
    "be_ready_to_dial": _("Be ready to dial."),
    "preview_first": _("Show the next lead first."),
    "no_lead_to_skip": _("There is no lead to skip."),
    "number_not_dialled": _("The number could not be dialled."),
    "not_a_number": _("%(number)s is not a phone number."),
    "invalid_number": _("%(number)s is not a valid number for %(country)s."),
    "do_not_call": _("%(number)s is on a do-not-call list."),
    "outside_calling_hours": _(
        "It is %(time)s for %(number)s (%(zone)s): outside the campaign's calling hours."
    ),
    "number_in_call": _("%(number)s is in a call already."),
    "not_connected": _("The call is not through to you: nothing to hold or transfer."),
    "already_on_hold": _("The call is on hold already."),
    "not_on_hold": _("The call is not on hold."),
    "transfer_to_self": _("Choose another agent to transfer the call to."),
    "transfer_target_unavailable": _(
        "That agent is not ready on this campaign now: choose one who is."
    ),
    "phone_system_refused": _("The phone system did not do it: try again."),
    "in_consultation": _(
        "Finish the consultation first: complete the transfer, or cancel the consultation."
    ),
    "consult_self": _("Choose a colleague to consult, not yourself."),
    "colleague_not_here": _("That colleague is not working on this campaign now."),
    "colleague_not_ready": _(
        "That colleague is not ready now: wait until they are, or choose another."
    ),
    "already_consulting": _(
        "You are consulting a colleague already: complete the transfer or cancel first."
    ),
    "not_consulting": _("You are not consulting anyone about this call."),
    "only_consulting_agent": _(
        "Only the agent who asked for the consultation can transfer the call or join the "
        "customer; you can end the consultation."
    ),
    "already_in_conference": _("The customer is in the conference already."),
}


def word(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The refusal in the active language; an unknown code (an engine newer than this web
    process) is shown as it is, never lost."""
    template = REFUSALS.get(code)
    if template is None:
        return str(gettext("The dialer refused: %(code)s.") % {"code": code})
    text = str(template)
    if not params:
        return text
    try:
        return str(text % {name: str(value) for name, value in params.items()})
    except (KeyError, TypeError, ValueError):
        return text
