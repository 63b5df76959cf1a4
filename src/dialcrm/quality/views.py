"""Screens of quality review: the queue, a sale's review (confirmation call, corrections,
decision, score), the call's recording, the agent's own sales with the fix-and-resubmit form,
the scorecards and the score averages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dialcrm.campaigns.models import Campaign
from dialcrm.campaigns.worksheets import answers_from_form, render_groups
from dialcrm.core.crud import (
    Column,
    ObjectDeactivateView,
    ObjectFormView,
    ObjectListView,
    apply_form_errors,
)
from dialcrm.core.policy import CHANGE
from dialcrm.desk.choices import SaleState
from dialcrm.desk.models import Sale
from dialcrm.quality import services
from dialcrm.quality.forms import (
    ConfirmationForm,
    DecisionForm,
    LinesForm,
    QueueFilterForm,
    ResubmitForm,
    ScoreCriterionForm,
    ScoreForm,
)
from dialcrm.quality.models import ScoreCriterion
from dialcrm.quality.review import RECORDING_TYPES, recording_file, review_card

PAGE_SIZE = 25


# --- the queue ---------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Sales waiting for a decision, oldest first, with counts by campaign and location."""
    form = QueueFilterForm(request.GET or None, user=request.user)
    narrowed = form.narrowed() if form.is_bound and form.is_valid() else services.QueueFilter()
    sales = services.review_queue(request.user, narrowed)
    if form.is_bound and not form.is_valid():
        sales = sales.none()
    page = Paginator(sales, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": _("Quality review"),
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "counts": services.queue_counts(request.user, narrowed),
        "may_review": services.may_review(request.user),
    }
    return render(request, "quality/queue.html", context)


# --- a sale's review ---------------------------------------------------------------------------


def _sheet_groups(sale: Sale, answers: Any = None, errors: Any = None) -> list[Any]:
    version = sale.disposition.sheet_version
    if version is None:
        return []
    return render_groups(version.definition, answers or sale.disposition.answers, errors)


def _answer_errors(error: ValidationError) -> dict[str, list[str]]:
    if not hasattr(error, "error_dict"):
        return {}
    return {
        key.removeprefix("answers."): messages
        for key, messages in error.message_dict.items()
        if key.startswith("answers.")
    }


def _review_page(request: HttpRequest, sale: Sale, status: int = 200, **forms: Any) -> HttpResponse:
    card = review_card(sale, request.user)
    may_act = card["may_review"] and card["is_open"]
    criteria = services.scorecard(sale.campaign_id)
    score = card["score"]
    initial_points = (
        {f"criterion_{row['criterion_id']}": row["points"] for row in score["points"]}
        if score
        else {}
    )
    context = {
        "title": _("Review of sale #%(id)d") % {"id": sale.pk},
        "sale": sale,
        "card": card,
        "may_act": may_act,
        "may_cancel": card["may_review"] and sale.state == SaleState.REJECTED,
        "may_score": card["may_review"],
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "confirmation_form": forms.get("confirmation_form") or ConfirmationForm(),
        "groups": forms.get("groups") or _sheet_groups(sale),
        "lines_form": forms.get("lines_form") or LinesForm(sale=sale),
        "score_form": forms.get("score_form")
        or ScoreForm(
            criteria=criteria, initial={**initial_points, "comment": score and score["comment"]}
        ),
        "has_criteria": bool(criteria),
        "may_manage_scorecards": services.may_manage_scorecards(request.user),
    }
    return render(request, "quality/review.html", context, status=status)


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, services.access_sale(request.user, pk))


DECISIONS: dict[str, Callable[[Any, int, str], Sale]] = {
    "accept": services.accept_sale,
    "reject": services.reject_sale,
    "cancel": services.cancel_sale,
}
DECIDED = {
    "accept": gettext_lazy("Sale #%(id)d accepted: it counts toward the objective."),
    "reject": gettext_lazy("Sale #%(id)d returned to %(agent)s."),
    "cancel": gettext_lazy("Sale #%(id)d cancelled."),
}


