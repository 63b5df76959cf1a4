"""Generic screens for listing, searching, adding, editing and deactivating objects.

Every app's list/add/edit/deactivate screens are small subclasses of these, so they look and
behave alike: the queryset is restricted by the access policy, saving goes through the app's
service, and refusals end in a clear 403 or 404 page, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View

from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, access, may
from dialcrm.core.services import deactivate_object, save_object


@dataclass(frozen=True)
class Column:
    """A column of a list screen: its heading and the attribute (dotted) it shows."""

    label: str
    attribute: str
    link: bool = False


def _value(instance: Any, attribute: str) -> Any:
    value = instance
    for part in attribute.split("."):
        if value is None:
            return ""
        display = getattr(value, f"get_{part}_display", None)
        value = display() if callable(display) else getattr(value, part)
    return value


def apply_form_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's validation errors on the form's fields (or on top)."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


class ObjectScreen(LoginRequiredMixin, View):
    """Shared configuration of the screens of one model."""

    model: type[models.Model]
    url_prefix: str  # e.g. "org:team": names are <prefix>_list, _add, _edit, _deactivate
    title: str = ""

    def url(self, kind: str, *args: Any) -> str:
        return reverse(f"{self.url_prefix}_{kind}", args=args)

    def context(self, **extra: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            "title": self.title or capfirst(self.model._meta.verbose_name_plural),
            "model_name": self.model._meta.verbose_name,
            "list_url": self.url("list"),
            "add_url": self.url("add") if may(user, ADD, self.model) else None,
            **extra,
        }


class ObjectListView(ObjectScreen):
    """A searchable, filterable, paginated list of what the user may see."""

    columns: list[Column] = []
    search_fields: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()  # query parameters that filter by a field of the same name
    template_name = "core/object_list.html"
    page_size = 25
    detail_url_name: str | None = None  # a page of its own for each row, if the model has one

    def get_queryset(self) -> models.QuerySet[Any]:
        return self.model.objects.for_user(self.request.user, VIEW)  # type: ignore[attr-defined]

    def filter_queryset(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        query = self.request.GET.get("q", "").strip()
        if query and self.search_fields:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": query})
            queryset = queryset.filter(condition)
        for name in self.filters:
            value = self.request.GET.get(name, "").strip()
            if value in ("true", "false"):
                queryset = queryset.filter(**{name: value == "true"})
            elif value:
                queryset = queryset.filter(**{name: value})
        if self.request.GET.get("is_active", "true") == "true" and hasattr(self.model, "is_active"):
            queryset = queryset.filter(is_active=True)
        return queryset

    def filter_choices(self) -> list[dict[str, Any]]:
        return []

    def row_url(self, item: Any, can_change: bool) -> str | None:
        if self.detail_url_name:
            return reverse(self.detail_url_name, args=[item.pk])
        return self.url("edit", item.pk) if can_change else None

    def get(self, request: HttpRequest) -> HttpResponse:
        if not may(request.user, VIEW, self.model):
            raise PermissionDenied(
                _("You may not see %(name)s.") % {"name": self.model._meta.verbose_name_plural}
            )
        queryset = self.filter_queryset(self.get_queryset())
        page = Paginator(queryset, self.page_size).get_page(request.GET.get("page"))
        can_change = may(request.user, CHANGE, self.model)
        rows = [
            {
                "object": item,
                "cells": [(column, _value(item, column.attribute)) for column in self.columns],
                "edit_url": self.row_url(item, can_change),
            }
            for item in page.object_list
        ]
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            self.template_name,
            self.context(
                columns=self.columns,
                rows=rows,
                page=page,
                query=query.urlencode(),
                search=request.GET.get("q", ""),
                show_inactive=request.GET.get("is_active") == "all",
                has_active=hasattr(self.model, "is_active"),
                filter_choices=self.filter_choices(),
            ),
        )


class ObjectFormView(ObjectScreen):
    """Add (no pk) or edit (pk) one object through a form and the app's save service."""

    form_class: type[forms.ModelForm]
    template_name = "core/object_form.html"

    def get_object(self, pk: int | None) -> models.Model:
        if pk is None:
            if not may(self.request.user, ADD, self.model):
                raise PermissionDenied(
                    _("You may not add a %(name)s.") % {"name": self.model._meta.verbose_name}
                )
            return self.model()
        return access(self.model, self.request.user, pk, CHANGE)

    def get_form(self, instance: models.Model, data: Any = None) -> forms.ModelForm:
        return self.form_class(data=data, instance=instance, user=self.request.user)  # type: ignore[call-arg]

    def save(self, form: forms.ModelForm, instance: models.Model) -> models.Model:
        return save_object(self.request.user, instance, form.cleaned_values())  # type: ignore[attr-defined]

    def render_form(
        self, form: forms.ModelForm, instance: models.Model, status: int = 200, **extra: Any
    ) -> HttpResponse:
        can_deactivate = (
            instance.pk is not None
            and getattr(instance, "is_active", False)
            and may(self.request.user, DELETE, self.model)
        )
        return render(
            self.request,
            self.template_name,
            self.context(
                form=form,
                object=instance,
                deactivate_url=self.url("deactivate", instance.pk) if can_deactivate else None,
                extra_actions=self.extra_actions(instance),
                **extra,
            ),
            status=status,
        )

    def extra_actions(self, instance: models.Model) -> list[tuple[str, str]]:
        return []

    def success_url(self, saved: models.Model) -> str:
        return self.url("list")

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        instance = self.get_object(pk)
        return self.render_form(self.get_form(instance), instance)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        instance = self.get_object(pk)
        form = self.get_form(instance, request.POST)
        if form.is_valid():
            try:
                saved = self.save(form, instance)
            except ValidationError as error:
                apply_form_errors(form, error)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": saved})
                return redirect(self.success_url(saved))
        return self.render_form(form, instance, status=422)


