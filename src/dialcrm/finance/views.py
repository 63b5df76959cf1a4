"""Screens of management finance: hourly costs, financial plans (with their product targets and
progress), and profitability with its charts."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from dialcrm.core.crud import (
    Column,
    ObjectFormView,
    ObjectListView,
    ObjectScreen,
    apply_form_errors,
)
from dialcrm.core.policy import CHANGE, DELETE, VIEW, access, can
from dialcrm.dialer.choices import AgentState
from dialcrm.finance import services
from dialcrm.finance.choices import Grouping
from dialcrm.finance.forms import (
    FinancialPlanForm,
    HourlyCostForm,
    PlanTargetForm,
    ProfitabilityForm,
)
from dialcrm.finance.models import FinancialPlan, HourlyCost, PlanTarget


class HourlyCostList(ObjectListView):
    model = HourlyCost
    url_prefix = "finance:hourlycost"
    columns = [
        Column(gettext_lazy("Role"), "role"),
        Column(gettext_lazy("Agent level"), "level"),
        Column(gettext_lazy("Cost per hour"), "amount"),
        Column(gettext_lazy("Currency"), "currency"),
        Column(gettext_lazy("Valid from"), "valid_from"),
        Column(gettext_lazy("Valid until"), "valid_until"),
    ]
    filters = ("role", "currency")

    def filter_choices(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "role",
                "label": _("Role"),
                "value": self.request.GET.get("role", ""),
                "options": HourlyCost._meta.get_field("role").choices,
            }
        ]


class HourlyCostEdit(ObjectFormView):
    model = HourlyCost
    url_prefix = "finance:hourlycost"
    form_class = HourlyCostForm

    def save(self, form: Any, instance: Any) -> Any:
        return services.save_hourly_cost(self.request.user, instance, form.cleaned_values())


class PlanList(ObjectListView):
    model = FinancialPlan
    url_prefix = "finance:plan"
    columns = [
        Column(gettext_lazy("Campaign"), "campaign"),
        Column(gettext_lazy("Starts on"), "starts_on"),
        Column(gettext_lazy("Ends on"), "ends_on"),
        Column(gettext_lazy("Target hours"), "target_hours"),
        Column(gettext_lazy("Note"), "note"),
    ]
    search_fields = ("campaign__name", "note")
    detail_url_name = "finance:plan_edit"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("campaign")


class PlanEdit(ObjectFormView):
    """A plan's dates and hours, its product targets and, once begun, its progress."""

    model = FinancialPlan
    url_prefix = "finance:plan"
    form_class = FinancialPlanForm
    template_name = "finance/plan_form.html"

    def get_object(self, pk: int | None) -> Any:
        if pk is None:
            return super().get_object(pk)
        # A plan is seen by location managers too; changing it is refused when it is saved.
        return access(FinancialPlan, self.request.user, pk, VIEW)

    def get_form(self, instance: Any, data: Any = None) -> Any:
        form = super().get_form(instance, data)
        if instance.pk is not None and data is None:
            # Shown as it stands when it may not change (begun, or seen by a location manager).
            fixed = instance.has_begun() or not can(self.request.user, CHANGE, instance)
            for field in form.fields.values():
                field.disabled = fixed
        return form

    def save(self, form: Any, instance: Any) -> Any:
        return services.save_plan(self.request.user, instance, form.cleaned_values())

    def success_url(self, saved: Any) -> str:
        return self.url("edit", saved.pk)

    def context(self, **extra: Any) -> dict[str, Any]:
        context = super().context(**extra)
        plan = extra.get("object")
        if plan is None or plan.pk is None:
            return context
        user = self.request.user
        begun = plan.has_begun()
        may_change = can(user, CHANGE, plan) and not begun
        context.update(
            begun=begun,
            may_change=may_change,
            targets=plan.targets.select_related("product").order_by("product__name"),
            progress=services.plan_progress(plan) if begun else None,
            delete_url=self.url("delete", plan.pk) if may_change else None,
        )
        if may_change:
            context["target_form"] = extra.get("target_form") or PlanTargetForm(
                user=user, plan=plan
            )
        return context


class PlanDelete(ObjectScreen):
    model = FinancialPlan
    url_prefix = "finance:plan"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = access(FinancialPlan, request.user, pk, DELETE)
        try:
            services.delete_plan(request.user, plan)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(self.url("edit", pk))
        messages.success(request, _("Deleted the plan %(plan)s.") % {"plan": plan})
        return redirect(self.url("list"))