@login_required
@require_POST
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Accept, return to the agent (reject) or cancel."""
    sale = services.access_sale(request.user, pk, CHANGE)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _review_page(request, sale, 422, decision_form=form)
    try:
        decided = DECISIONS[decision](request.user, pk, form.cleaned_data["reason"])
    except services.Refused as refusal:
        messages.error(request, str(refusal))
        return redirect("quality:review", pk)
    except ValidationError as error:
        apply_form_errors(form, error)
        return _review_page(request, sale, 422, decision_form=form)
    messages.success(request, DECIDED[decision] % {"id": decided.pk, "agent": decided.agent})
    return redirect("quality:queue")


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the call to the beneficiary."""
    sale = services.access_sale(request.user, pk, CHANGE)
    form = ConfirmationForm(request.POST)
    if form.is_valid():
        try:
            services.record_confirmation(
                request.user, pk, form.cleaned_data["outcome"], form.cleaned_data["note"]
            )
        except services.Refused as refusal:
            messages.error(request, str(refusal))
        except ValidationError as error:
            apply_form_errors(form, error)
            return _review_page(request, sale, 422, confirmation_form=form)
        else:
            messages.success(request, _("Confirmation call recorded."))
        return redirect("quality:review", pk)
    return _review_page(request, sale, 422, confirmation_form=form)


def _posted_changes(request: HttpRequest, sale: Sale) -> tuple[dict[str, Any] | None, LinesForm]:
    version = sale.disposition.sheet_version
    answers = answers_from_form(version, request.POST) if version is not None else None
    return answers, LinesForm(request.POST, sale=sale)


@login_required
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """A reviewer's corrections of the work sheet and the products, each change tracked."""
    sale = services.access_sale(request.user, pk, CHANGE)
    answers, lines_form = _posted_changes(request, sale)
    if lines_form.is_valid():
        try:
            changes = services.correct_sale(
                request.user, pk, answers=answers, lines=lines_form.lines()
            )
        except services.Refused as refusal:
            messages.error(request, str(refusal))
        except ValidationError as error:
            apply_form_errors(lines_form, ValidationError(error.message_dict.get("lines", [])))
            groups = _sheet_groups(sale, answers, _answer_errors(error))
            return _review_page(request, sale, 422, groups=groups, lines_form=lines_form)
        else:
            messages.success(
                request,
                _("%(count)d change(s) recorded.") % {"count": len(changes)}
                if changes
                else _("Nothing was changed."),
            )
        return redirect("quality:review", pk)
    return _review_page(
        request, sale, 422, groups=_sheet_groups(sale, answers), lines_form=lines_form
    )


