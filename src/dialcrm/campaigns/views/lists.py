"""Screens of call lists: list, add, edit, deactivate, and a list's page with its leads."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.campaigns import services
from dialcrm.campaigns.choices import LeadState
from dialcrm.campaigns.forms import CallListForm
from dialcrm.campaigns.leads import lead_page, search_leads
from dialcrm.campaigns.models import CallList, ImportJob, Lead
from dialcrm.core.crud import Column, ObjectDeactivateView, ObjectFormView, ObjectListView
from dialcrm.core.policy import ADD, CHANGE, VIEW, access, can, may


class CallListList(ObjectListView):
    model = CallList
    url_prefix = "campaigns:calllist"
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Client"), "client"),
        Column(gettext_lazy("Default country"), "default_country"),
        Column(gettext_lazy("Version"), "version"),
    ]
    search_fields = ("name", "client__name")
    filters = ("client",)
    detail_url_name = "campaigns:calllist_detail"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("client")


class CallListEdit(ObjectFormView):
    model = CallList
    url_prefix = "campaigns:calllist"
    form_class = CallListForm

    def save(self, form: Any, instance: Any) -> Any:
        return services.save_call_list(self.request.user, instance, form.cleaned_values())


class CallListDeactivate(ObjectDeactivateView):
    model = CallList
    url_prefix = "campaigns:calllist"


@login_required
def call_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A list's page: its leads (searchable, paged by keyset), its imports and campaigns."""
    call_list = access(CallList, request.user, pk, VIEW)
    if not may(request.user, VIEW, Lead):
        raise PermissionDenied(_("Agents see leads only through their calls."))
    query = request.GET.get("q", "")
    state = request.GET.get("state", "")
    if state not in LeadState.values:
        state = ""
    before = request.GET.get("before", "")
    page = lead_page(
        search_leads(call_list, query, state), int(before) if before.isdigit() else None
    )
    context = {
        "call_list": call_list,
        "page": page,
        "query": query,
        "state": state,
        "states": LeadState.choices,
        "imports": ImportJob.objects.filter(call_list=call_list).order_by("-created_at")[:10],
        "campaigns": call_list.campaigns.all(),
        "can_change": can(request.user, CHANGE, call_list),
        "can_import": may(request.user, ADD, ImportJob) and can(request.user, CHANGE, call_list),
    }
    template = "campaigns/_lead_rows.html" if request.htmx else "campaigns/calllist_detail.html"
    return render(request, template, context)


urlpatterns = [
    path("lists/", CallListList.as_view(), name="calllist_list"),
    path("lists/add/", CallListEdit.as_view(), name="calllist_add"),
    path("lists/<int:pk>/", call_list_detail, name="calllist_detail"),
    path("lists/<int:pk>/edit/", CallListEdit.as_view(), name="calllist_edit"),
    path("lists/<int:pk>/deactivate/", CallListDeactivate.as_view(), name="calllist_deactivate"),
]
