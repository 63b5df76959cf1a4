"""Forms of the location manager's screens: clients, call lists, campaigns."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns.models import CallList, Campaign, Client
from dialcrm.core.choices import Role
from dialcrm.core.crud import ScopedModelForm

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ClientForm(ScopedModelForm):
    class Meta:
        model = Client
        fields = ["company", "name", "legal_id", "contact_name", "email", "phone", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class CallListForm(ScopedModelForm):
    class Meta:
        model = CallList
        fields = ["client", "name", "default_country", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class CampaignForm(ScopedModelForm):
    calling_days = forms.TypedMultipleChoiceField(
        label=_("Calling days"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Campaign
        fields = [
            "client",
            "location",
            "name",
            "description",
            "script",
            "objective_kind",
            "objective_target",
            "planned_hours",
            "starts_on",
            "ends_on",
            "work_sheet",
            "statuses",
            "products",
            "teams",
            "agents",
            "dnc_lists",
            "dial_mode",
            "max_abandon_rate",
            "connect_window_s",
            "ring_timeout_s",
            "max_attempts_per_number",
            "max_attempts_per_lead",
            "calling_hours_start",
            "calling_hours_end",
            "calling_days",
            "caller_id",
            "machine_handling",
            "machine_message",
            "safe_harbour_message",
            "no_redial_after_abandon_hours",
            "redial_only_when_all_busy",
            "record_calls",
            "max_wrap_up_s",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "script": forms.Textarea(attrs={"rows": 4}),
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "calling_hours_start": forms.TimeInput(attrs={"type": "time"}),
            "calling_hours_end": forms.TimeInput(attrs={"type": "time"}),
            "statuses": forms.CheckboxSelectMultiple,
            "products": forms.CheckboxSelectMultiple,
            "teams": forms.CheckboxSelectMultiple,
            "dnc_lists": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["agents"].queryset = self.fields["agents"].queryset.filter(role=Role.AGENT)
        self.fields["agents"].widget.attrs["size"] = 8
        for name in ("statuses", "products", "teams", "dnc_lists", "calling_days"):
            self.fields[name].widget.attrs["class"] = "form-check-input"  # on each box
        if not self.is_bound and self.instance.pk is None:
            self.initial.setdefault("calling_days", [0, 1, 2, 3, 4, 5])


class CampaignListsForm(forms.Form):
    """The campaign's call lists with priorities: one priority field per list of the client."""

    def __init__(self, *args: Any, campaign: Campaign, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = {link.call_list_id: link.priority for link in campaign.list_links.all()}
        self.lists = list(
            CallList.objects.for_user(user).filter(client=campaign.client, is_active=True)
        )
        for call_list in self.lists:
            self.fields[f"list_{call_list.pk}"] = forms.IntegerField(
                label=str(call_list),
                required=False,
                min_value=1,
                max_value=99,
                initial=current.get(call_list.pk),
                help_text=_("Priority 1 is dialled first; empty leaves the list out."),
                widget=forms.NumberInput(attrs={"class": "form-control"}),
            )

    def chosen(self) -> list[tuple[CallList, int]]:
        return [
            (call_list, self.cleaned_data[f"list_{call_list.pk}"])
            for call_list in self.lists
            if self.cleaned_data.get(f"list_{call_list.pk}")
        ]
