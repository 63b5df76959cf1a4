"""Actions of quality review: the queue, the review of a sale (a confirmation call, corrections
tracked field by field), the decisions (accept, reject and return to the agent, cancel), the
agent's resubmission, scorecards and the scores of reviewed calls.

A sale moves only along these steps (anything else is refused with `Refused`, and nothing is
written):

    pending ──accept──> accepted              (counts toward the campaign's objective)
    pending ──reject──> rejected ──resubmit──> resubmitted ──accept / reject / cancel──> ...
    pending / resubmitted / rejected ──cancel──> cancelled

Each decision is one function that checks who may take it, writes the sale, its review step and
the audit entries in one transaction, so the screens, the API and any caller behave alike.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dialcrm.campaigns.worksheets import DEFAULT_PHONE_COUNTRY, fields_of, validate_answers
from dialcrm.core.choices import Role
from dialcrm.core.policy import CHANGE, VIEW, access, can, may
from dialcrm.desk.choices import SaleState
from dialcrm.desk.models import Sale, SaleLine
from dialcrm.desk.services import MAX_QUANTITY, ProductLine, sellable_products
from dialcrm.quality.choices import AgeFilter, ConfirmationOutcome, ReviewStepKind
from dialcrm.quality.models import (
    MAX_POINTS,
    CallScore,
    ReviewStep,
    SaleCorrection,
    ScoreCriterion,
)
from dialcrm.webhooks import services as webhooks

MAX_REASON_LENGTH = 2000
# The sales a reviewer decides on: new ones and those the agent fixed.
REVIEWABLE = frozenset({SaleState.PENDING, SaleState.RESUBMITTED})
AGES = {
    AgeFilter.HOUR: datetime.timedelta(hours=1),
    AgeFilter.DAY: datetime.timedelta(days=1),
    AgeFilter.THREE_DAYS: datetime.timedelta(days=3),
    AgeFilter.WEEK: datetime.timedelta(days=7),
}


class Refused(Exception):
    """A step the sale's state does not allow (accepting a cancelled sale, resubmitting one that
    was not returned); the message says why."""


# --- who and what ------------------------------------------------------------------------------


def may_review(user: Any) -> bool:
    """Reviewers decide on sales: quality, managers and administrators, in their scope."""
    return may(user, CHANGE, Sale)


def may_follow_quality(user: Any) -> bool:
    """The queue and review screens are for everyone who sees sales except agents, who see their
    own sales on the desk (location managers and team leaders read, in their scope)."""
    return may(user, VIEW, Sale) and getattr(user, "role", None) != Role.AGENT


def _require_follower(user: Any) -> None:
    if not may_follow_quality(user):
        raise PermissionDenied(
            _("Quality review is for reviewers; agents find their sales under My sales.")
        )


def access_sale(user: Any, sale_id: Any, action: str = VIEW) -> Sale:
    """A sale for a reviewer (or a reader of quality): 404 out of scope, 403 not allowed."""
    _require_follower(user)
    return access(Sale, user, sale_id, action)


def _locked(sale: Sale) -> Sale:
    """The sale again, locked until the transaction ends: two decisions at once wait in turn."""
    return Sale.objects.select_for_update().get(pk=sale.pk)


def _check_state(sale: Sale, allowed: Iterable[str], step: str) -> None:
    if sale.state not in allowed:
        raise Refused(
            _("This sale cannot be %(step)s: it is %(state)s.")
            % {"step": step, "state": str(sale.get_state_display()).lower()}
        )


def _clean_text(value: Any, field: str, *, required: bool, what: str) -> str:
    text = value.replace("\x00", "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError({field: [what]})
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationError(
            {field: [_("At most %(limit)d characters.") % {"limit": MAX_REASON_LENGTH}]}
        )
    return text


# --- the queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """What the queue is narrowed to: a campaign, a location, a minimum waiting time."""

    campaign_id: int | None = None
    location_id: int | None = None
    age: str = ""

    def apply(self, sales: QuerySet[Sale], now: datetime.datetime) -> QuerySet[Sale]:
        if self.campaign_id is not None:
            sales = sales.filter(campaign_id=self.campaign_id)
        if self.location_id is not None:
            sales = sales.filter(campaign__location_id=self.location_id)
        if self.age:
            if self.age not in AGES:
                raise ValidationError({"age": [_("Choose one of the waiting times offered.")]})
            sales = sales.filter(created_at__lte=now - AGES[AgeFilter(self.age)])
        return sales


def review_queue(user: Any, narrowed: QueueFilter = QueueFilter()) -> QuerySet[Sale]:
    """The sales waiting for a decision that the user may see, oldest first."""
    _require_follower(user)
    sales = Sale.objects.for_user(user).filter(state__in=REVIEWABLE)
    return (
        narrowed.apply(sales, timezone.now())
        .select_related("campaign__location", "agent", "lead")
        .prefetch_related("lines__product")
        .order_by("created_at", "pk")
    )


def queue_counts(user: Any, narrowed: QueueFilter = QueueFilter()) -> dict[str, Any]:
    """How many sales wait, in all and by campaign and location, with each campaign's accepted
    sales against its objective."""
    queue = review_queue(user, narrowed).order_by()
    by_campaign = list(
        queue.values("campaign_id", "campaign__name", "campaign__objective_target")
        .annotate(waiting=Count("pk"))
        .order_by("campaign__name")
    )
    accepted = objective_progress(row["campaign_id"] for row in by_campaign)
    return {
        "total": sum(row["waiting"] for row in by_campaign),
        "campaigns": [
            {
                "id": row["campaign_id"],
                "name": row["campaign__name"],
                "waiting": row["waiting"],
                "accepted": accepted.get(row["campaign_id"], 0),
                "objective": row["campaign__objective_target"],
            }
            for row in by_campaign
        ],
        "locations": [
            {
                "id": row["campaign__location_id"],
                "name": row["campaign__location__name"],
                "waiting": row["waiting"],
            }
            for row in queue.values("campaign__location_id", "campaign__location__name")
            .annotate(waiting=Count("pk"))
            .order_by("campaign__location__name")
        ],
    }


def objective_progress(campaign_ids: Iterable[int]) -> dict[int, int]:
    """Each campaign's sales that count toward its objective: the accepted ones only (pending,
    returned and cancelled sales do not count)."""
    return dict(
        Sale.objects.filter(campaign_id__in=list(campaign_ids), state=SaleState.ACCEPTED)
        .values("campaign_id")
        .annotate(accepted=Count("*"))  # "*": the index alone answers
        .values_list("campaign_id", "accepted")
    )


# --- what the reviewer sees ----------------------------------------------------------------------


def review_history(sale: Sale) -> dict[str, list[Any]]:
    """The sale's review steps and corrections, oldest first."""
    return {
        "steps": list(
            ReviewStep.objects.filter(sale=sale).select_related("actor").order_by("created_at")
        ),
        "corrections": list(
            SaleCorrection.objects.filter(sale=sale)
            .select_related("actor")
            .order_by("created_at", "pk")
        ),
    }


