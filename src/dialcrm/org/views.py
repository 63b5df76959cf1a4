"""Screens of the organisation: companies, locations, teams and staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.core.choices import Role
from dialcrm.core.crud import (
    Column,
    ObjectDeactivateView,
    ObjectFormView,
    ObjectListView,
    ObjectScreen,
    apply_form_errors,
)
from dialcrm.core.forms import PasswordResetForm
from dialcrm.core.policy import CHANGE, access, can
from dialcrm.core.services import reset_password
from dialcrm.org import services
from dialcrm.org.forms import CompanyForm, LocationForm, StaffForm, TeamForm
from dialcrm.org.models import Company, Location, Staff, Team


class CompanyList(ObjectListView):
    model = Company
    url_prefix = "org:company"
    columns = [
        Column(gettext_lazy("Name"), "name", link=True),
        Column(gettext_lazy("Registration number"), "legal_id"),
        Column(gettext_lazy("Time zone"), "time_zone"),
    ]
    search_fields = ("name", "legal_id")


class CompanyEdit(ObjectFormView):
    model = Company
    url_prefix = "org:company"
    form_class = CompanyForm


class CompanyDeactivate(ObjectDeactivateView):
    model = Company
    url_prefix = "org:company"


class LocationList(ObjectListView):
    model = Location
    url_prefix = "org:location"
    columns = [
        Column(gettext_lazy("Name"), "name", link=True),
        Column(gettext_lazy("Company"), "company"),
        Column(gettext_lazy("Address"), "address"),
        Column(gettext_lazy("Time zone"), "time_zone"),
    ]
    search_fields = ("name", "address")
    filters = ("company",)

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("company")


class LocationEdit(ObjectFormView):
    model = Location
    url_prefix = "org:location"
    form_class = LocationForm


class LocationDeactivate(ObjectDeactivateView):
    model = Location
    url_prefix = "org:location"


class TeamList(ObjectListView):
    model = Team
    url_prefix = "org:team"
    columns = [
        Column(gettext_lazy("Name"), "name", link=True),
        Column(gettext_lazy("Location"), "location"),
        Column(gettext_lazy("Team leader"), "leader"),
    ]
    search_fields = ("name", "location__name", "leader__last_name", "leader__first_name")
    filters = ("location",)

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("location", "leader")


class TeamEdit(ObjectFormView):
    model = Team
    url_prefix = "org:team"
    form_class = TeamForm


class TeamDeactivate(ObjectDeactivateView):
    model = Team
    url_prefix = "org:team"


class StaffList(ObjectListView):
    model = Staff
    url_prefix = "org:staff"
    title = gettext_lazy("Staff")
    columns = [
        Column(gettext_lazy("Name"), "get_full_name", link=True),
        Column(gettext_lazy("Username"), "username"),
        Column(gettext_lazy("Role"), "role"),
        Column(gettext_lazy("Level"), "level"),
        Column(gettext_lazy("Location"), "location"),
        Column(gettext_lazy("Team"), "team"),
    ]
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    filters = ("role", "location", "team")

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("location", "team")

    def filter_choices(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "role",
                "label": _("Role"),
                "options": Role.choices,
                "value": self.request.GET.get("role", ""),
            }
        ]


class StaffEdit(ObjectFormView):
    model = Staff
    url_prefix = "org:staff"
    form_class = StaffForm

    def save(self, form: Any, instance: Any) -> Any:
        password = form.cleaned_data.get("password") or ""
        return services.save_staff(
            self.request.user, instance, form.cleaned_values(), password=password
        )

    def extra_actions(self, instance: Any) -> list[tuple[str, str]]:
        if instance.pk and can(self.request.user, CHANGE, instance):
            return [(_("Reset password"), reverse("org:staff_password", args=[instance.pk]))]
        return []


class StaffDeactivate(ObjectDeactivateView):
    model = Staff
    url_prefix = "org:staff"

    def deactivate(self, instance: Any) -> None:
        services.deactivate_staff(self.request.user, instance)


class StaffPasswordReset(ObjectScreen):
    model = Staff
    url_prefix = "org:staff"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        staff = access(Staff, request.user, pk, CHANGE)
        return render(
            request, "org/password_reset.html", {"staff": staff, "form": PasswordResetForm()}
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        staff = access(Staff, request.user, pk, CHANGE)
        form = PasswordResetForm(request.POST)
        if form.is_valid():
            try:
                reset_password(request.user, staff, form.cleaned_data["temporary_password"])
            except ValidationError as error:
                apply_form_errors(form, ValidationError({"temporary_password": error.messages}))
            else:
                messages.success(
                    request,
                    _("%(name)s must change the new password at the next sign-in.")
                    % {"name": staff},
                )
                return redirect("org:staff_edit", pk)
        return render(
            request, "org/password_reset.html", {"staff": staff, "form": form}, status=422
        )
