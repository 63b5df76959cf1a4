"""Forms of the desk: the start of work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns.choices import DialMode
from dialcrm.desk import services
from dialcrm.desk.models import MAX_WRAP_UP_S


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
    endpoint = forms.CharField(
        label=_("Phone to ring"),
        max_length=100,
        help_text=_(
            "Your softphone or desk phone, e.g. PJSIP/agent-42: it is called once when you start "
            "and stays connected; calls are put through to it."
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
        self.fields["endpoint"].initial = services.default_endpoint(agent)
        for name, field in self.fields.items():
            css = "form-check-input" if name == "auto_ready" else "form-control"
            if isinstance(field, forms.ChoiceField):
                css = "form-select"
            field.widget.attrs["class"] = css
