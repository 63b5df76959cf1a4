"""Screens of call statuses: list (seeding the defaults on a company's first visit), add, edit,
deactivate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.campaigns import statuses
from dialcrm.campaigns.choices import StatusCategory
from dialcrm.campaigns.models import Status
from dialcrm.core.crud import (
    Column,
    ObjectDeactivateView,
    ObjectFormView,
    ObjectListView,
    ScopedModelForm,
    limit_company_field,
)


class StatusForm(ScopedModelForm):
    class Meta:
        model = Status
        fields = [
            "company",
            "code",
            "label",
            "category",
            "is_final",
            "retry_after_minutes",
            "is_agent_selectable",
            "order",
        ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        limit_company_field(self)
        self.fields["code"].widget.attrs.update(
            {"autocapitalize": "characters", "style": "text-transform: uppercase"}
        )
        self.fields["retry_after_minutes"].widget.attrs.update({"min": 1, "inputmode": "numeric"})


class StatusList(ObjectListView):
    model = Status
    url_prefix = "campaigns:status"
    columns = [
        Column(gettext_lazy("Code"), "code", link=True),
        Column(gettext_lazy("Label"), "label"),
        Column(gettext_lazy("Meaning"), "category"),
        Column(gettext_lazy("Final"), "is_final"),
        Column(gettext_lazy("Retry after (minutes)"), "retry_after_minutes"),
        Column(gettext_lazy("Agents can choose it"), "is_agent_selectable"),
    ]
    search_fields = ("code", "label")
    filters = ("category", "is_final")

    def get(self, request: HttpRequest) -> HttpResponse:
        statuses.ensure_default_statuses(getattr(request.user, "company", None))
        return super().get(request)

    def filter_choices(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "category",
                "label": _("Meaning"),
                "options": StatusCategory.choices,
                "value": self.request.GET.get("category", ""),
            },
            {
                "name": "is_final",
                "label": _("Final"),
                "options": [("true", _("Final")), ("false", _("Retried"))],
                "value": self.request.GET.get("is_final", ""),
            },
        ]


class StatusEdit(ObjectFormView):
    model = Status
    url_prefix = "campaigns:status"
    form_class = StatusForm

    def save(self, form: Any, instance: Any) -> Any:
        return statuses.save_status(self.request.user, instance, form.cleaned_values())


class StatusDeactivate(ObjectDeactivateView):
    model = Status
    url_prefix = "campaigns:status"

    def deactivate(self, instance: Any) -> None:
        statuses.deactivate_status(self.request.user, instance)


urlpatterns = [
    path("statuses/", StatusList.as_view(), name="status_list"),
    path("statuses/add/", StatusEdit.as_view(), name="status_add"),
    path("statuses/<int:pk>/", StatusEdit.as_view(), name="status_edit"),
    path("statuses/<int:pk>/deactivate/", StatusDeactivate.as_view(), name="status_deactivate"),
]
