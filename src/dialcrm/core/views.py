"""Screens of the core app: signing in and out, passwords, two-factor set-up, the home page,
the audit log, the network allow-list and API tokens."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dialcrm.core import services
from dialcrm.core.choices import AuditAction
from dialcrm.core.crud import (
    Column,
    ObjectDeactivateView,
    ObjectFormView,
    ObjectListView,
    apply_form_errors,
)
from dialcrm.core.forms import (
    ApiTokenForm,
    CodeForm,
    NetworkRuleForm,
    PasswordChangeForm,
    SignInForm,
)
from dialcrm.core.models import ApiToken, AuditEntry, NetworkRule, TotpDevice
from dialcrm.core.policy import VIEW, may

PENDING_USER = "pending_sign_in_user"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("core:home")


def _finish_sign_in(request: HttpRequest, user: Any, two_factor_verified: bool) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session["two_factor_verified"] = two_factor_verified
    services.record_sign_in(user, request.client_address)  # type: ignore[attr-defined]
    return redirect(_next_url(request))


def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            result = services.check_credentials(
                request, form.cleaned_data["username"], form.cleaned_data["password"]
            )
            if result.error:
                form.add_error(None, result.error)
            elif result.needs_code:
                request.session.cycle_key()
                request.session[PENDING_USER] = result.user.pk
                return redirect(f"{reverse('core:sign_in_code')}?next={_next_url(request)}")
            else:
                return _finish_sign_in(request, result.user, two_factor_verified=False)
    context = {"form": form, "expired": request.GET.get("expired"), "next": _next_url(request)}
    return render(request, "core/sign_in.html", context, status=status)


def sign_in_code(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(PENDING_USER)
    if not user_id:
        return redirect("core:login")
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    device = TotpDevice.objects.filter(staff=user, is_confirmed=True).first() if user else None
    if device is None:
        return redirect("core:login")
    form = CodeForm(request.POST or None)
    address = request.client_address  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        if services.is_locked_out(user.username, address):
            form.add_error(None, services._lockout_message())
        elif services.verify_code(device, form.cleaned_data["code"]):
            del request.session[PENDING_USER]
            return _finish_sign_in(request, user, two_factor_verified=True)
        else:
            services._record_failure(user.username, address, user, "wrong two-factor code")
            form.add_error(
                "code", _("This code is not right or was already used. Try the next one.")
            )
    status = 422 if request.method == "POST" else 200
    return render(
        request, "core/sign_in_code.html", {"form": form, "next": _next_url(request)}, status=status
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.record_sign_out(request.user, request.client_address)  # type: ignore[attr-defined]
    logout(request)
    return redirect("core:login")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                request.user, form.cleaned_data["old_password"], form.cleaned_data["new_password"]
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                error = ValidationError({"new_password": error.messages})
            apply_form_errors(form, error)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password is changed."))
            return redirect("core:home")
    status = 422 if request.method == "POST" else 200
    return render(request, "core/password_change.html", {"form": form}, status=status)


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = TotpDevice.objects.filter(staff=user).first()
    if device is not None and device.is_confirmed and request.session.get("two_factor_verified"):
        return render(request, "core/two_factor_setup.html", {"configured": True})
    if user.is_two_factor_exempt and request.method == "GET" and device is None:
        messages.info(request, _("This demonstration account is exempt from two-factor sign-in."))
    device = (
        services.start_two_factor_setup(user)
        if device is None or not device.is_confirmed
        else device
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.verify_code(device, form.cleaned_data["code"]):
            request.session["two_factor_verified"] = True
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect("core:home")
        form.add_error(
            "code", _("This code is not right. Check the time on your phone and try again.")
        )
    uri = services.provisioning_uri(device)
    context = {
        "form": form,
        "secret": device.secret,
        "qr_svg": segno.make(uri, micro=False).svg_inline(scale=4),
        "required": user.requires_two_factor,
        "exempt": user.is_two_factor_exempt,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "core/two_factor_setup.html", context, status=status)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from dialcrm.core.navigation import sections_for

    return render(request, "core/home.html", {"sections": sections_for(request.user)})


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not may(request.user, VIEW, AuditEntry):
        raise PermissionDenied(_("Only administrators read the audit log."))
    entries = AuditEntry.objects.for_user(request.user).select_related("staff")
    params = request.GET
    if params.get("q"):
        query = params["q"].strip()
        entries = entries.filter(
            Q(object_repr__icontains=query)
            | Q(summary__icontains=query)
            | Q(staff__username__icontains=query)
            | Q(object_id=query)
        )
    if params.get("action") in AuditAction.values:
        entries = entries.filter(action=params["action"])
    if params.get("object_type"):
        entries = entries.filter(object_type=params["object_type"])
    errors = []
    for name, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        if params.get(name):
            day = parse_date(params[name]) if len(params[name]) == 10 else None
            if day is None:
                errors.append(
                    _("'%(value)s' is not a date (YYYY-MM-DD).") % {"value": params[name]}
                )
            else:
                entries = entries.filter(**{lookup: day})
    page = Paginator(entries, 50).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    object_types = (
        AuditEntry.objects.for_user(request.user)
        .exclude(object_type="")
        .values_list("object_type", flat=True)
        .distinct()
        .order_by("object_type")
    )
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "actions": AuditAction.choices,
            "object_types": object_types,
            "params": params,
            "query": query.urlencode(),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


# --- network allow-list ---------------------------------------------------------------------


class NetworkRuleList(ObjectListView):
    model = NetworkRule
    url_prefix = "core:network"
    columns = [
        Column(_("Network"), "network", link=True),
        Column(_("Location"), "location"),
        Column(_("Description"), "description"),
        Column(_("Active"), "is_active"),
    ]
    search_fields = ("network", "description", "location__name")


class NetworkRuleEdit(ObjectFormView):
    model = NetworkRule
    url_prefix = "core:network"
    form_class = NetworkRuleForm

    def save(self, form: Any, instance: Any) -> Any:
        return services.save_network_rule(self.request.user, instance, form.cleaned_values())


class NetworkRuleDeactivate(ObjectDeactivateView):
    model = NetworkRule
    url_prefix = "core:network"

    def deactivate(self, instance: Any) -> None:
        services.deactivate_network_rule(self.request.user, instance)


# --- API tokens -------------------------------------------------------------------------------


class ApiTokenList(ObjectListView):
    model = ApiToken
    url_prefix = "core:token"
    columns = [
        Column(_("Name"), "name"),
        Column(_("Key"), "key_prefix"),
        Column(_("Acts as"), "staff"),
        Column(_("Scope"), "scope"),
        Column(_("Expires"), "expires_at"),
        Column(_("Last used"), "last_used_at"),
        Column(_("Revoked"), "revoked_at"),
    ]
    search_fields = ("name", "staff__username", "key_prefix")

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("staff")


class ApiTokenAdd(ObjectFormView):
    model = ApiToken
    url_prefix = "core:token"
    form_class = ApiTokenForm

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        if pk is not None:
            return redirect(self.url("list"))
        return super().get(request)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        instance = self.get_object(None)
        form = self.get_form(instance, request.POST)
        if form.is_valid():
            try:
                token, key = services.create_token(request.user, form.cleaned_values())
            except ValidationError as error:
                apply_form_errors(form, error)
            else:
                return render(request, "core/token_created.html", {"token": token, "key": key})
        return self.render_form(form, instance, status=422)


class ApiTokenRevoke(ObjectDeactivateView):
    model = ApiToken
    url_prefix = "core:token"

    def deactivate(self, instance: Any) -> None:
        services.revoke_token(self.request.user, instance)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else _("You may not do this.")
    return render(request, "core/error.html", {"code": 403, "message": message}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = (
        str(exception)
        if isinstance(exception, Exception)
        and exception.args
        and isinstance(exception.args[0], str)
        else _("There is nothing here.")
    )
    return render(request, "core/error.html", {"code": 404, "message": message}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "code": 500,
            "message": _(
                "Something went wrong on our side. It has been logged; try again in a moment."
            ),
        },
        status=500,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"code": 400, "message": _("The request was not understood.")},
        status=400,
    )
