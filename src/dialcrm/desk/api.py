"""API routes of the desk: the agent's call card, draft and closing, their figures of the day,
the team leader's board and actions, and the sales waiting for quality review."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from dialcrm.campaigns.choices import StatusCategory
from dialcrm.core.api import require
from dialcrm.core.policy import VIEW
from dialcrm.desk import cards, figures, services
from dialcrm.desk.choices import SaleState, SupervisorActionKind
from dialcrm.desk.models import DESK_ROLES, MAX_WRAP_UP_S, Sale

router = Router(tags=["desk"])


def _agent(request: HttpRequest) -> Any:
    if request.user.role not in DESK_ROLES:
        raise PermissionDenied(_("Only agents work on the desk."))
    return request.user


class StartIn(Schema):
    campaign_id: int
    mode: str = Field("", max_length=12)
    endpoint: str = Field(min_length=1, max_length=100)
    auto_ready: bool = True
    wrap_up_s: int = Field(30, ge=0, le=MAX_WRAP_UP_S)


class SessionOut(Schema):
    campaign_id: int
    campaign: str
    mode: str
    endpoint: str
    auto_ready: bool
    wrap_up_s: int
    max_wrap_up_s: int


@router.post("/work", response={201: SessionOut})
def start_work(request: HttpRequest, payload: StartIn) -> Any:
    """Start work on a campaign (the agent is logged in to the engine, paused)."""
    session = services.start_work(
        _agent(request), payload.campaign_id, **payload.dict(exclude={"campaign_id"})
    )
    return 201, services.session_summary(session)


@router.delete("/work", response={204: None})
def end_work(request: HttpRequest) -> Any:
    services.end_work(_agent(request))
    return 204, None


@router.get("/calls/current", response=dict[str, Any] | None)
def current_call(request: HttpRequest) -> Any:
    """The agent's call without a status yet (talking or wrapping up), with its card."""
    attempt = services.current_call(_agent(request))
    return cards.call_card(attempt) if attempt is not None else None


class TransferTargetOut(Schema):
    id: int
    name: str
    role: str
    role_label: str


@router.get("/transfer-targets", response=list[TransferTargetOut])
def transfer_targets(request: HttpRequest) -> Any:
    """The agents and team leaders of the agent's campaign who are ready now: whom a call may
    go to, with their role."""
    return services.transfer_targets(_agent(request))


@router.get("/calls/{call_id}", response=dict[str, Any])
def call_card(request: HttpRequest, call_id: str) -> Any:
    """The card of one of the agent's own calls."""
    return cards.call_card(services.access_call(_agent(request), call_id))


class DraftIn(Schema):
    data: dict[str, Any]


class DraftOut(Schema):
    updated_at: datetime.datetime


@router.put("/calls/{call_id}/draft", response={200: DraftOut, 409: dict[str, str]})
def save_draft(request: HttpRequest, call_id: str, payload: DraftIn) -> Any:
    try:
        draft = services.save_draft(_agent(request), call_id, payload.data)
    except services.Conflict as error:
        return 409, {"detail": str(error)}
    return 200, {"updated_at": draft.updated_at}


class ProductLineIn(Schema):
    product_id: int
    quantity: int = Field(ge=1, le=services.MAX_QUANTITY)


class DispositionIn(Schema):
    idempotency_key: str = Field(min_length=8, max_length=64)
    status: str = Field(min_length=1, max_length=32)
    answers: dict[str, Any] = Field(default_factory=dict)
    products: list[ProductLineIn] = Field(default_factory=list, max_length=100)
    note: str = Field("", max_length=services.MAX_NOTE_LENGTH)
    callback_at: datetime.datetime | None = Field(
        None, description="The lead's local time when naive (e.g. 2026-03-05T14:30)."
    )
    callback_for_me: bool = True
    go_ready: bool = True
    pause_reason: str = Field("", max_length=16)
    sheet_version: int | None = None


class DispositionOut(Schema):
    id: int
    call_id: str
    status: str
    sale_id: int | None
    is_replay: bool


@router.post(
    "/calls/{call_id}/disposition",
    response={201: DispositionOut, 200: DispositionOut, 409: dict[str, str]},
)
def submit_disposition(request: HttpRequest, call_id: str, payload: DispositionIn) -> Any:
    """Close the call: status, work sheet answers, products of a sale, callback. The same
    `idempotency_key` again returns what was recorded (200); another status for a call that
    has one is refused (409)."""
    agent = _agent(request)
    try:
        recorded = services.submit_disposition(
            agent,
            call_id,
            status_code=payload.status,
            answers=payload.answers,
            idempotency_key=payload.idempotency_key,
            products=[
                services.ProductLine(line.product_id, line.quantity) for line in payload.products
            ],
            note=payload.note,
            callback_at=payload.callback_at,
            callback_agent_id=agent.pk if payload.callback_for_me else None,
            go_ready=payload.go_ready,
            pause_reason=payload.pause_reason,
            sheet_version=payload.sheet_version,
        )
    except services.Conflict as error:
        return 409, {"detail": str(error)}
    disposition = recorded.disposition
    sale = (
        Sale.objects.filter(disposition=disposition).values_list("pk", flat=True).first()
        # A new closing made a sale only with a sale status
        if recorded.is_replay or disposition.status.category == StatusCategory.SALE
        else None
    )
    body = {
        "id": disposition.pk,
        "call_id": str(disposition.attempt.call_id),
        "status": disposition.status.code,
        "sale_id": sale,
        "is_replay": recorded.is_replay,
    }
    return (200 if recorded.is_replay else 201), body


@router.get("/figures", response=dict[str, Any])
def my_figures(request: HttpRequest) -> Any:
    """The agent's figures today against their team's average."""
    return figures.figures_today(_agent(request))


class BoardAgentOut(Schema):
    agent_id: int
    name: str
    team: str
    state: str
    reason: str
    campaign: str
    elapsed_s: float
    call: dict[str, Any] | None


@router.get("/team", response=list[BoardAgentOut])
def team_board(request: HttpRequest) -> Any:
    """A team leader's agents: state and for how long, campaign, the call they are on."""
    require(request.user, VIEW, services.SupervisorAction)
    return services.team_board(request.user)


class SupervisorActionOut(Schema):
    id: int
    agent_id: int
    kind: str
    created_at: datetime.datetime


@router.post("/team/{agent_id}/{kind}", response={201: SupervisorActionOut})
def supervise(request: HttpRequest, agent_id: int, kind: SupervisorActionKind) -> Any:
    """Pause (`pause`) or log out (`logout`) one of the team's agents; audited."""
    return 201, services.supervise(request.user, agent_id, kind)


class SaleLineOut(Schema):
    product_id: int
    product: str = Field(alias="product.name")
    quantity: int


class SaleOut(Schema):
    id: int
    created_at: datetime.datetime
    state: str
    campaign_id: int
    lead_id: int
    agent_id: int
    call_id: str
    lines: list[SaleLineOut]

    @staticmethod
    def resolve_call_id(sale: Sale) -> str:
        return str(sale.disposition.attempt.call_id)

    @staticmethod
    def resolve_lines(sale: Sale) -> list[Any]:
        return list(sale.lines.all())


@router.get("/sales", response=list[SaleOut])
@paginate
def list_sales(request: HttpRequest, state: SaleState | None = None) -> Any:
    """Sales, newest first; `state=pending` is the quality review queue."""
    require(request.user, VIEW, Sale)
    sales = Sale.objects.for_user(request.user).select_related("disposition__attempt")
    if state is not None:
        sales = sales.filter(state=state)
    return sales.prefetch_related("lines__product")
