"""Screens of campaigns: list, add, edit, a campaign's page with its call lists and readiness,
and the start / pause / stop / complete actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dialcrm.campaigns import services
from dialcrm.campaigns.forms import CampaignForm, CampaignListsForm
from dialcrm.campaigns.models import Campaign
from dialcrm.core.crud import Column, ObjectFormView, ObjectListView
from dialcrm.core.policy import CHANGE, VIEW, access, can


class CampaignList(ObjectListView):
    model = Campaign
    url_prefix = "campaigns:campaign"
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Client"), "client"),
        Column(gettext_lazy("Location"), "location"),
        Column(gettext_lazy("Dial mode"), "dial_mode"),
        Column(gettext_lazy("State"), "state"),
    ]
    search_fields = ("name", "client__name")
    filters = ("state", "client", "location")
    detail_url_name = "campaigns:campaign_detail"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("client", "location")

    def filter_choices(self) -> list[dict[str, Any]]:
        from dialcrm.campaigns.choices import CampaignState

        return [
            {
                "name": "state",
                "label": _("State"),
                "options": CampaignState.choices,
                "value": self.request.GET.get("state", ""),
            }
        ]


class CampaignEdit(ObjectFormView):
    model = Campaign
    url_prefix = "campaigns:campaign"
    form_class = CampaignForm

    def save(self, form: Any, instance: Any) -> Any:
        return services.save_campaign(self.request.user, instance, form.cleaned_values())

    def success_url(self, saved: Any) -> str:
        return reverse("campaigns:campaign_detail", args=[saved.pk])


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = access(Campaign, request.user, pk, VIEW)
    can_change = can(request.user, CHANGE, campaign)
    lists_form = CampaignListsForm(request.POST or None, campaign=campaign, user=request.user)
    status = 200
    if request.method == "POST" and can_change:
        if lists_form.is_valid():
            try:
                services.set_campaign_lists(request.user, campaign, lists_form.chosen())
            except ValidationError as error:
                lists_form.add_error(None, error)
            else:
                messages.success(request, _("Call lists saved."))
                return redirect("campaigns:campaign_detail", pk)
        status = 422
    context = {
        "campaign": campaign,
        "can_change": can_change,
        "lists_form": lists_form,
        "links": campaign.list_links.select_related("call_list"),
        "readiness": services.check_readiness(campaign),
        "actions": [
            action
            for action, (allowed, _target) in services.TRANSITIONS.items()
            if campaign.state in allowed
        ]
        if can_change
        else [],
    }
    return render(request, "campaigns/campaign_detail.html", context, status=status)


ACTION_LABELS = {
    "start": gettext_lazy("Start"),
    "pause": gettext_lazy("Pause"),
    "stop": gettext_lazy("Stop"),
    "complete": gettext_lazy("Complete"),
}


@login_required
@require_POST
def campaign_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    campaign = access(Campaign, request.user, pk, CHANGE)
    try:
        services.change_campaign_state(
            request.user, campaign, action, request.POST.get("reason", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(campaign)s is %(state)s.")
            % {"campaign": campaign, "state": campaign.get_state_display().lower()},
        )
    return redirect("campaigns:campaign_detail", pk)


urlpatterns = [
    path("", CampaignList.as_view(), name="campaign_list"),
    path("add/", CampaignEdit.as_view(), name="campaign_add"),
    path("<int:pk>/", campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", CampaignEdit.as_view(), name="campaign_edit"),
    path("<int:pk>/<str:action>/", campaign_action, name="campaign_action"),
]