@login_required
@require_POST
def score(request: HttpRequest, pk: int) -> HttpResponse:
    """Score the sale's call on the campaign's scorecard."""
    sale = services.access_sale(request.user, pk, CHANGE)
    form = ScoreForm(request.POST, criteria=services.scorecard(sale.campaign_id))
    if form.is_valid():
        try:
            scored = services.score_call(
                request.user, pk, form.points(), form.cleaned_data["comment"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Call scored %(total)s%%.") % {"total": scored.total})
            return redirect("quality:review", pk)
    return _review_page(request, sale, 422, score_form=form)


@login_required
def recording(request: HttpRequest, pk: int) -> FileResponse:
    """The sale's call recording, for those who may see the sale."""
    sale = services.access_sale(request.user, pk)
    path = recording_file(sale)
    if path is None:
        raise Http404(_("This call has no recording."))
    return FileResponse(path.open("rb"), content_type=RECORDING_TYPES.get(path.suffix, ""))


# --- the agent's sales --------------------------------------------------------------------------


@login_required
def my_sales(request: HttpRequest) -> HttpResponse:
    """The agent's own sales with their review state; returned ones first in the filter."""
    sales = services.my_sales(request.user)
    state = request.GET.get("state", "")
    if state in SaleState.values:
        sales = sales.filter(state=state)
    page = Paginator(sales, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "sale": sale,
            "reason": services.return_reason(sale) if sale.state == SaleState.REJECTED else "",
        }
        for sale in page.object_list
    ]
    context = {
        "title": _("My sales"),
        "page": page,
        "rows": rows,
        "query": f"state={state}" if state in SaleState.values else "",
        "counts": services.my_sale_counts(request.user),
        "states": SaleState.choices,
        "state": state,
    }
    return render(request, "quality/my_sales.html", context)


def _my_sale_page(
    request: HttpRequest, sale: Sale, status: int = 200, **forms: Any
) -> HttpResponse:
    card = review_card(sale, request.user)
    is_returned = sale.state == SaleState.REJECTED
    context = {
        "title": _("My sale #%(id)d") % {"id": sale.pk},
        "sale": sale,
        "card": card,
        "reason": services.return_reason(sale) if is_returned else "",
        "is_returned": is_returned,
        "groups": forms.get("groups") or _sheet_groups(sale),
        "lines_form": forms.get("lines_form") or LinesForm(sale=sale),
        "resubmit_form": forms.get("resubmit_form") or ResubmitForm(),
    }
    return render(request, "quality/my_sale.html", context, status=status)


@login_required
def my_sale(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the agent's sales; a returned one with the form to fix and resubmit it."""
    sale = services.access_my_sale(request.user, pk)
    if request.method != "POST":
        return _my_sale_page(request, sale)
    answers, lines_form = _posted_changes(request, sale)
    resubmit_form = ResubmitForm(request.POST)
    if lines_form.is_valid() and resubmit_form.is_valid():
        try:
            services.resubmit_sale(
                request.user,
                pk,
                answers=answers,
                lines=lines_form.lines(),
                note=resubmit_form.cleaned_data["note"],
            )
        except services.Refused as refusal:
            messages.error(request, str(refusal))
            return redirect("quality:my_sale", pk)
        except ValidationError as error:
            apply_form_errors(lines_form, ValidationError(error.message_dict.get("lines", [])))
            return _my_sale_page(
                request,
                sale,
                422,
                groups=_sheet_groups(sale, answers, _answer_errors(error)),
                lines_form=lines_form,
                resubmit_form=resubmit_form,
            )
        messages.success(request, _("Sale #%(id)d resubmitted for review.") % {"id": sale.pk})
        return redirect("quality:my_sales")
    return _my_sale_page(
        request,
        sale,
        422,
        groups=_sheet_groups(sale, answers),
        lines_form=lines_form,
        resubmit_form=resubmit_form,
    )


# --- scorecards -------------------------------------------------------------------------------


class CriterionList(ObjectListView):
    """The scorecards: each campaign's weighted criteria."""

    model = ScoreCriterion
    url_prefix = "quality:criterion"
    title = gettext_lazy("Scorecards")
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Campaign"), "campaign"),
        Column(gettext_lazy("Weight"), "weight"),
        Column(gettext_lazy("Position"), "position"),
    ]
    search_fields = ("name", "campaign__name")
    filters = ("campaign",)

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("campaign")

    def filter_choices(self) -> list[dict[str, Any]]:
        campaigns = Campaign.objects.for_user(self.request.user).order_by("name")
        return [
            {
                "name": "campaign",
                "label": _("Campaign"),
                "options": [(str(campaign.pk), campaign.name) for campaign in campaigns],
                "value": self.request.GET.get("campaign", ""),
            }
        ]


class CriterionEdit(ObjectFormView):
    model = ScoreCriterion
    url_prefix = "quality:criterion"
    form_class = ScoreCriterionForm


class CriterionDeactivate(ObjectDeactivateView):
    model = ScoreCriterion
    url_prefix = "quality:criterion"


@login_required
def scores(request: HttpRequest) -> HttpResponse:
    """Average scores of agents and teams, for a campaign or all."""
    campaigns = Campaign.objects.for_user(request.user).order_by("name")
    chosen = request.GET.get("campaign", "")
    campaign_id = int(chosen) if chosen.isdigit() and campaigns.filter(pk=chosen).exists() else None
    context = {
        "title": _("Quality scores"),
        "averages": services.score_averages(request.user, campaign_id),
        "campaigns": campaigns,
        "campaign_id": campaign_id,
    }
    return render(request, "quality/scores.html", context)
