"""Quality review's actions: the state machine of a sale (accept, return to the agent, resubmit,
cancel) with refusals that change nothing, corrections tracked field by field, confirmation
calls, what counts toward the objective, the queue and its counts, and scorecards."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from dialcrm.core.audit import Actor, acting_as
from dialcrm.core.choices import Role
from dialcrm.core.models import AuditEntry
from dialcrm.desk.models import Sale
from dialcrm.desk.services import ProductLine
from dialcrm.quality import services
from dialcrm.quality.models import CallScore, ReviewStep, SaleCorrection, ScoreCriterion
from tests.quality.conftest import make_sale

pytestmark = pytest.mark.django_db


def _as(person: Any) -> Any:
    return acting_as(Actor(staff_id=person.pk))


def test_accepting_a_pending_sale_counts_it_toward_the_objective(org, desk, sale):
    quality = org[Role.QUALITY]
    make_sale(desk)  # another, still pending: it does not count
    assert services.objective_progress([desk.campaign.pk]) == {}

    with _as(quality):
        accepted = services.accept_sale(quality, sale.pk, "Confirmed by phone")

    assert accepted.state == "accepted"
    assert services.objective_progress([desk.campaign.pk]) == {desk.campaign.pk: 1}
    step = ReviewStep.objects.get(sale=sale)
    assert (step.kind, step.from_state, step.to_state, step.actor, step.note) == (
        "accepted",
        "pending",
        "accepted",
        quality,
        "Confirmed by phone",
    )
    entry = AuditEntry.objects.get(object_type="desk.sale", action="update")
    assert entry.changes == {"state": ["pending", "accepted"]}
    assert entry.staff_id == quality.pk
    assert AuditEntry.objects.filter(object_type="quality.reviewstep", action="create").count() == 1


def test_a_returned_sale_is_fixed_by_its_agent_resubmitted_and_then_accepted(org, desk, sale):
    quality, agent = org[Role.QUALITY], desk.agent

    with _as(quality):
        services.reject_sale(quality, sale.pk, "The plan is Plus, not Basic")
    assert Sale.objects.get(pk=sale.pk).state == "rejected"
    assert services.return_reason(sale) == "The plan is Plus, not Basic"
    assert list(services.review_queue(quality)) == []

    with _as(agent):
        services.resubmit_sale(
            agent,
            sale.pk,
            answers={"plan": "Plus"},
            lines=[ProductLine(desk.products[0].pk, 3)],
            note="Fixed the plan and the quantity",
        )
    sale.refresh_from_db()
    assert sale.state == "resubmitted"
    assert sale.disposition.answers["plan"] == "Plus"
    assert [(line.product.code, line.quantity) for line in sale.lines.all()] == [("PLUS", 3)]
    assert list(services.review_queue(quality)) == [sale]
    corrections = SaleCorrection.objects.filter(sale=sale).order_by("pk")
    assert [(c.field, c.old_value, c.new_value, c.actor) for c in corrections] == [
        ("answers.plan", "Basic", "Plus", agent),
        ("product.PLUS", 2, 3, agent),
    ]

    with _as(quality):
        services.accept_sale(quality, sale.pk)
    assert Sale.objects.get(pk=sale.pk).state == "accepted"
    assert list(
        ReviewStep.objects.filter(sale=sale).order_by("pk").values_list("kind", flat=True)
    ) == [
        "rejected",
        "resubmitted",
        "accepted",
    ]
    assert services.objective_progress([desk.campaign.pk]) == {desk.campaign.pk: 1}


@pytest.mark.parametrize(
    ("state", "step", "message"),
    [
        ("accepted", "accept", "This sale cannot be accepted: it is accepted."),
        ("cancelled", "accept", "This sale cannot be accepted: it is cancelled."),
        ("rejected", "accept", "This sale cannot be accepted: it is returned to the agent."),
        ("accepted", "reject", "This sale cannot be returned to the agent: it is accepted."),
        ("accepted", "cancel", "This sale cannot be cancelled: it is accepted."),
        ("cancelled", "cancel", "This sale cannot be cancelled: it is cancelled."),
    ],
)
def test_steps_the_state_does_not_allow_are_refused_and_change_nothing(
    org, sale, state, step, message
):
    quality = org[Role.QUALITY]
    Sale.objects.filter(pk=sale.pk).update(state=state)
    action = {
        "accept": lambda: services.accept_sale(quality, sale.pk),
        "reject": lambda: services.reject_sale(quality, sale.pk, "a reason"),
        "cancel": lambda: services.cancel_sale(quality, sale.pk, "a reason"),
    }[step]

    with pytest.raises(services.Refused) as refusal:
        action()

    assert str(refusal.value) == message
    assert Sale.objects.get(pk=sale.pk).state == state
    assert not ReviewStep.objects.exists()


def test_only_a_returned_sale_is_resubmitted_and_only_by_its_own_agent(org, desk, sale):
    with pytest.raises(services.Refused, match="cannot be resubmitted: it is pending"):
        services.resubmit_sale(desk.agent, sale.pk)
    Sale.objects.filter(pk=sale.pk).update(state="rejected")
    with pytest.raises(Http404):
        services.resubmit_sale(desk.teammate, sale.pk)
    with pytest.raises(PermissionDenied):
        services.resubmit_sale(org[Role.QUALITY], sale.pk)
    assert Sale.objects.get(pk=sale.pk).state == "rejected"


def test_returning_and_cancelling_need_a_reason(org, sale):
    quality = org[Role.QUALITY]
    with pytest.raises(ValidationError) as error:
        services.reject_sale(quality, sale.pk, "   ")
    assert error.value.message_dict == {"reason": ["Say what the agent must fix."]}
    with pytest.raises(ValidationError) as error:
        services.cancel_sale(quality, sale.pk, "")
    assert error.value.message_dict == {"reason": ["Say why the sale is cancelled."]}
    assert Sale.objects.get(pk=sale.pk).state == "pending"


def test_a_returned_sale_may_be_cancelled(org, sale):
    quality = org[Role.QUALITY]
    services.reject_sale(quality, sale.pk, "Wrong beneficiary")
    services.cancel_sale(quality, sale.pk, "The beneficiary never agreed")
    assert Sale.objects.get(pk=sale.pk).state == "cancelled"
    assert services.objective_progress([sale.campaign_id]) == {}


def test_agents_and_location_managers_never_decide(org, desk, sale):
    with pytest.raises(PermissionDenied):
        services.accept_sale(desk.agent, sale.pk)  # their own sale
    with pytest.raises(PermissionDenied):
        services.accept_sale(org[Role.LOCATION_MANAGER], sale.pk)  # in their location: read only
    with pytest.raises(Http404):
        services.accept_sale(org["south_manager"], sale.pk)
    with pytest.raises(Http404):
        services.accept_sale(org["other_admin"], sale.pk)
    assert Sale.objects.get(pk=sale.pk).state == "pending"


def test_a_reviewer_corrects_answers_and_quantities_each_change_tracked(org, desk, sale):
    quality = org[Role.QUALITY]
    with _as(quality):
        changes = services.correct_sale(
            quality,
            sale.pk,
            answers={"full_name": "Ana Popescu", "kwh": "250"},  # kwh unchanged
            lines=[ProductLine(desk.products[0].pk, 0), ProductLine(desk.products[1].pk, 1)],
        )

    assert [(c.field, c.label, c.old_value, c.new_value) for c in changes] == [
        ("answers.full_name", "Full name", "Ana Pop", "Ana Popescu"),
        ("product.PLUS", "Energy Plus", 2, 0),
        ("product.SOLAR", "Solar panel", 0, 1),
    ]
    sale.refresh_from_db()
    assert sale.disposition.answers["full_name"] == "Ana Popescu"
    assert [(line.product.code, line.quantity) for line in sale.lines.all()] == [("SOLAR", 1)]
    assert all(change.actor == quality for change in changes)
    assert AuditEntry.objects.filter(object_type="quality.salecorrection").count() == 3


def test_corrections_are_checked_as_the_work_sheet_says_and_refused_whole(org, desk, sale):
    quality = org[Role.QUALITY]
    with pytest.raises(ValidationError) as error:
        services.correct_sale(
            quality,
            sale.pk,
            answers={"plan": "Gold", "kwh": "20000", "colour": "red"},
            lines=[ProductLine(desk.products[0].pk, 5)],
        )
    assert set(error.value.message_dict) == {"answers.plan", "answers.kwh", "answers.colour"}
    with pytest.raises(ValidationError) as error:
        services.correct_sale(quality, sale.pk, lines=[ProductLine(desk.products[0].pk, 0)])
    assert error.value.message_dict == {
        "lines": ["A sale keeps at least one product; cancel the sale instead."]
    }
    sale.refresh_from_db()
    assert sale.disposition.answers["plan"] == "Basic"
    assert [(line.product.code, line.quantity) for line in sale.lines.all()] == [("PLUS", 2)]
    assert not SaleCorrection.objects.exists()


def test_a_decided_sale_is_not_corrected(org, sale):
    quality = org[Role.QUALITY]
    services.accept_sale(quality, sale.pk)
    with pytest.raises(services.Refused, match="cannot be corrected: it is accepted"):
        services.correct_sale(quality, sale.pk, answers={"full_name": "Someone Else"})


def test_a_confirmation_call_is_recorded_with_who_and_when(org, sale):
    quality = org[Role.QUALITY]
    step = services.record_confirmation(quality, sale.pk, "confirmed", "She confirmed Plus")
    assert (step.kind, step.outcome, step.note, step.actor) == (
        "confirmation",
        "confirmed",
        "She confirmed Plus",
        quality,
    )
    assert step.created_at is not None
    assert Sale.objects.get(pk=sale.pk).state == "pending"
    with pytest.raises(ValidationError):
        services.record_confirmation(quality, sale.pk, "maybe")


def test_the_queue_is_oldest_first_filtered_and_counted_within_scope(org, desk, sale):
    quality = org[Role.QUALITY]
    newer = make_sale(desk, lead=desk.leads[1])
    Sale.objects.filter(pk=sale.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    accepted = make_sale(desk, lead=desk.leads[2])
    services.accept_sale(quality, accepted.pk)

    assert list(services.review_queue(quality)) == [sale, newer]
    older = services.QueueFilter(age="1d")
    assert list(services.review_queue(quality, older)) == [sale]
    elsewhere = services.QueueFilter(location_id=org.south.pk)
    assert list(services.review_queue(quality, elsewhere)) == []
    assert list(services.review_queue(org["south_manager"])) == []
    assert list(services.review_queue(org[Role.LOCATION_MANAGER])) == [sale, newer]
    assert list(services.review_queue(org["other_admin"])) == []
    with pytest.raises(ValidationError):
        list(services.review_queue(quality, services.QueueFilter(age="2h")))
    with pytest.raises(PermissionDenied):
        services.review_queue(desk.agent)

    counts = services.queue_counts(quality)
    assert counts["total"] == 2
    assert counts["campaigns"] == [
        {
            "id": desk.campaign.pk,
            "name": desk.campaign.name,
            "waiting": 2,
            "accepted": 1,
            "objective": desk.campaign.objective_target,
        }
    ]
    assert counts["locations"] == [{"id": org.north.pk, "name": "North", "waiting": 2}]


def test_the_agent_sees_their_own_sales_by_state(org, desk, sale):
    other = make_sale(desk, agent=desk.teammate, lead=desk.leads[1])
    services.reject_sale(org[Role.QUALITY], sale.pk, "Fix it")
    assert list(services.my_sales(desk.agent)) == [sale]
    counts = services.my_sale_counts(desk.agent)
    assert (counts["rejected"], counts["pending"], counts["accepted"]) == (1, 0, 0)
    with pytest.raises(Http404):
        services.access_my_sale(desk.agent, other.pk)


def _criteria(desk: Any) -> tuple[ScoreCriterion, ScoreCriterion]:
    greeting = ScoreCriterion.objects.create(
        campaign=desk.campaign, name="Greeting", weight=1, position=1
    )
    consent = ScoreCriterion.objects.create(
        campaign=desk.campaign, name="Consent", weight=3, position=2
    )
    return greeting, consent


def test_a_call_score_is_the_weighted_percentage_of_its_criteria(org, desk, sale):
    quality = org[Role.QUALITY]
    greeting, consent = _criteria(desk)
    ScoreCriterion.objects.create(campaign=desk.campaign, name="Old", weight=5, is_active=False)

    score = services.score_call(
        quality, sale.pk, {greeting.pk: 10, str(consent.pk): "6"}, "Good, consent rushed"
    )

    # (1 × 10 + 3 × 6) / (4 × 10) = 70 %
    assert score.total == Decimal("70.00")
    assert [(row["name"], row["weight"], row["points"]) for row in score.points] == [
        ("Greeting", 1, 10),
        ("Consent", 3, 6),
    ]
    again = services.score_call(quality, sale.pk, {greeting.pk: 5, consent.pk: 5})
    assert (again.pk, again.total) == (score.pk, Decimal("50.00"))
    assert CallScore.objects.count() == 1


def test_every_criterion_must_be_scored_0_to_10(org, desk, sale):
    quality = org[Role.QUALITY]
    greeting, consent = _criteria(desk)
    with pytest.raises(ValidationError) as error:
        services.score_call(quality, sale.pk, {greeting.pk: 11, 999: 3})
    assert set(error.value.message_dict) == {
        f"points.{greeting.pk}",
        f"points.{consent.pk}",
        "points.999",
    }
    assert not CallScore.objects.exists()


def test_score_averages_by_agent_and_team(org, desk, sale):
    quality = org[Role.QUALITY]
    greeting, consent = _criteria(desk)
    teammate_sale = make_sale(desk, agent=desk.teammate, lead=desk.leads[1])
    second = make_sale(desk, lead=desk.leads[2])
    services.score_call(quality, sale.pk, {greeting.pk: 10, consent.pk: 10})  # 100
    services.score_call(quality, second.pk, {greeting.pk: 0, consent.pk: 5})  # 37.5
    services.score_call(quality, teammate_sale.pk, {greeting.pk: 10, consent.pk: 0})  # 25

    averages = services.score_averages(quality)

    assert [(row["agent_id"], row["average"], row["calls"]) for row in averages["agents"]] == [
        (desk.agent.pk, Decimal("68.75"), 2),
        (desk.teammate.pk, Decimal("25.00"), 1),
    ]
    assert [
        (row["name"], row["average"], row["calls"], row["agents"]) for row in averages["teams"]
    ] == [("North 1", Decimal("54.17"), 3, 2)]
    assert services.score_averages(org["south_manager"])["agents"] == []
    with pytest.raises(PermissionDenied):
        services.score_averages(desk.agent)
