"""Screens of do-not-call lists: list, add, edit, deactivate; a list's numbers (search, add and
remove one); importing a file of numbers, with its progress and report."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dialcrm.campaigns import dnc
from dialcrm.campaigns.choices import DncKind, ImportState
from dialcrm.campaigns.import_files import ImportFileError
from dialcrm.campaigns.import_jobs import (
    first_problems,
    job_progress,
    max_upload_bytes,
    preview_job,
)
from dialcrm.campaigns.models import DncImportJob, DncList
from dialcrm.campaigns.views.imports import (
    DELIMITER_LABELS,
    ReadingFields,
    problems_download,
    upload_refusal,
    with_upload_cap,
)
from dialcrm.core.crud import (
    Column,
    ObjectDeactivateView,
    ObjectFormView,
    ObjectListView,
    ScopedModelForm,
    apply_form_errors,
)
from dialcrm.core.policy import ADD, CHANGE, VIEW, access, can, may

NUMBERS_PAGE_SIZE = 50


class DncListForm(ScopedModelForm):
    class Meta:
        model = DncList
        fields = ["company", "name", "kind", "description"]


class DncListList(ObjectListView):
    model = DncList
    url_prefix = "campaigns:dnc"
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Kind"), "kind"),
        Column(gettext_lazy("Description"), "description"),
    ]
    search_fields = ("name", "description")
    filters = ("kind",)
    detail_url_name = "campaigns:dnc_numbers"

    def filter_choices(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "kind",
                "label": _("Kind"),
                "options": DncKind.choices,
                "value": self.request.GET.get("kind", ""),
            }
        ]


class DncListEdit(ObjectFormView):
    model = DncList
    url_prefix = "campaigns:dnc"
    form_class = DncListForm

    def save(self, form: Any, instance: Any) -> Any:
        return dnc.save_dnc_list(self.request.user, instance, form.cleaned_values())

    def success_url(self, saved: Any) -> str:
        return reverse("campaigns:dnc_numbers", args=[saved.pk])


class DncListDeactivate(ObjectDeactivateView):
    model = DncList
    url_prefix = "campaigns:dnc"

    def deactivate(self, instance: Any) -> None:
        dnc.deactivate_dnc_list(self.request.user, instance)


class NumberForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Phone number"), max_length=40)
    country = forms.CharField(
        label=gettext_lazy("Country of numbers without a prefix"),
        max_length=2,
        initial="RO",
        help_text=gettext_lazy("ISO code, e.g. RO"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
        self.fields["number"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})


@login_required
def dnc_numbers(request: HttpRequest, pk: int) -> HttpResponse:
    """A list's numbers, searchable; people who may change the list add numbers here."""
    dnc_list = access(DncList, request.user, pk, VIEW)
    may_change = can(request.user, CHANGE, dnc_list)
    form = NumberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied(_("You may not change this do-not-call list."))
        if form.is_valid():
            try:
                entry, created = dnc.add_number(
                    request.user,
                    dnc_list,
                    form.cleaned_data["number"],
                    form.cleaned_data["country"].upper(),
                    source=_("added by %(person)s") % {"person": request.user},
                )
            except ValidationError as error:
                apply_form_errors(form, error)
            else:
                if created:
                    messages.success(request, _("%(number)s added.") % {"number": entry.number})
                else:
                    messages.info(
                        request, _("%(number)s was on the list already.") % {"number": entry.number}
                    )
                return redirect("campaigns:dnc_numbers", dnc_list.pk)
        status = 422
    query = request.GET.get("q", "")
    numbers = dnc.search_numbers(dnc_list, query, request.GET.get("country", "RO").upper())
    page = Paginator(numbers, NUMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "campaigns/dnc_numbers.html",
        {
            "dnc_list": dnc_list,
            "page": page,
            "query": params.urlencode(),
            "search": query,
            "form": form,
            "may_change": may_change,
            "may_import": may_change and may(request.user, ADD, DncImportJob),
            "imports": dnc_list.imports.order_by("-created_at")[:5],
        },
        status=status,
    )


