"""Telephony routes of the JSON API: TURN credentials for the browser softphone."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from dialcrm.core.choices import Role
from dialcrm.telephony.turn import turn_credentials

router = Router(tags=["telephony"])

# The people who talk to customers from the browser: agents, their team leaders (who take over or
# listen to calls) and quality (who call beneficiaries back to confirm sales).
PHONE_ROLES = frozenset({Role.AGENT, Role.TEAM_LEADER, Role.QUALITY})


class TurnCredentialsOut(Schema):
    """What a browser puts in RTCPeerConnection's iceServers."""

    urls: list[str]
    username: str
    credential: str
    ttl: int


@router.get("/turn", response=TurnCredentialsOut)
def get_turn_credentials(request: HttpRequest, response: HttpResponse) -> dict[str, object]:
    if request.user.role not in PHONE_ROLES:
        raise PermissionDenied(_("Only agents, team leaders and quality staff use the softphone."))
    if not settings.TURN_URLS or not settings.TURN_SECRET:
        raise HttpError(503, _("The TURN server is not configured: set TURN_URLS and TURN_SECRET."))
    username, password = turn_credentials(
        request.user.pk, settings.TURN_SECRET, settings.TURN_TTL_S, time.time()
    )
    response["Cache-Control"] = "no-store"
    return {
        "urls": list(settings.TURN_URLS),
        "username": username,
        "credential": password,
        "ttl": settings.TURN_TTL_S,
    }
