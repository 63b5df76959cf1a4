"""Request guards: the network allow-list, session idle expiry, the user's language and the
audit context."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from dialcrm.core import audit
from dialcrm.core.choices import AuditAction
from dialcrm.core.network import client_address, installation_allows, location_allows

Handler = Callable[[HttpRequest], HttpResponse]


def refuse_address(
    request: HttpRequest,
    address: str,
    reason: str,
    staff_id: int | None = None,
    company_id: int | None = None,
) -> HttpResponse:
    audit.record(
        AuditAction.REFUSED,
        actor=audit.Actor(staff_id=staff_id, address=address),
        company_id=company_id,
        summary=f"{request.method} {request.path[:200]}: {reason}",
    )
    return render(
        request,
        "core/refused.html",
        {"address": address, "reason": reason},
        status=403,
    )


class NetworkAllowListMiddleware:
    """Refuses requests from networks the administrators have not allowed."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = client_address(request)
        request.client_address = address  # type: ignore[attr-defined]
        if request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        if not installation_allows(address):
            return refuse_address(
                request, address, _("This network is not allowed to reach dialcrm.")
            )
        return self.get_response(request)


class SessionGuardMiddleware:
    """Ends idle sessions, keeps location staff on their location's networks, and sends people
    who must change their password or set up two-factor sign-in to do so first."""

    OPEN_PATHS = ("core:logout", "core:password_change", "core:two_factor_setup", "set_language")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        last_seen = request.session.get("last_seen", now)
        if now - last_seen > settings.SESSION_IDLE_TIMEOUT_S:
            logout(request)
            if request.path.startswith("/api/"):
                return self.get_response(request)
            return redirect(f"{reverse('core:login')}?expired=1")
        request.session["last_seen"] = now
        address = request.client_address  # type: ignore[attr-defined]
        if not location_allows(user.location_id, address):
            logout(request)
            return refuse_address(
                request,
                address,
                _("Staff of your location may only work from the location's networks."),
                staff_id=user.pk,
                company_id=user.company_id,
            )
        pending = self._pending_step(request)
        if pending and request.path not in {reverse(name) for name in self.OPEN_PATHS}:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": pending[1]}, status=403)
            return redirect(pending[0])
        return self.get_response(request)

    @staticmethod
    def _pending_step(request: HttpRequest) -> tuple[str, str] | None:
        user = request.user
        if user.must_change_password:
            return reverse("core:password_change"), _("Change your password first.")
        if user.requires_two_factor and not request.session.get("two_factor_verified"):
            return reverse("core:two_factor_setup"), _("Set up two-factor sign-in first.")
        return None


class UserLanguageMiddleware:
    """A signed-in person sees the product in the language of their profile."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.get_response(request)
        request.LANGUAGE_CODE = request.user.language
        # For this request only: the thread's language is given back afterwards.
        with translation.override(request.user.language):
            return self.get_response(request)


class AuditContextMiddleware:
    """Every change made during a signed-in person's request is logged as theirs."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = None
        if request.user.is_authenticated:
            actor = audit.Actor(staff_id=request.user.pk, address=request.client_address)  # type: ignore[attr-defined]
        # Always set (and reset) the context, so an API token's actor never outlives its request.
        with audit.acting_as(actor):
            return self.get_response(request)