class PlanTargetAdd(ObjectScreen):
    """Adds a product target from the plan's page."""

    model = PlanTarget
    url_prefix = "finance:plan"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = access(FinancialPlan, request.user, pk, CHANGE)
        form = PlanTargetForm(request.POST, user=request.user, plan=plan)
        if form.is_valid():
            try:
                services.add_plan_target(request.user, plan, form.cleaned_values())
            except ValidationError as error:
                apply_form_errors(form, error)
            else:
                messages.success(request, _("Target added."))
                return redirect(self.url("edit", pk))
        view = PlanEdit()
        view.setup(request, pk=pk)
        return view.render_form(view.get_form(plan), plan, status=422, target_form=form)


class PlanTargetRemove(ObjectScreen):
    model = PlanTarget
    url_prefix = "finance:plan"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, target_pk: int) -> HttpResponse:
        target = access(PlanTarget, request.user, target_pk, DELETE)
        if target.plan_id != pk:
            raise PermissionDenied(_("This target belongs to another plan."))
        try:
            services.remove_plan_target(request.user, target)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Target removed."))
        return redirect(self.url("edit", pk))


class ProfitabilityView(LoginRequiredMixin, View):
    """Hours, cost, sales, revenue, profit and plan progress, filtered, with charts."""

    template_name = "finance/profitability.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not services.may_see_profitability(user):
            raise PermissionDenied(_("You may not see costs and profit."))
        today = services.today_for(user)
        data = request.GET if "since" in request.GET else None
        form = ProfitabilityForm(data, user=user, today=today.first_day)
        result = None
        status = 200
        if data is None:
            result = services.profitability(user, today)
        elif form.is_valid():
            chosen = form.cleaned_data
            try:
                period = services.Period(chosen["since"], chosen["until"], today.time_zone)
                result = services.profitability(
                    user,
                    period,
                    chosen["group_by"],
                    services.Filters(
                        **{
                            name: chosen[name].pk if chosen[name] else None
                            for name in ("campaign", "location", "team", "agent")
                        }
                    ),
                    chosen["currency"],
                )
            except ValidationError as error:
                apply_form_errors(form, error)
        if result is None:
            status = 422
        day = today.first_day
        keep = {"group_by": request.GET.get("group_by", Grouping.CAMPAIGN)}
        keep["currency"] = request.GET.get("currency", "RON")
        context = {
            "title": _("Profitability"),
            "ranges": [
                (label, urlencode({"since": since, "until": day, **keep}))
                for label, since in (
                    (_("Today"), day),
                    (_("This week"), day - datetime.timedelta(days=day.weekday())),
                    (_("This month"), day.replace(day=1)),
                )
            ],
            "form": form,
            "result": result,
            "group_label": Grouping(result.group_by).label if result else "",
            "chart_data": {
                "figures": result.as_dict() if result else None,
                "labels": {
                    "talk": str(AgentState.ON_CALL.label),
                    "wrap_up": str(AgentState.WRAP_UP.label),
                    "waiting": _("Waiting"),
                    "paused": str(AgentState.PAUSED.label),
                    "labour_cost": _("Labour cost"),
                    "revenue": _("Revenue"),
                    "profit": _("Profit"),
                    "hours": _("Hours"),
                    "done": _("Done"),
                    "planned": _("Planned"),
                    "forecast": _("Forecast"),
                },
            },
        }
        return render(request, self.template_name, context, status=status)


app_name = "finance"
urlpatterns = [
    path("profitability/", ProfitabilityView.as_view(), name="profitability"),
    path("hourly-costs/", HourlyCostList.as_view(), name="hourlycost_list"),
    path("hourly-costs/add/", HourlyCostEdit.as_view(), name="hourlycost_add"),
    path("hourly-costs/<int:pk>/", HourlyCostEdit.as_view(), name="hourlycost_edit"),
    path("plans/", PlanList.as_view(), name="plan_list"),
    path("plans/add/", PlanEdit.as_view(), name="plan_add"),
    path("plans/<int:pk>/", PlanEdit.as_view(), name="plan_edit"),
    path("plans/<int:pk>/delete/", PlanDelete.as_view(), name="plan_delete"),
    path("plans/<int:pk>/targets/", PlanTargetAdd.as_view(), name="plan_target_add"),
    path(
        "plans/<int:pk>/targets/<int:target_pk>/remove/",
        PlanTargetRemove.as_view(),
        name="plan_target_remove",
    ),
]