def return_reason(sale: Sale) -> str:
    """Why the sale was last returned to the agent ("" if never)."""
    step = (
        ReviewStep.objects.filter(sale=sale, kind=ReviewStepKind.REJECTED)
        .order_by("-created_at")
        .first()
    )
    return step.note if step is not None else ""


# --- corrections -----------------------------------------------------------------------------


def _phone_country(sale: Sale) -> str:
    phone = sale.disposition.attempt.phone
    return (phone.country if phone is not None and phone.country else "") or DEFAULT_PHONE_COUNTRY


def _answer_changes(sale: Sale, answers: Mapping[str, Any]) -> dict[str, tuple[Any, Any, str]]:
    """The changed answers, checked as the back office defined the sheet: {key: (old, new,
    label)}."""
    version = sale.disposition.sheet_version
    if version is None:
        raise ValidationError({"answers": [_("This sale's campaign has no work sheet.")]})
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": [_("Send an object of field keys and values.")]})
    old = sale.disposition.answers or {}
    merged = {**old, **answers}
    try:
        cleaned = validate_answers(version, merged, country=_phone_country(sale))
    except ValidationError as error:
        raise ValidationError(
            {f"answers.{key}": messages for key, messages in error.message_dict.items()}
        ) from None
    labels = {spec.key: spec.label for spec in fields_of(version.definition)}
    return {
        key: (old.get(key), value, labels[key])
        for key, value in cleaned.items()
        if old.get(key) != value
    }


