"""Forms of the organisation screens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dialcrm.core.choices import Role
from dialcrm.core.crud import ScopedModelForm
from dialcrm.org.models import Company, Location, Staff, Team
from dialcrm.org.services import grantable_roles


class CompanyForm(ScopedModelForm):
    class Meta:
        model = Company
        fields = ["name", "legal_id", "time_zone"]


class LocationForm(ScopedModelForm):
    class Meta:
        model = Location
        fields = ["company", "name", "address", "time_zone"]


class TeamForm(ScopedModelForm):
    class Meta:
        model = Team
        fields = ["location", "name", "leader"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        leaders = self.fields["leader"].queryset.filter(
            role__in=(Role.TEAM_LEADER, Role.LOCATION_MANAGER)
        )
        self.fields["leader"].queryset = leaders


class StaffForm(ScopedModelForm):
    password = forms.CharField(
        label=_("Temporary password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text=_("The person changes it at their first sign-in."),
    )

    class Meta:
        model = Staff
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "location",
            "team",
            "role",
            "level",
            "language",
        ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        allowed = grantable_roles(user)
        current = self.instance.role if self.instance.pk else None
        self.fields["role"].choices = [
            (value, label)
            for value, label in self.fields["role"].choices
            if value in allowed or value == current
        ]
        self.fields["level"].required = False
        if self.instance.pk:
            del self.fields["password"]
        else:
            self.fields["password"].required = True
        self.fields["username"].help_text = ""