@login_required
@require_POST
def dnc_number_remove(request: HttpRequest, pk: int) -> HttpResponse:
    dnc_list = access(DncList, request.user, pk, CHANGE)
    number = request.POST.get("number", "")
    try:
        removed = dnc.remove_number(request.user, dnc_list, number, dnc_list_country(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if removed:
            messages.success(request, _("%(number)s removed.") % {"number": number})
        else:
            messages.info(request, _("%(number)s was not on the list.") % {"number": number})
    return redirect("campaigns:dnc_numbers", dnc_list.pk)


def dnc_list_country(request: HttpRequest) -> str:
    return (request.POST.get("country") or "RO").upper()


class DncUploadForm(ReadingFields):
    file = forms.FileField(
        label=gettext_lazy("File of numbers (CSV or XLSX)"), allow_empty_file=True
    )
    country = forms.CharField(
        label=gettext_lazy("Country of numbers without a prefix"),
        max_length=2,
        initial="RO",
    )

    field_order = ["file", "country", "encoding", "delimiter", "has_header"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {"class": "form-control", "accept": ".csv,.txt,.tsv,.xlsx,.xlsm"}
        )
        self.fields["country"].widget.attrs["class"] = "form-control"


def _dnc_import_start(request: HttpRequest, pk: int) -> HttpResponse:
    dnc_list = access(DncList, request.user, pk, VIEW)
    if not (can(request.user, CHANGE, dnc_list) and may(request.user, ADD, DncImportJob)):
        raise PermissionDenied(_("You may not import numbers into this do-not-call list."))
    refusal = upload_refusal(request)
    form = DncUploadForm(
        *((None, None) if refusal else (request.POST or None, request.FILES or None))
    )
    status = 413 if refusal else 200
    if form.is_bound:
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = dnc.create_dnc_import(
                    request.user,
                    dnc_list,
                    upload,
                    upload.name,
                    country=form.cleaned_data["country"],
                    **form.reading(),
                )
            except ValidationError as error:
                apply_form_errors(form, error)
            else:
                return redirect("campaigns:dnc_import_detail", job.pk)
        status = 422
    return render(
        request,
        "campaigns/dnc_import_start.html",
        {
            "dnc_list": dnc_list,
            "form": form,
            "upload_refusal": refusal,
            "max_megabytes": max_upload_bytes() // (1024 * 1024),
        },
        status=status,
    )


dnc_import_start = with_upload_cap(_dnc_import_start)


@login_required
def dnc_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A numbers import: the column to read before it starts, then progress, then report."""
    job = access(DncImportJob, request.user, pk, VIEW)
    context: dict[str, Any] = {
        "job": job,
        "dnc_list": job.dnc_list,
        "delimiter_label": DELIMITER_LABELS.get(job.delimiter, job.delimiter),
    }
    if job.state in (ImportState.QUEUED, ImportState.RUNNING):
        context["progress"] = job_progress(job, dnc.PROGRESS_KIND)
        context["progress_url"] = reverse("campaigns:dnc_import_progress", args=[job.pk])
        return render(request, "campaigns/dnc_import_detail.html", context)
    if job.state == ImportState.DONE:
        context["problems"] = first_problems(job)
        return render(request, "campaigns/dnc_import_detail.html", context)
    may_change = can(request.user, CHANGE, job)
    context["may_change"] = may_change
    status = 200
    try:
        context["preview"] = preview_job(job)
    except ImportFileError as error:
        context["file_error"] = error.message
        return render(request, "campaigns/dnc_import_detail.html", context, status=422)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied(_("You may not start this import."))
        try:
            dnc.start_dnc_import(request.user, job, request.POST.get("column", ""))
        except ValidationError as error:
            context["start_error"] = " ".join(error.messages)
            status = 422
        else:
            return redirect("campaigns:dnc_import_detail", job.pk)
    return render(request, "campaigns/dnc_import_detail.html", context, status=status)


@login_required
def dnc_import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = access(DncImportJob, request.user, pk, VIEW)
    progress = job_progress(job, dnc.PROGRESS_KIND)
    response = render(
        request,
        "campaigns/import_progress.html",
        {
            "progress": progress,
            "progress_url": reverse("campaigns:dnc_import_progress", args=[pk]),
        },
    )
    if progress.is_finished:
        response["HX-Refresh"] = "true"
    return response


@login_required
def dnc_import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = access(DncImportJob, request.user, pk, VIEW)
    return problems_download(job, f"dnc-import-{job.pk}-problems.csv")


urlpatterns = [
    path("dnc/", DncListList.as_view(), name="dnc_list"),
    path("dnc/add/", DncListEdit.as_view(), name="dnc_add"),
    path("dnc/<int:pk>/edit/", DncListEdit.as_view(), name="dnc_edit"),
    path("dnc/<int:pk>/deactivate/", DncListDeactivate.as_view(), name="dnc_deactivate"),
    path("dnc/<int:pk>/", dnc_numbers, name="dnc_numbers"),
    path("dnc/<int:pk>/remove/", dnc_number_remove, name="dnc_number_remove"),
    path("dnc/<int:pk>/import/", dnc_import_start, name="dnc_import_start"),
    path("dnc-imports/<int:pk>/", dnc_import_detail, name="dnc_import_detail"),
    path("dnc-imports/<int:pk>/progress/", dnc_import_progress, name="dnc_import_progress"),
    path("dnc-imports/<int:pk>/problems.csv", dnc_import_errors, name="dnc_import_errors"),
]