def _line_changes(sale: Sale, lines: Iterable[ProductLine]) -> dict[int, tuple[int, int, Any]]:
    """The changed quantities, checked against the products the campaign sells: {product id:
    (old, new, product)}; 0 means not in the sale."""
    offered = {product.pk: product for product in sellable_products(sale.campaign)}
    wanted: dict[int, int] = {}
    for line in lines:
        if line.product_id not in offered:
            raise ValidationError({"lines": [_("Choose products this campaign sells.")]})
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int):
            raise ValidationError({"lines": [_("Quantities are whole numbers.")]})
        if not 0 <= line.quantity <= MAX_QUANTITY:
            raise ValidationError(
                {"lines": [_("Give a quantity from 0 to %(limit)d.") % {"limit": MAX_QUANTITY}]}
            )
        wanted[line.product_id] = line.quantity
    current = {line.product_id: line for line in sale.lines.select_related("product")}
    products = {**{pk: line.product for pk, line in current.items()}, **offered}
    after = {pk: line.quantity for pk, line in current.items()}
    after.update(wanted)
    if not any(after.values()):
        raise ValidationError(
            {"lines": [_("A sale keeps at least one product; cancel the sale instead.")]}
        )
    return {
        pk: (current[pk].quantity if pk in current else 0, quantity, products[pk])
        for pk, quantity in wanted.items()
        if quantity != (current[pk].quantity if pk in current else 0)
    }


def _apply_changes(
    sale: Sale,
    actor: Any,
    answers: Mapping[str, Any] | None,
    lines: Iterable[ProductLine] | None,
) -> list[SaleCorrection]:
    """Check every change first, then write them with one correction row each."""
    answer_changes = _answer_changes(sale, answers) if answers else {}
    line_changes = _line_changes(sale, lines) if lines is not None else {}
    corrections = []
    if answer_changes:
        disposition = sale.disposition
        disposition.answers = {
            **(disposition.answers or {}),
            **{key: new for key, (_old, new, _label) in answer_changes.items()},
        }
        disposition.save(update_fields=["answers"])
        for key, (old, new, label) in answer_changes.items():
            corrections.append(
                SaleCorrection(
                    sale=sale,
                    actor=actor,
                    field=f"answers.{key}",
                    label=label,
                    old_value=old,
                    new_value=new,
                )
            )
    for product_id, (old, new, product) in line_changes.items():
        if new == 0:
            SaleLine.objects.filter(sale=sale, product_id=product_id).delete()
        else:
            SaleLine.objects.update_or_create(
                sale=sale, product_id=product_id, defaults={"quantity": new}
            )
        corrections.append(
            SaleCorrection(
                sale=sale,
                actor=actor,
                field=f"product.{product.code}",
                label=str(product.name),
                old_value=old,
                new_value=new,
            )
        )
    for correction in corrections:
        correction.save()  # one by one: each is audited
    return corrections


def correct_sale(
    reviewer: Any,
    sale_id: Any,
    *,
    answers: Mapping[str, Any] | None = None,
    lines: Iterable[ProductLine] | None = None,
) -> list[SaleCorrection]:
    """A reviewer corrects work sheet answers and product quantities of a sale waiting for a
    decision; each change is recorded (before, after, who, when). Returns the changes."""
    sale = access_sale(reviewer, sale_id, CHANGE)
    with transaction.atomic():
        sale = _locked(sale)
        _check_state(sale, REVIEWABLE, _("corrected"))
        return _apply_changes(sale, reviewer, answers, lines)


def record_confirmation(reviewer: Any, sale_id: Any, outcome: str, note: str = "") -> ReviewStep:
    """The reviewer called the beneficiary to confirm the sale: how it went, and a note."""
    sale = access_sale(reviewer, sale_id, CHANGE)
    if outcome not in ConfirmationOutcome.values:
        raise ValidationError({"outcome": [_("Say how the call went.")]})
    text = _clean_text(note, "note", required=False, what="")
    with transaction.atomic():
        sale = _locked(sale)
        _check_state(sale, REVIEWABLE, _("confirmed"))
        step = ReviewStep(
            sale=sale,
            actor=reviewer,
            kind=ReviewStepKind.CONFIRMATION,
            from_state=sale.state,
            to_state=sale.state,
            outcome=outcome,
            note=text,
        )
        step.save()
    return step


