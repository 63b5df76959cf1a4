"""API routes of quality review: the queue and its counts, a sale's review (what the agent
captured, the lead's history, the review's steps and corrections), the decisions, the agent's own
sales and resubmission, scorecards and scores.

No `from __future__ import annotations` here: Django Ninja reads the payload types."""

import datetime
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from dialcrm.campaigns.models import Campaign
from dialcrm.core.api_crud import add_crud_routes
from dialcrm.core.policy import access
from dialcrm.desk.choices import SaleState
from dialcrm.desk.services import MAX_QUANTITY, ProductLine
from dialcrm.quality import services
from dialcrm.quality.choices import AgeFilter, ConfirmationOutcome
from dialcrm.quality.models import MAX_POINTS, MAX_WEIGHT, ScoreCriterion
from dialcrm.quality.review import review_card

router = Router(tags=["quality"])
CONFLICT = {409: dict[str, str]}


def _refusable(step: Callable[[], Any]) -> Any:
    """Run a step; a refusal by the sale's state answers 409 with the reason."""
    try:
        return step()
    except services.Refused as refusal:
        return 409, {"detail": str(refusal)}


class SaleLineOut(Schema):
    product_id: int
    product: str = Field(alias="product.name")
    quantity: int


class QueuedSaleOut(Schema):
    id: int
    created_at: datetime.datetime
    state: str
    campaign_id: int
    campaign: str = Field(alias="campaign.name")
    location_id: int = Field(alias="campaign.location_id")
    agent_id: int
    agent: str
    lead_id: int
    lead: str
    lines: list[SaleLineOut]

    @staticmethod
    def resolve_agent(sale: Any) -> str:
        return str(sale.agent)

    @staticmethod
    def resolve_lead(sale: Any) -> str:
        return str(sale.lead)

    @staticmethod
    def resolve_lines(sale: Any) -> list[Any]:
        return list(sale.lines.all())


def _narrowed(campaign_id: int | None, location_id: int | None, age: AgeFilter | None) -> Any:
    return services.QueueFilter(campaign_id, location_id, age.value if age else "")


@router.get("/queue", response=list[QueuedSaleOut])
@paginate
def review_queue(
    request: HttpRequest,
    campaign_id: int | None = None,
    location_id: int | None = None,
    age: AgeFilter | None = None,
) -> Any:
    """Sales waiting for a decision (pending and resubmitted), oldest first; `age` keeps those
    waiting at least 1 hour (`1h`), 1, 3 or 7 days (`1d`, `3d`, `7d`)."""
    return services.review_queue(request.user, _narrowed(campaign_id, location_id, age))


@router.get("/queue/counts", response=dict[str, Any])
def queue_counts(
    request: HttpRequest,
    campaign_id: int | None = None,
    location_id: int | None = None,
    age: AgeFilter | None = None,
) -> Any:
    """How many sales wait, in all, by campaign (with accepted sales against the objective) and
    by location."""
    return services.queue_counts(request.user, _narrowed(campaign_id, location_id, age))


@router.get("/sales/{sale_id}", response=dict[str, Any])
def review(request: HttpRequest, sale_id: int) -> Any:
    """A sale as the reviewer sees it: what the agent captured, the recording, the lead's history,
    the review's steps and corrections, the score."""
    return review_card(services.access_sale(request.user, sale_id), request.user)


class DecisionIn(Schema):
    reason: str = Field("", max_length=services.MAX_REASON_LENGTH)


class SaleStateOut(Schema):
    id: int
    state: str


@router.post("/sales/{sale_id}/accept", response={200: SaleStateOut, **CONFLICT})
def accept(request: HttpRequest, sale_id: int, payload: DecisionIn) -> Any:
    """Accept: the sale counts toward the campaign's objective. `reason` is an optional note."""
    return _refusable(lambda: services.accept_sale(request.user, sale_id, payload.reason))


@router.post("/sales/{sale_id}/reject", response={200: SaleStateOut, **CONFLICT})
def reject(request: HttpRequest, sale_id: int, payload: DecisionIn) -> Any:
    """Return the sale to its agent with the `reason` (required)."""
    return _refusable(lambda: services.reject_sale(request.user, sale_id, payload.reason))


@router.post("/sales/{sale_id}/cancel", response={200: SaleStateOut, **CONFLICT})
def cancel(request: HttpRequest, sale_id: int, payload: DecisionIn) -> Any:
    """Cancel the sale, with the `reason` (required)."""
    return _refusable(lambda: services.cancel_sale(request.user, sale_id, payload.reason))


class ConfirmationIn(Schema):
    outcome: ConfirmationOutcome
    note: str = Field("", max_length=services.MAX_REASON_LENGTH)


