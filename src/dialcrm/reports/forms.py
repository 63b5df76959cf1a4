"""Forms of the reports: the filters (the screen, the API and schedules all validate through it)
and a scheduled report."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.campaigns.models import CallList, Campaign
from dialcrm.core.choices import Role
from dialcrm.core.crud import ScopedModelForm
from dialcrm.org.models import Location, Staff, Team
from dialcrm.reports.choices import Period
from dialcrm.reports.filters import MAX_DAYS, ReportFilters, period_days, time_zone_of
from dialcrm.reports.models import ReportSchedule


def _choices(queryset: Any) -> Any:
    return queryset.filter(is_active=True) if hasattr(queryset.model, "is_active") else queryset


class ReportFilterForm(forms.Form):
    """The filters of one report, limited to what the reader may see."""

    period = forms.ChoiceField(
        label=gettext_lazy("Period"), choices=Period.choices, initial=Period.LAST_7_DAYS
    )
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"), queryset=Campaign.objects.none(), required=False
    )
    call_list = forms.ModelChoiceField(
        label=gettext_lazy("Call list"), queryset=CallList.objects.none(), required=False
    )
    location = forms.ModelChoiceField(
        label=gettext_lazy("Location"), queryset=Location.objects.none(), required=False
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=Team.objects.none(), required=False
    )
    agent = forms.ModelChoiceField(
        label=gettext_lazy("Agent"), queryset=Staff.objects.none(), required=False
    )

    def __init__(self, data: Any = None, *, user: Any, filter_names: tuple[str, ...]) -> None:
        super().__init__(data)
        self.user = user
        campaigns = Campaign.objects.for_user(user)
        querysets = {
            "campaign": campaigns.order_by("name"),
            "call_list": CallList.objects.for_user(user)
            .filter(campaigns__in=campaigns)
            .distinct()
            .order_by("name"),
            "location": Location.objects.for_user(user).order_by("name"),
            "team": Team.objects.for_user(user),
            "agent": Staff.objects.for_user(user).filter(role=Role.AGENT),
        }
        for name, queryset in querysets.items():
            if name in filter_names:
                self.fields[name].queryset = _choices(queryset)  # type: ignore[attr-defined]
            else:
                del self.fields[name]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("period") == Period.CUSTOM:
            start, end = cleaned.get("start"), cleaned.get("end")
            if start is None:
                self.add_error("start", _("Give the first day of the period."))
            if end is None:
                self.add_error("end", _("Give the last day of the period."))
            if start and end and start > end:
                self.add_error("end", _("The last day comes before the first one."))
            if start and end and (end - start).days >= MAX_DAYS:
                self.add_error(
                    "end", _("A report covers at most %(days)s days.") % {"days": MAX_DAYS}
                )
        return cleaned

    def report_filters(self, today: datetime.date | None = None) -> ReportFilters:
        """The validated filters (call after `is_valid()`)."""
        data = self.cleaned_data
        zone = time_zone_of(self.user)
        if today is None:
            today = timezone.now().astimezone(ZoneInfo(zone)).date()
        start, end = period_days(data["period"], today, data.get("start"), data.get("end"))
        ids = {
            name: data[name].pk
            for name in ("campaign", "call_list", "location", "team", "agent")
            if data.get(name) is not None
        }
        return ReportFilters(data["period"], start, end, zone, ids)


def errors_of(form: forms.Form) -> ValidationError:
    """A form's errors as one ValidationError (the API answers them as 422)."""
    return ValidationError(
        {field or "__all__": list(messages) for field, messages in form.errors.items()}
    )


class ReportScheduleForm(ScopedModelForm):
    """A scheduled report's own settings (its report and filters come from the report screen)."""

    class Meta:
        model = ReportSchedule
        fields = [
            "name",
            "export_format",
            "recipients",
            "frequency",
            "weekday",
            "send_at",
            "time_zone",
        ]
        widgets = {
            "recipients": forms.Textarea(attrs={"rows": 2}),
            "send_at": forms.TimeInput(attrs={"type": "time"}),
        }
