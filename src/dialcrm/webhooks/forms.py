"""Forms of the webhook screens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dialcrm.core.crud import ScopedModelForm, limit_company_field
from dialcrm.webhooks.choices import SUBSCRIBABLE_EVENTS
from dialcrm.webhooks.models import Subscription
from dialcrm.webhooks.targets import validate_url


class SubscriptionForm(ScopedModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=SUBSCRIBABLE_EVENTS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    class Meta:
        model = Subscription
        fields = ["company", "name", "url", "events", "is_active"]
        widgets = {"url": forms.URLInput(attrs={"placeholder": "https://"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_company_field(self)
        self.fields["events"].widget.attrs.pop("class", None)
        if self.instance.pk is None:
            del self.fields["is_active"]  # a new webhook is active

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        validate_url(url)  # here too, so the address's problem shows with the others
        return url
