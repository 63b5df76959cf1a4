"""Screens of the reports: the list of reports, each report (filters, chart, table, exports),
and the scheduled reports with their deliveries."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from dialcrm.core.crud import Column, ObjectDeactivateView, ObjectFormView, ObjectListView
from dialcrm.core.policy import VIEW
from dialcrm.reports import services
from dialcrm.reports.choices import ExportFormat
from dialcrm.reports.definitions import REPORTS, may_see_reports, reports_for
from dialcrm.reports.exports import export
from dialcrm.reports.filters import time_zone_of
from dialcrm.reports.forms import ReportScheduleForm
from dialcrm.reports.models import ReportDelivery, ReportSchedule


class ReportIndex(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not may_see_reports(request.user):
            raise PermissionDenied(_("You may not see reports."))
        return render(
            request,
            "reports/index.html",
            {"title": _("Reports"), "reports": reports_for(request.user)},
        )


class ReportScreen(LoginRequiredMixin, View):
    """A report on screen: its filters, a chart and the table, with its exports."""

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        report = services.report_for(request.user, slug)
        form = services.filter_form(request.user, report, request.GET)
        result = report.run(request.user, form.report_filters()) if form.is_valid() else None
        query = form.data.urlencode()
        return render(
            request,
            "reports/report.html",
            {
                "title": report.title,
                "report": report,
                "form": form,
                "result": result,
                "query": query,
                "formats": ExportFormat.choices,
                "schedule_url": reverse("reports:schedule_add") + f"?report={slug}&{query}",
            },
            status=200 if result is not None else 422,
        )


class ReportExport(LoginRequiredMixin, View):
    """A report as a file (`?format=csv|xlsx|pdf|json` and the report's filters)."""

    def get(self, request: HttpRequest, slug: str, export_format: str) -> HttpResponse:
        if export_format not in ExportFormat.values:
            raise Http404(_("Reports are exported as CSV, XLSX, PDF or JSON."))
        try:
            result = services.run_report(request.user, slug, request.GET)
        except ValidationError:
            return ReportScreen.as_view()(request, slug=slug)
        file = export(result, export_format)
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.name}"'
        return response


class ScheduleList(ObjectListView):
    model = ReportSchedule
    url_prefix = "reports:schedule"
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Report"), "report_title"),
        Column(gettext_lazy("How often"), "frequency"),
        Column(gettext_lazy("At (local time)"), "send_at"),
        Column(gettext_lazy("Next delivery"), "next_run_at"),
        Column(gettext_lazy("Owner"), "owner"),
    ]
    search_fields = ("name", "recipients")

    def context(self, **extra: Any) -> dict[str, Any]:
        # A schedule is made from a report's screen, with that report's filters.
        return {**super().context(**extra), "add_url": None}


class ScheduleEdit(ObjectFormView):
    model = ReportSchedule
    url_prefix = "reports:schedule"
    form_class = ReportScheduleForm
    template_name = "reports/schedule_form.html"

    def get_form(self, instance: Any, data: Any = None) -> Any:
        form = super().get_form(instance, data)
        if instance.pk is None and data is None:
            slug = self.request.GET.get("report", "")
            report = REPORTS.get(slug)
            form.initial.setdefault("name", str(report.title) if report else "")
            form.initial.setdefault("recipients", self.request.user.email)
            form.initial.setdefault("time_zone", time_zone_of(self.request.user))
        return form

    def save(self, form: Any, instance: Any) -> Any:
        values = form.cleaned_values()
        if instance.pk is None:
            values["report"] = self.request.GET.get("report", "")
            filters = self.request.GET.copy()
            filters.pop("report", None)
            return services.save_schedule(self.request.user, instance, values, filters)
        return services.save_schedule(self.request.user, instance, values)

    def context(self, **extra: Any) -> dict[str, Any]:
        context = super().context(**extra)
        schedule = extra.get("object")
        if schedule is not None and schedule.pk:
            context["deliveries"] = ReportDelivery.objects.for_user(self.request.user, VIEW).filter(
                schedule=schedule
            )[:20]
        else:
            slug = self.request.GET.get("report", "")
            context["report"] = services.report_for(self.request.user, slug)
        return context


class ScheduleDeactivate(ObjectDeactivateView):
    model = ReportSchedule
    url_prefix = "reports:schedule"


app_name = "reports"
urlpatterns = [
    path("", ReportIndex.as_view(), name="index"),
    path("schedules/", ScheduleList.as_view(), name="schedule_list"),
    path("schedules/add/", ScheduleEdit.as_view(), name="schedule_add"),
    path("schedules/<int:pk>/", ScheduleEdit.as_view(), name="schedule_edit"),
    path(
        "schedules/<int:pk>/deactivate/",
        ScheduleDeactivate.as_view(),
        name="schedule_deactivate",
    ),
    path("<slug:slug>/", ReportScreen.as_view(), name="report"),
    path(
        "<slug:slug>/export.<str:export_format>",
        ReportExport.as_view(),
        name="export",
    ),
]
