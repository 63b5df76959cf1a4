"""Screens of clients (the first step of the location manager's flow)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns import services
from dialcrm.campaigns.forms import ClientForm
from dialcrm.campaigns.models import Client
from dialcrm.core.crud import Column, ObjectDeactivateView, ObjectFormView, ObjectListView


class ClientList(ObjectListView):
    model = Client
    url_prefix = "campaigns:client"
    columns = [
        Column(_("Name"), "name"),
        Column(_("Registration number"), "legal_id"),
        Column(_("Contact person"), "contact_name"),
        Column(_("Phone"), "phone"),
    ]
    search_fields = ("name", "legal_id", "contact_name", "email")


class ClientEdit(ObjectFormView):
    model = Client
    url_prefix = "campaigns:client"
    form_class = ClientForm

    def save(self, form: Any, instance: Any) -> Any:
        return services.save_client(self.request.user, instance, form.cleaned_values())


class ClientDeactivate(ObjectDeactivateView):
    model = Client
    url_prefix = "campaigns:client"


urlpatterns = [
    path("clients/", ClientList.as_view(), name="client_list"),
    path("clients/add/", ClientEdit.as_view(), name="client_add"),
    path("clients/<int:pk>/", ClientEdit.as_view(), name="client_edit"),
    path("clients/<int:pk>/deactivate/", ClientDeactivate.as_view(), name="client_deactivate"),
]
