"""Forms of the finance screens."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns.models import Campaign
from dialcrm.catalog.models import CURRENCIES
from dialcrm.core.choices import Role
from dialcrm.core.crud import ScopedModelForm
from dialcrm.finance.choices import Grouping
from dialcrm.finance.models import FinancialPlan, HourlyCost, PlanTarget
from dialcrm.org.models import Location, Staff, Team

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HourlyCostForm(ScopedModelForm):
    class Meta:
        model = HourlyCost
        fields = ["company", "role", "level", "amount", "currency", "valid_from", "valid_until"]
        widgets = {"valid_from": _DATE, "valid_until": _DATE}


class FinancialPlanForm(ScopedModelForm):
    class Meta:
        model = FinancialPlan
        fields = ["campaign", "starts_on", "ends_on", "target_hours", "note"]
        widgets = {"starts_on": _DATE, "ends_on": _DATE}


class PlanTargetForm(ScopedModelForm):
    class Meta:
        model = PlanTarget
        fields = ["product", "units"]

    def __init__(self, *args: Any, plan: FinancialPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product: Any = self.fields["product"]
        # The campaign's products that have no target in this plan yet.
        product.queryset = product.queryset.filter(campaigns=plan.campaign).exclude(
            pk__in=plan.targets.values("product_id")
        )


class ProfitabilityForm(forms.Form):
    """The profitability screen's filters; every choice is limited to what the user sees."""

    since = forms.DateField(label=_("From"), widget=_DATE)
    until = forms.DateField(label=_("Until"), widget=_DATE)
    group_by = forms.ChoiceField(
        label=_("Group by"), choices=Grouping.choices, initial=Grouping.CAMPAIGN
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="RON")
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False, empty_label=_("All")
    )
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), required=False, empty_label=_("All")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All")
    )
    agent = forms.ModelChoiceField(
        label=_("Agent"), queryset=Staff.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args: Any, user: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["since"].initial = self.fields["until"].initial = today
        self.fields["campaign"].queryset = Campaign.objects.for_user(user)  # type: ignore[attr-defined]
        self.fields["location"].queryset = Location.objects.for_user(user).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.for_user(user).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["agent"].queryset = Staff.objects.for_user(user).filter(  # type: ignore[attr-defined]
            role=Role.AGENT, is_active=True
        )
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select" if select else "form-control")
