"""Screens of list imports: upload, preview and mapping, the live progress bar, the report and
its problems file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from dialcrm.campaigns import imports
from dialcrm.campaigns.choices import DncKind, ImportState, PhoneKind
from dialcrm.campaigns.import_files import ImportFileError
from dialcrm.campaigns.import_jobs import (
    first_problems,
    job_progress,
    max_upload_bytes,
    preview_job,
    problems_csv,
    too_big_message,
)
from dialcrm.campaigns.models import CallList, DncList, ImportJob, ImportMapping
from dialcrm.core.crud import apply_form_errors
from dialcrm.core.policy import CHANGE, VIEW, access, can

ENCODINGS = [
    ("", gettext_lazy("Detect")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", gettext_lazy("UTF-8 with byte-order mark")),
    ("cp1250", gettext_lazy("Windows-1250 (Central Europe)")),
    ("iso8859_2", "ISO-8859-2"),
    ("cp1252", gettext_lazy("Windows-1252 (Western Europe)")),
    ("iso8859_1", "ISO-8859-1"),
    ("utf-16", "UTF-16"),
]
DELIMITER_LABELS = {
    ",": gettext_lazy("Comma ,"),
    ";": gettext_lazy("Semicolon ;"),
    "\t": gettext_lazy("Tab"),
    "|": gettext_lazy("Pipe |"),
}
FIELD_LABELS = {
    "external_id": gettext_lazy("External id"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "email": gettext_lazy("Email"),
    "city": gettext_lazy("City"),
    "region": gettext_lazy("Region"),
}
TARGETS = [
    ("", gettext_lazy("Not imported")),
    (imports.PHONE, gettext_lazy("Phone number")),
    *((name, label) for name, label in FIELD_LABELS.items()),
    (imports.CUSTOM, gettext_lazy("Custom field")),
]
DEDUPE_SCOPES = [
    (imports.DEDUPE_LIST, gettext_lazy("this list")),
    (imports.DEDUPE_CLIENT, gettext_lazy("all the client's lists")),
    (imports.DEDUPE_NONE, gettext_lazy("no list (the file only)")),
]


# --- uploads with a size cap -----------------------------------------------------------------


class SizeLimitHandler(FileUploadHandler):
    """Stops reading an upload as soon as it passes the size cap (nothing is stored)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.request.upload_too_big = True  # type: ignore[union-attr]
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def with_upload_cap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view that receives a file, which is refused with a clear message (413) when it is
    over the cap: before reading the body when its declared size says so (the view then reads
    nothing and changes nothing), else as soon as the upload passes the cap. The cap's handler
    must be in place before the CSRF check reads the form: so the check is made here, after."""
    protected = csrf_protect(view)

    @login_required
    @csrf_exempt
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            limit = max_upload_bytes()
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
            if declared > limit + 64 * 1024:  # the form's other fields take a few bytes
                request.upload_refusal = too_big_message(declared)  # type: ignore[attr-defined]
                return view(request, *args, **kwargs)
            request.upload_handlers.insert(0, SizeLimitHandler(request, limit))
        return protected(request, *args, **kwargs)

    return wrapper


def upload_refusal(request: HttpRequest) -> str:
    """Why an upload was refused for its size ("" if it was not). Call it before reading the
    form: when the declared size was too big, the form must not be read."""
    refusal = getattr(request, "upload_refusal", "")
    if refusal:
        return refusal
    if request.method == "POST":
        request.POST  # noqa: B018 - reads the body through the size-capping handler
        if getattr(request, "upload_too_big", False):
            return too_big_message()
    return ""


# --- forms -----------------------------------------------------------------------------------


def _select(field: forms.Field) -> forms.Field:
    field.widget.attrs.setdefault(
        "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
    )
    return field


class ReadingFields(forms.Form):
    """How to read a CSV file: encoding, delimiter, header row."""

    encoding = forms.ChoiceField(label=gettext_lazy("Encoding"), choices=ENCODINGS, required=False)
    delimiter = forms.ChoiceField(
        label=gettext_lazy("Delimiter"),
        choices=[("", gettext_lazy("Detect")), *DELIMITER_LABELS.items()],
        required=False,
    )
    has_header = forms.BooleanField(
        label=gettext_lazy("The first row holds the column names"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            else:
                _select(field)

    def reading(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "encoding": data.get("encoding") or None,
            "delimiter": data.get("delimiter") or None,
            "has_header": bool(data.get("has_header")),
        }


class UploadForm(ReadingFields):
    # Empty files get the import's own message.
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"), allow_empty_file=True)

    field_order = ["file", "encoding", "delimiter", "has_header"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {"class": "form-control", "accept": ".csv,.txt,.tsv,.xlsx,.xlsm"}
        )


def reading_form(job: Any, data: Any = None) -> ReadingFields:
    return ReadingFields(
        data,
        initial={
            "encoding": job.encoding,
            "delimiter": job.delimiter,
            "has_header": job.has_header,
        },
    )


class MappingForm(forms.Form):
    """Where each column goes, and the import's options."""

    dedupe_in_file = forms.BooleanField(
        label=gettext_lazy("Drop rows that repeat an earlier row of the file"), required=False
    )
    dedupe_against = forms.ChoiceField(
        label=gettext_lazy("Drop rows already in"), choices=DEDUPE_SCOPES, widget=forms.RadioSelect
    )
    dedupe_by_phone = forms.BooleanField(
        label=gettext_lazy("Same phone number means the same person"), required=False
    )
    dedupe_fields = forms.MultipleChoiceField(
        label=gettext_lazy("... and so do the same values of"),
        choices=list(FIELD_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    dnc_lists = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Leave out numbers on these do-not-call lists"),
        queryset=DncList.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    scrub_internal_dnc = forms.BooleanField(
        label=gettext_lazy("... and on the internal list (people who asked not to be called)"),
        required=False,
    )
    only_default_country = forms.BooleanField(
        label=gettext_lazy("Accept only numbers of the list's country"), required=False
    )
    save_mapping_as = forms.CharField(
        label=gettext_lazy("Save this mapping for the next files as"),
        max_length=100,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        samples: list[list[str]],
        dnc_lists: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.samples = samples
        self.fields["dnc_lists"].queryset = dnc_lists
        for index in range(len(headers)):
            target = _select(forms.ChoiceField(choices=TARGETS, required=False))
            target.widget.attrs["x-model"] = "target"
            self.fields[f"target_{index}"] = target
            self.fields[f"kind_{index}"] = _select(
                forms.ChoiceField(choices=PhoneKind.choices, initial=PhoneKind.OTHER)
            )
            self.fields[f"priority_{index}"] = _select(
                forms.IntegerField(min_value=1, max_value=99, initial=1)
            )
            self.fields[f"name_{index}"] = _select(forms.CharField(max_length=50, required=False))
        self.fields["save_mapping_as"].widget.attrs["class"] = "form-control"
        for name in (
            "dedupe_in_file",
            "dedupe_by_phone",
            "scrub_internal_dnc",
            "only_default_country",
        ):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        for name in ("dedupe_against", "dedupe_fields", "dnc_lists"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def columns(self) -> list[dict[str, Any]]:
        return [
            {
                "index": index,
                "header": header,
                "samples": [row[index] for row in self.samples[:3] if index < len(row)],
                "target": self[f"target_{index}"],
                "kind": self[f"kind_{index}"],
                "priority": self[f"priority_{index}"],
                "name": self[f"name_{index}"],
            }
            for index, header in enumerate(self.headers)
        ]

    def mapping(self) -> imports.Mapping:
        data = self.cleaned_data
        return imports.Mapping.from_json(
            {
                "columns": [
                    {
                        "column": header,
                        "target": data.get(f"target_{index}") or "",
                        "kind": data.get(f"kind_{index}") or PhoneKind.OTHER,
                        "priority": data.get(f"priority_{index}") or 1,
                        "name": data.get(f"name_{index}") or "",
                    }
                    for index, header in enumerate(self.headers)
                ]
            }
        )

    def options(self) -> imports.ImportOptions:
        data = self.cleaned_data
        return imports.ImportOptions(
            dedupe_in_file=data["dedupe_in_file"],
            dedupe_against=data["dedupe_against"],
            dedupe_by_phone=data["dedupe_by_phone"],
            dedupe_fields=tuple(data["dedupe_fields"]),
            dnc_list_ids=tuple(sorted(item.pk for item in data["dnc_lists"])),
            scrub_internal_dnc=data["scrub_internal_dnc"],
            only_default_country=data["only_default_country"],
        )


def mapping_initial(
    headers: list[str], mapping: imports.Mapping, options: imports.ImportOptions
) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "dedupe_in_file": options.dedupe_in_file,
        "dedupe_against": options.dedupe_against,
        "dedupe_by_phone": options.dedupe_by_phone,
        "dedupe_fields": list(options.dedupe_fields),
        "dnc_lists": list(options.dnc_list_ids),
        "scrub_internal_dnc": options.scrub_internal_dnc,
        "only_default_country": options.only_default_country,
    }
    by_column = {column.column: column for column in mapping.columns}
    for index, header in enumerate(headers):
        column = by_column.get(header)
        if column is None:
            continue
        initial[f"target_{index}"] = column.target
        initial[f"kind_{index}"] = column.kind
        initial[f"priority_{index}"] = column.priority
        initial[f"name_{index}"] = column.name
    return initial


# --- screens ---------------------------------------------------------------------------------


def _start(request: HttpRequest, list_pk: int) -> HttpResponse:
    call_list = access(CallList, request.user, list_pk, VIEW)
    if not can(request.user, CHANGE, call_list):
        raise PermissionDenied(_("You may not import leads into this list."))
    refusal = upload_refusal(request)
    form = UploadForm(*((None, None) if refusal else (request.POST or None, request.FILES or None)))
    status = 413 if refusal else 200
    if form.is_bound:
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = imports.create_import(
                    request.user, call_list, upload, upload.name, **form.reading()
                )
            except ValidationError as error:
                apply_form_errors(form, error)
            else:
                return redirect("campaigns:import_detail", job.pk)
        status = 422
    return render(
        request,
        "campaigns/import_start.html",
        {
            "call_list": call_list,
            "form": form,
            "upload_refusal": refusal,
            "max_megabytes": max_upload_bytes() // (1024 * 1024),
            "recent": ImportJob.objects.filter(call_list=call_list).order_by("-created_at")[:5],
        },
        status=status,
    )


import_start = with_upload_cap(_start)


def _saved_mappings(request: HttpRequest, company_id: int) -> Any:
    return ImportMapping.objects.for_user(request.user, VIEW).filter(company_id=company_id)


def _initial_mapping(
    request: HttpRequest, job: ImportJob, headers: list[str], company_id: int
) -> tuple[imports.Mapping, imports.ImportOptions, ImportMapping | None]:
    """The mapping the form starts with: a saved one chosen by the person, the job's own (when
    it is started again), or one guessed from the column names."""
    chosen = request.GET.get("mapping", "")
    if chosen.isdigit():
        saved = _saved_mappings(request, company_id).filter(pk=int(chosen)).first()
        if saved is not None:
            try:
                return (
                    imports.Mapping.from_json(saved.mapping),
                    imports.ImportOptions.from_json(saved.options),
                    saved,
                )
            except ValidationError:
                messages.error(request, _("The saved mapping cannot be used: map the columns."))
    if job.mapping:
        return (
            imports.Mapping.from_json(job.mapping),
            imports.ImportOptions.from_json(job.options),
            None,
        )
    default_lists = DncList.objects.filter(
        company_id=company_id, is_active=True, kind=DncKind.IMPORTED
    ).values_list("pk", flat=True)
    return (
        imports.auto_mapping(headers)[0],
        imports.ImportOptions(dnc_list_ids=tuple(default_lists)),
        None,
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's page: preview and mapping before it starts, then its progress, then its
    report."""
    job = access(ImportJob, request.user, pk, VIEW)
    call_list = job.call_list
    company_id = call_list.client.company_id
    context: dict[str, Any] = {"job": job, "call_list": call_list}
    if job.state in (ImportState.QUEUED, ImportState.RUNNING):
        context["progress"] = job_progress(job)
        return render(request, "campaigns/import_detail.html", context)
    if job.state == ImportState.DONE:
        context["problems"] = first_problems(job)
        context["report"] = imports.import_report(job, problems=0)
        return render(request, "campaigns/import_detail.html", context)
    may_change = can(request.user, CHANGE, job)
    if request.method == "POST" and not may_change:
        raise PermissionDenied(_("You may not change this import."))
    reading = reading_form(job)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "reading":
        reading = reading_form(job, request.POST)
        if reading.is_valid():
            try:
                imports.change_reading(request.user, job, **reading.reading())
            except ValidationError as error:
                apply_form_errors(reading, error)
                status = 422
            else:
                return redirect("campaigns:import_detail", job.pk)
        else:
            status = 422
    context.update(reading=reading, may_change=may_change)
    try:
        preview = preview_job(job)
    except ImportFileError as error:
        context["file_error"] = error.message
        return render(request, "campaigns/import_detail.html", context, status=status)
    dnc_lists = DncList.objects.for_user(request.user, VIEW).filter(
        company_id=company_id, is_active=True, kind=DncKind.IMPORTED
    )
    mapping, options, saved = _initial_mapping(request, job, preview.headers, company_id)
    form = MappingForm(
        request.POST if request.POST.get("action") == "start" else None,
        headers=preview.headers,
        samples=preview.rows,
        dnc_lists=dnc_lists,
        initial=mapping_initial(preview.headers, mapping, options),
    )
    if request.method == "POST" and request.POST.get("action") == "start":
        if form.is_valid():
            try:
                imports.start_import(
                    request.user,
                    job,
                    form.mapping(),
                    form.options(),
                    save_mapping_as=form.cleaned_data["save_mapping_as"],
                )
            except ValidationError as error:
                apply_form_errors(form, error)
            else:
                return redirect("campaigns:import_detail", job.pk)
        status = 422
    context.update(
        preview=preview,
        form=form,
        saved_mappings=_saved_mappings(request, company_id),
        chosen_mapping=saved,
        delimiter_label=DELIMITER_LABELS.get(job.delimiter, job.delimiter),
    )
    return render(request, "campaigns/import_detail.html", context, status=status)


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled every second while the import runs; when it ends, the page
    reloads to show the report."""
    job = access(ImportJob, request.user, pk, VIEW)
    progress = job_progress(job)
    response = render(
        request,
        "campaigns/import_progress.html",
        {"progress": progress, "progress_url": reverse("campaigns:import_progress", args=[pk])},
    )
    if progress.is_finished:
        response["HX-Refresh"] = "true"
    return response


def problems_download(job: Any, name: str) -> HttpResponse:
    response = StreamingHttpResponse(problems_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The import's problems as CSV (invalid rows, warnings, duplicates, scrubbed numbers)."""
    job = access(ImportJob, request.user, pk, VIEW)
    return problems_download(job, f"import-{job.pk}-problems.csv")


urlpatterns = [
    path("lists/<int:list_pk>/import/", import_start, name="import_start"),
    path("imports/<int:pk>/", import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", import_progress, name="import_progress"),
    path("imports/<int:pk>/problems.csv", import_errors, name="import_errors"),
]