class ObjectDeactivateView(ObjectScreen):
    """Deactivate an object (POST only); it stays in history and reports."""

    http_method_names = ["post"]

    def deactivate(self, instance: models.Model) -> None:
        deactivate_object(self.request.user, instance)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        instance = access(self.model, request.user, pk, DELETE)
        try:
            self.deactivate(instance)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(self.url("edit", pk))
        messages.success(request, _("Deactivated %(name)s.") % {"name": instance})
        return redirect(self.url("list"))


class ScopedModelForm(forms.ModelForm):
    """A model form whose related-object choices are limited to what the user may see.

    Validation of the model itself (`full_clean`) happens in the save service, so the form, the
    API and the CLI apply the same rules.
    """

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                related = field.queryset.model
                if hasattr(related.objects, "for_user"):
                    field.queryset = related.objects.for_user(user).filter(
                        **({"is_active": True} if hasattr(related, "is_active") else {})
                    )
            widget = field.widget
            css = (
                "form-check-input"
                if isinstance(widget, forms.CheckboxInput)
                else ("form-select" if isinstance(widget, forms.Select) else "form-control")
            )
            widget.attrs.setdefault("class", css)

    def _post_clean(self) -> None:
        # Model validation runs in the service, inside its transaction.
        pass

    def cleaned_values(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data
        }


def limit_company_field(form: ScopedModelForm) -> None:
    """The company is chosen only when adding, and only if the person sees several."""
    company = form.fields.get("company")
    if company is None:
        return
    if form.instance.pk is not None:
        del form.fields["company"]
        return
    choices = list(company.queryset[:2])
    if len(choices) == 1:
        form.initial["company"] = form.initial.get("company") or choices[0].pk
        company.widget = forms.HiddenInput()
    elif form.user.company_id:
        form.initial["company"] = form.initial.get("company") or form.user.company_id