# --- decisions ---------------------------------------------------------------------------------


def _move(sale: Sale, actor: Any, kind: str, to_state: str, note: str) -> Sale:
    step = ReviewStep(
        sale=sale, actor=actor, kind=kind, from_state=sale.state, to_state=to_state, note=note
    )
    sale.state = to_state
    sale.save()
    step.save()
    return sale


def accept_sale(reviewer: Any, sale_id: Any, note: str = "") -> Sale:
    """Accept a sale waiting for a decision: from now on it counts toward the campaign's
    objective, in finance and in reports."""
    sale = access_sale(reviewer, sale_id, CHANGE)
    text = _clean_text(note, "note", required=False, what="")
    with transaction.atomic():
        sale = _locked(sale)
        _check_state(sale, REVIEWABLE, _("accepted"))
        sale = _move(sale, reviewer, ReviewStepKind.ACCEPTED, SaleState.ACCEPTED, text)
        webhooks.sale_accepted(sale, reviewer)
        return sale


def reject_sale(reviewer: Any, sale_id: Any, reason: str) -> Sale:
    """Return a sale waiting for a decision to its agent, with the reason: they see it on their
    desk, fix it and resubmit it."""
    sale = access_sale(reviewer, sale_id, CHANGE)
    text = _clean_text(reason, "reason", required=True, what=_("Say what the agent must fix."))
    with transaction.atomic():
        sale = _locked(sale)
        _check_state(sale, REVIEWABLE, _("returned to the agent"))
        sale = _move(sale, reviewer, ReviewStepKind.REJECTED, SaleState.REJECTED, text)
        webhooks.sale_rejected(sale, reviewer, text)
        return sale


def cancel_sale(reviewer: Any, sale_id: Any, reason: str) -> Sale:
    """Cancel a sale that is not accepted (the beneficiary refused, a duplicate...): final."""
    sale = access_sale(reviewer, sale_id, CHANGE)
    text = _clean_text(reason, "reason", required=True, what=_("Say why the sale is cancelled."))
    with transaction.atomic():
        sale = _locked(sale)
        _check_state(sale, REVIEWABLE | {SaleState.REJECTED}, _("cancelled"))
        return _move(sale, reviewer, ReviewStepKind.CANCELLED, SaleState.CANCELLED, text)


# --- the agent's side ---------------------------------------------------------------------------


def my_sales(agent: Any) -> QuerySet[Sale]:
    """The agent's own sales, newest first."""
    if getattr(agent, "role", None) != Role.AGENT:
        raise PermissionDenied(_("My sales are an agent's own sales."))
    return (
        Sale.objects.filter(agent=agent)
        .select_related("campaign", "lead")
        .prefetch_related("lines__product")
        .order_by("-created_at", "-pk")
    )


