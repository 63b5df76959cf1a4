"""Forms of the quality screens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns.models import Campaign
from dialcrm.core.crud import ScopedModelForm
from dialcrm.desk.models import Sale
from dialcrm.desk.services import MAX_QUANTITY, ProductLine, sellable_products
from dialcrm.org.models import Location
from dialcrm.quality.choices import AgeFilter, ConfirmationOutcome
from dialcrm.quality.models import MAX_POINTS, ScoreCriterion
from dialcrm.quality.services import MAX_REASON_LENGTH, QueueFilter


class ScoreCriterionForm(ScopedModelForm):
    class Meta:
        model = ScoreCriterion
        fields = ["campaign", "name", "description", "weight", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class QueueFilterForm(forms.Form):
    """The queue's filters, limited to the campaigns and locations the person sees."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("Every campaign"),
    )
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=_("Every location"),
    )
    age = forms.ChoiceField(
        label=_("Waiting"), choices=[("", _("Any time"))] + AgeFilter.choices, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.for_user(user).order_by("name")
        self.fields["location"].queryset = Location.objects.for_user(user).order_by("name")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def narrowed(self) -> QueueFilter:
        values = self.cleaned_data
        return QueueFilter(
            campaign_id=values["campaign"].pk if values.get("campaign") else None,
            location_id=values["location"].pk if values.get("location") else None,
            age=values.get("age") or "",
        )


def _text_area(label: Any, required: bool) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class DecisionForm(forms.Form):
    """The reason of a return or a cancellation (a note for an acceptance)."""

    reason = _text_area(_("Reason"), required=False)


class ConfirmationForm(forms.Form):
    """How the reviewer's call to the beneficiary went."""

    outcome = forms.ChoiceField(
        label=_("Outcome of the call"),
        choices=ConfirmationOutcome.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    note = _text_area(_("Note"), required=False)


class LinesForm(forms.Form):
    """A quantity for each product the campaign sells (0: not in the sale)."""

    def __init__(self, *args: Any, sale: Sale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = {line.product_id: line.quantity for line in sale.lines.all()}
        self.products = sellable_products(sale.campaign)
        for product in self.products:
            self.fields[f"product_{product.pk}"] = forms.IntegerField(
                label=f"{product.name} ({product.code})",
                min_value=0,
                max_value=MAX_QUANTITY,
                initial=current.get(product.pk, 0),
                widget=forms.NumberInput(attrs={"class": "form-control"}),
            )

    def lines(self) -> list[ProductLine]:
        return [
            ProductLine(product.pk, self.cleaned_data[f"product_{product.pk}"])
            for product in self.products
        ]


class ResubmitForm(forms.Form):
    note = _text_area(_("Note for the reviewer"), required=False)


class ScoreForm(forms.Form):
    """Points for each criterion of the campaign's scorecard, and a comment."""

    def __init__(self, *args: Any, criteria: list[ScoreCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.IntegerField(
                label=_("%(name)s (weight %(weight)d)")
                % {"name": criterion.name, "weight": criterion.weight},
                help_text=criterion.description,
                min_value=0,
                max_value=MAX_POINTS,
                widget=forms.NumberInput(attrs={"class": "form-control"}),
            )
        self.fields["comment"] = _text_area(_("Comment"), required=False)

    def points(self) -> dict[str, int]:
        return {
            str(criterion.pk): self.cleaned_data[f"criterion_{criterion.pk}"]
            for criterion in self.criteria
        }