class ReviewStepOut(Schema):
    id: int
    kind: str
    outcome: str
    note: str
    actor_id: int
    created_at: datetime.datetime


@router.post("/sales/{sale_id}/confirmations", response={201: ReviewStepOut, **CONFLICT})
def confirm(request: HttpRequest, sale_id: int, payload: ConfirmationIn) -> Any:
    """Record the call to the beneficiary to confirm the sale: its outcome and a note."""
    return _refusable(
        lambda: (
            201,
            services.record_confirmation(request.user, sale_id, payload.outcome, payload.note),
        )
    )


class LineIn(Schema):
    product_id: int
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="0 takes the product out.")


class CorrectionIn(Schema):
    answers: dict[str, Any] | None = Field(None, description="Only the answers to change.")
    lines: list[LineIn] | None = Field(None, max_length=100, description="Only the changed ones.")


class ResubmitIn(CorrectionIn):
    note: str = Field("", max_length=services.MAX_REASON_LENGTH, description="For the reviewer.")


class CorrectionOut(Schema):
    field: str
    label: str
    old_value: Any
    new_value: Any
    actor_id: int
    created_at: datetime.datetime


def _lines(payload: CorrectionIn | ResubmitIn) -> list[ProductLine] | None:
    if payload.lines is None:
        return None
    return [ProductLine(line.product_id, line.quantity) for line in payload.lines]


@router.post("/sales/{sale_id}/corrections", response={200: list[CorrectionOut], **CONFLICT})
def correct(request: HttpRequest, sale_id: int, payload: CorrectionIn) -> Any:
    """A reviewer corrects answers and quantities; each change is tracked and returned."""
    return _refusable(
        lambda: services.correct_sale(
            request.user, sale_id, answers=payload.answers, lines=_lines(payload)
        )
    )


class MySaleOut(QueuedSaleOut):
    return_reason: str

    @staticmethod
    def resolve_return_reason(sale: Any) -> str:
        return services.return_reason(sale) if sale.state == SaleState.REJECTED else ""


@router.get("/mine", response=list[MySaleOut])
@paginate
def my_sales(request: HttpRequest, state: SaleState | None = None) -> Any:
    """The signed-in agent's own sales, newest first, with the reason of a returned one."""
    sales = services.my_sales(request.user)
    return sales.filter(state=state) if state else sales


@router.post("/mine/{sale_id}/resubmit", response={200: SaleStateOut, **CONFLICT})
def resubmit(request: HttpRequest, sale_id: int, payload: ResubmitIn) -> Any:
    """The agent fixes a returned sale (answers, quantities) and sends it back for review."""
    return _refusable(
        lambda: services.resubmit_sale(
            request.user,
            sale_id,
            answers=payload.answers,
            lines=_lines(payload),
            note=payload.note,
        )
    )


class CriterionIn(Schema):
    campaign_id: int
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    weight: int = Field(1, ge=1, le=MAX_WEIGHT)
    position: int = Field(0, ge=0, le=1000)


class CriterionOut(Schema):
    id: int
    campaign_id: int
    name: str
    description: str
    weight: int
    position: int
    is_active: bool


def _criterion_values(request: HttpRequest, payload: CriterionIn, instance: Any) -> dict[str, Any]:
    values = payload.dict(exclude={"campaign_id"})
    values["campaign"] = access(Campaign, request.user, payload.campaign_id)
    return values


add_crud_routes(
    router,
    model=ScoreCriterion,
    path="criteria",
    schema_in=CriterionIn,
    schema_out=CriterionOut,
    values=_criterion_values,
    search_fields=("name", "campaign__name"),
)


class ScoreIn(Schema):
    points: dict[str, int] = Field(description=f"Criterion id: points, 0 to {MAX_POINTS}.")
    comment: str = Field("", max_length=services.MAX_REASON_LENGTH)


class ScoreOut(Schema):
    sale_id: int
    reviewer_id: int
    points: list[dict[str, Any]]
    total: float
    comment: str
    scored_at: datetime.datetime


@router.put("/sales/{sale_id}/score", response=ScoreOut)
def score(request: HttpRequest, sale_id: int, payload: ScoreIn) -> Any:
    """Score the sale's call on its campaign's scorecard (weighted total as a percentage)."""
    return services.score_call(request.user, sale_id, payload.points, payload.comment)


@router.get("/scores/averages", response=dict[str, Any])
def score_averages(request: HttpRequest, campaign_id: int | None = None) -> Any:
    """Average scores by agent and by team, over the scored calls you may see."""
    return services.score_averages(request.user, campaign_id)
