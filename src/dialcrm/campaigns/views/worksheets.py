"""Screens of work sheets: the list, the builder (add and edit, with a live preview and the
version history) and a read-only view of any version."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.campaigns import worksheets
from dialcrm.campaigns.choices import FieldKind
from dialcrm.campaigns.models import WorkSheet, WorkSheetVersion
from dialcrm.core.crud import (
    Column,
    ObjectDeactivateView,
    ObjectFormView,
    ObjectListView,
    ObjectScreen,
    ScopedModelForm,
    limit_company_field,
)
from dialcrm.core.policy import CHANGE, VIEW, access, can


class WorkSheetForm(ScopedModelForm):
    # The builder keeps this hidden input up to date with the whole definition as JSON.
    definition = forms.CharField(
        required=False,
        widget=forms.HiddenInput(attrs={"x-bind:value": "serialized", "data-testid": "definition"}),
    )

    class Meta:
        model = WorkSheet
        fields = ["company", "name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        limit_company_field(self)

    def clean_definition(self) -> Any:
        text = self.cleaned_data.get("definition") or ""
        return worksheets.parse_definition_json(text) if text.strip() else None


class WorkSheetList(ObjectListView):
    model = WorkSheet
    url_prefix = "campaigns:worksheet"
    template_name = "campaigns/worksheet_list.html"
    columns = [
        Column(gettext_lazy("Name"), "name", link=True),
        Column(gettext_lazy("Version"), "latest_version"),
        Column(gettext_lazy("Fields changed"), "changed_at"),
        Column(gettext_lazy("Description"), "description"),
    ]
    search_fields = ("name", "description")

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .annotate(
                latest_version=Max("versions__number"), changed_at=Max("versions__created_at")
            )
            .order_by("name", "pk")
        )


def _versions(sheet: WorkSheet) -> list[WorkSheetVersion]:
    if sheet.pk is None:
        return []
    return list(sheet.versions.select_related("created_by").order_by("-number"))


def _field_kinds() -> list[list[str]]:
    return [[value, str(label)] for value, label in FieldKind.choices]


class WorkSheetEdit(ObjectFormView):
    """The builder. The definition travels as JSON in a hidden input; the server checks it all."""

    model = WorkSheet
    url_prefix = "campaigns:worksheet"
    form_class = WorkSheetForm
    template_name = "campaigns/worksheet_form.html"

    def save(self, form: Any, instance: Any) -> Any:
        result = worksheets.save_work_sheet(
            self.request.user,
            instance,
            form.cleaned_values(),
            form.cleaned_data.get("definition"),
        )
        if result.is_new_version and result.version is not None:
            messages.info(
                self.request,
                _("The fields are saved as version %(number)d.")
                % {"number": result.version.number},
            )
        return result.sheet

    def _starting_definition(self, form: Any, instance: WorkSheet) -> Any:
        """What the builder starts from: what was just posted (so nothing typed is lost), a
        chosen earlier version, or the current one."""
        if form.is_bound:
            try:
                posted = json.loads(form.data.get("definition") or "null")
            except ValueError:
                posted = None
            if isinstance(posted, dict):
                return posted
        if instance.pk is None:
            return {"groups": [{"title": "", "fields": []}]}
        chosen = self.request.GET.get("from_version", "")
        version = (
            worksheets.version_of(instance, int(chosen)) if chosen.isdigit() else None
        ) or instance.current_version
        return version.definition if version else {"groups": []}

    def context(self, **extra: Any) -> dict[str, Any]:
        context = super().context(**extra)
        form, instance = extra.get("form"), extra.get("object")
        if form is None or instance is None:
            return context
        versions = _versions(instance)
        context.update(
            builder={
                "definition": self._starting_definition(form, instance),
                "kinds": _field_kinds(),
                "maxFields": worksheets.MAX_FIELDS,
                "texts": {
                    "noLabel": _("(no label)"),
                    "untitled": _("(untitled group)"),
                    "yes": _("Yes"),
                    "no": _("No"),
                    "choose": _("Choose…"),
                    "duplicateKey": _("Another field has this key."),
                    "badKey": _("Small letters, digits and _, starting with a letter."),
                    "noChoices": _("Give the choices, one per line."),
                    "minAboveMax": _("The minimum is above the maximum."),
                    "emptyGroup": _("Add a field to this group, or remove it."),
                    "tooManyFields": _("A work sheet has at most %(limit)d fields.")
                    % {"limit": worksheets.MAX_FIELDS},
                },
            },
            definition_errors=form.errors.get("definition", []),
            versions=versions,
            current_number=versions[0].number if versions else None,
        )
        return context


class WorkSheetVersionView(ObjectScreen):
    """One version, read-only, as the agent sees (or saw) it."""

    model = WorkSheet
    url_prefix = "campaigns:worksheet"

    def get(self, request: HttpRequest, pk: int, number: int) -> HttpResponse:
        sheet = access(WorkSheet, request.user, pk, VIEW)
        version = worksheets.version_of(sheet, number)
        if version is None:
            raise Http404(_("This work sheet has no version %(number)d.") % {"number": number})
        versions = _versions(sheet)
        may_edit = can(request.user, CHANGE, sheet)
        return render(
            request,
            "campaigns/worksheet_version.html",
            self.context(
                object=sheet,
                version=version,
                versions=versions,
                current_number=versions[0].number,
                groups=worksheets.render_groups(version.definition),
                edit_url=self.url("edit", sheet.pk) if may_edit else None,
                restore_url=(
                    f"{self.url('edit', sheet.pk)}?from_version={version.number}"
                    if may_edit and version.number != versions[0].number
                    else None
                ),
            ),
        )


class WorkSheetDeactivate(ObjectDeactivateView):
    model = WorkSheet
    url_prefix = "campaigns:worksheet"

    def deactivate(self, instance: Any) -> None:
        worksheets.deactivate_work_sheet(self.request.user, instance)


urlpatterns = [
    path("worksheets/", WorkSheetList.as_view(), name="worksheet_list"),
    path("worksheets/add/", WorkSheetEdit.as_view(), name="worksheet_add"),
    path("worksheets/<int:pk>/", WorkSheetEdit.as_view(), name="worksheet_edit"),
    path(
        "worksheets/<int:pk>/versions/<int:number>/",
        WorkSheetVersionView.as_view(),
        name="worksheet_version",
    ),
    path(
        "worksheets/<int:pk>/deactivate/",
        WorkSheetDeactivate.as_view(),
        name="worksheet_deactivate",
    ),
]