def my_sale_counts(agent: Any) -> dict[str, int]:
    """How many of the agent's sales are in each state."""
    counts = dict(
        my_sales(agent).order_by().values("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    return {state: counts.get(state, 0) for state in SaleState.values}


def access_my_sale(agent: Any, sale_id: Any) -> Sale:
    """One of the agent's own sales; "not found" for anyone else's."""
    key = str(sale_id).strip()
    sale = my_sales(agent).filter(pk=int(key)).first() if key.isdigit() else None
    if sale is None:
        raise Http404(_("No such sale of yours."))
    return sale


def resubmit_sale(
    agent: Any,
    sale_id: Any,
    *,
    answers: Mapping[str, Any] | None = None,
    lines: Iterable[ProductLine] | None = None,
    note: str = "",
) -> Sale:
    """The agent fixes a sale returned to them (answers, products: each change recorded) and
    sends it back to the review queue, with a note for the reviewer."""
    sale = access_my_sale(agent, sale_id)
    text = _clean_text(note, "note", required=False, what="")
    with transaction.atomic():
        sale = _locked(sale)
        _check_state(sale, {SaleState.REJECTED}, _("resubmitted"))
        _apply_changes(sale, agent, answers, lines)
        return _move(sale, agent, ReviewStepKind.RESUBMITTED, SaleState.RESUBMITTED, text)


# --- scorecards ----------------------------------------------------------------------------------


def scorecard(campaign_id: int) -> list[ScoreCriterion]:
    """The campaign's active criteria, in order."""
    return list(
        ScoreCriterion.objects.filter(campaign_id=campaign_id, is_active=True).order_by(
            "position", "name"
        )
    )


def weighted_total(points: Iterable[tuple[int, int]]) -> Decimal:
    """(weight, points) pairs as a percentage of the most they could give."""
    pairs = list(points)
    most = sum(weight * MAX_POINTS for weight, _points in pairs)
    if not most:
        return Decimal("0.00")
    given = sum(weight * value for weight, value in pairs)
    return (Decimal(100) * given / most).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def score_call(
    reviewer: Any, sale_id: Any, points: Mapping[Any, Any], comment: str = ""
) -> CallScore:
    """Score the call of a sale on its campaign's scorecard: every criterion 0 to 10; scoring
    again replaces the score (the audit log keeps the earlier one)."""
    sale = access_sale(reviewer, sale_id, CHANGE)
    criteria = scorecard(sale.campaign_id)
    if not criteria:
        raise ValidationError(
            {"points": [_("This campaign has no scorecard yet: add its criteria first.")]}
        )
    if not isinstance(points, Mapping):
        raise ValidationError({"points": [_("Send an object of criterion ids and points.")]})
    given = {str(key): value for key, value in points.items()}
    errors: dict[str, list[str]] = {}
    rows = []
    for criterion in criteria:
        value = given.pop(str(criterion.pk), None)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POINTS:
            errors[f"points.{criterion.pk}"] = [
                _("Give %(name)s 0 to %(most)d points.")
                % {"name": criterion.name, "most": MAX_POINTS}
            ]
            continue
        rows.append(
            {
                "criterion_id": criterion.pk,
                "name": criterion.name,
                "weight": criterion.weight,
                "points": value,
            }
        )
    for key in given:
        errors[f"points.{key[:20]}"] = [_("Not a criterion of this campaign's scorecard.")]
    text = _clean_text(comment, "comment", required=False, what="")
    if errors:
        raise ValidationError(errors)
    total = weighted_total((row["weight"], row["points"]) for row in rows)
    with transaction.atomic():
        score = CallScore.objects.filter(sale=sale).first() or CallScore(sale=sale)
        score.reviewer = reviewer
        score.points = rows
        score.total = total
        score.comment = text
        score.save()
    return score


def score_averages(user: Any, campaign_id: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """The average score of each agent and each team over the scored calls the user may see."""
    if not may(user, VIEW, CallScore) or getattr(user, "role", None) == Role.AGENT:
        raise PermissionDenied(_("Score averages are for reviewers and supervisors."))
    scores = CallScore.objects.for_user(user)
    if campaign_id is not None:
        scores = scores.filter(sale__campaign_id=campaign_id)
    agents = (
        scores.values(
            "sale__agent_id",
            "sale__agent__first_name",
            "sale__agent__last_name",
            "sale__agent__username",
            "sale__agent__team__name",
        )
        .annotate(average=Avg("total"), calls=Count("pk"))
        .order_by("-average", "sale__agent__username")
    )
    teams = (
        scores.values("sale__agent__team_id", "sale__agent__team__name")
        .annotate(
            average=Avg("total"), calls=Count("pk"), agents=Count("sale__agent", distinct=True)
        )
        .order_by("-average", "sale__agent__team__name")
    )
    return {
        "agents": [
            {
                "agent_id": row["sale__agent_id"],
                "name": " ".join(
                    part
                    for part in (row["sale__agent__first_name"], row["sale__agent__last_name"])
                    if part
                )
                or row["sale__agent__username"],
                "team": row["sale__agent__team__name"] or "",
                "average": _percent(row["average"]),
                "calls": row["calls"],
            }
            for row in agents
        ],
        "teams": [
            {
                "team_id": row["sale__agent__team_id"],
                "name": row["sale__agent__team__name"] or _("No team"),
                "average": _percent(row["average"]),
                "calls": row["calls"],
                "agents": row["agents"],
            }
            for row in teams
        ],
    }


def _percent(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def may_manage_scorecards(user: Any) -> bool:
    return may(user, CHANGE, ScoreCriterion)


def can_review(user: Any, sale: Sale) -> bool:
    return can(user, CHANGE, sale)
