"""Forms of the desk: the start of work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns.choices import DialMode
from dialcrm.desk import services
from dialcrm.desk.choices import PhoneChoice
from dialcrm.desk.models import MAX_WRAP_UP_S
from dialcrm.telephony.sip import desk_phone_endpoint, softphone_endpoint


class CampaignChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        modes = ", ".join(str(DialMode(mode).label) for mode in services.work_modes(obj))
        limit = _("wrap-up up to %(seconds)d s") % {"seconds": obj.max_wrap_up_s}
        return f"{obj.name} · {obj.client.name} ({modes}; {limit})"


class StartWorkForm(forms.Form):
    """The campaign, the work mode and the parameters an agent starts work with; the service
    (`services.start_work`) decides."""

    campaign = CampaignChoiceField(label=_("Campaign"), queryset=None, empty_label=None)
    mode = forms.ChoiceField(
        label=_("Work mode"),
        choices=[("", _("As the campaign dials"))] + list(DialMode.choices),
        required=False,
    )
    phone = forms.ChoiceField(
        label=_("Your phone"),
        choices=PhoneChoice.choices,
        initial=PhoneChoice.SOFTPHONE,
        widget=forms.RadioSelect,
        required=False,
        help_text=_(
            "It is called once when you start and stays connected; calls are put through to it."
        ),
    )
    endpoint = forms.CharField(
        label=_("Another line (optional)"),
        max_length=100,
        required=False,
        help_text=_(
            "Only if you use neither: the line to ring instead, as your administrator gave it, "
            "e.g. PJSIP/desk-42."
        ),
    )
    auto_ready = forms.BooleanField(
        label=_("Ready again after each call"), required=False, initial=True
    )
    wrap_up_s = forms.IntegerField(
        label=_("Wrap-up time (seconds)"),
        min_value=0,
        max_value=MAX_WRAP_UP_S,
        initial=30,
        help_text=_(
            "The time you give yourself after a call to finish the work sheet, within the "
            "campaign's limit (0: the limit): still without a status after it, you are paused."
        ),
    )

    def __init__(self, *args: Any, agent: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = services.workable_campaigns(agent)
        self.agent = agent
        for name, field in self.fields.items():
            css = "form-check-input" if name in ("auto_ready", "phone") else "form-control"
            if isinstance(field, forms.ChoiceField) and name != "phone":
                css = "form-select"
            field.widget.attrs["class"] = css

    def clean(self) -> dict[str, Any]:
        """The line to ring: another line when one is given, else the chosen phone's."""
        values = super().clean()
        if not values.get("endpoint"):
            phone = values.get("phone") or PhoneChoice.SOFTPHONE
            values["endpoint"] = (
                desk_phone_endpoint(self.agent.pk)
                if phone == PhoneChoice.DESK_PHONE
                else softphone_endpoint(self.agent.pk)
            )
        return values
