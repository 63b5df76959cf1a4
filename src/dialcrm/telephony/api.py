"""Telephony routes of the JSON API: TURN credentials and the SIP account of the browser
softphone, both for the signed-in person only."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from dialcrm.telephony.sip import PHONE_ROLES, sip_password, softphone_name
from dialcrm.telephony.turn import turn_credentials

router = Router(tags=["telephony"])


def _require_phone_user(request: HttpRequest) -> None:
    if request.user.role not in PHONE_ROLES:
        raise PermissionDenied(_("Only agents, team leaders and quality staff use the softphone."))


class TurnCredentialsOut(Schema):
    """What a browser puts in RTCPeerConnection's iceServers."""

    urls: list[str]
    username: str
    credential: str
    ttl: int


@router.get("/turn", response=TurnCredentialsOut)
def get_turn_credentials(request: HttpRequest, response: HttpResponse) -> dict[str, object]:
    _require_phone_user(request)
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


class SipAccountOut(Schema):
    """What the softphone registers with: the WebSocket, the address and the login of the
    person's own endpoint (`agent-<staff id>`)."""

    ws_url: str
    uri: str
    username: str
    password: str
    display_name: str


@router.get("/sip", response=SipAccountOut)
def get_sip_account(request: HttpRequest, response: HttpResponse) -> dict[str, object]:
    _require_phone_user(request)
    if not settings.SIP_SECRET or not settings.SIP_WSS_URL or not settings.SIP_DOMAIN:
        raise HttpError(
            503,
            _("The softphone is not configured: set SIP_SECRET, SIP_WSS_URL and SIP_DOMAIN."),
        )
    name = softphone_name(request.user.pk)
    response["Cache-Control"] = "no-store"
    return {
        "ws_url": settings.SIP_WSS_URL,
        "uri": f"sip:{name}@{settings.SIP_DOMAIN}",
        "username": name,
        "password": sip_password(name, settings.SIP_SECRET),
        "display_name": request.user.get_full_name() or request.user.get_username(),
    }
