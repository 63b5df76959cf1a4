"""Books worked out by hand: two agents at two locations over 2 and 3 March 2026 (Bucharest),
with intervals crossing the period's start and end, a senior's hourly cost rising on the 3rd,
a price rising on the 3rd, accepted sales and one still pending.

North agent (senior: 30.00 RON/h on the 2nd, 36.00 from the 3rd)
  2nd: ready 1 h inside the period (from 23:00 the day before), call 20 min, wrap-up 5 min,
       lunch 30 min = 115 min x 30.00 = 57.50
  3rd: call 90 min, ready 60 min inside the period (until 01:00 on the 4th) = 150 min x 36 = 90.00
  sales: 2nd 2 x Plus (100.00, cost 40.00); 3rd 1 x Plus (120.00, cost 40.00) + 1 x Solar
         (250.00, cost 150.00); 3rd 5 x Solar pending (not counted); 4th 1 x Plus (outside)
  => cost 147.50, 2 sales, 4 units, revenue 570.00, production 270.00, profit 152.50,
     cost per sale 73.75
South agent (trainee: 20.00 RON/h)
  2nd: call 7 min; 3rd: wrap-up 10 min = 17 min x 20.00 = 5.666... -> 5.67
  sales: 2nd 1 x Solar => revenue 250.00, production 150.00, profit 94.33, cost per sale 5.67
Total: cost 153.17 (153.1666...), 3 sales, 5 units, revenue 820.00, production 420.00,
       profit 246.83, cost per sale 51.06
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dialcrm.campaigns.models import Campaign, Lead, Status
from dialcrm.catalog.models import Product, ProductPrice
from dialcrm.core.choices import AgentLevel, Role
from dialcrm.desk.models import Disposition, Sale, SaleLine
from dialcrm.dialer.models import AgentStateInterval, CallAttempt
from dialcrm.finance.models import FinancialPlan, HourlyCost, PlanTarget
from dialcrm.finance.services import Period
from tests.dialer.engine.conftest import make_running_campaign

BUCHAREST = ZoneInfo("Europe/Bucharest")
PERIOD = Period(datetime.date(2026, 3, 2), datetime.date(2026, 3, 3), BUCHAREST)
NOW = datetime.datetime(2026, 3, 5, 12, 0, tzinfo=BUCHAREST)
_keys = itertools.count()


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=BUCHAREST)


@dataclass
class Books:
    campaign: Campaign
    plus: Product
    solar: Product
    plan: FinancialPlan
    north: Any
    south: Any


def work(
    agent: Any, campaign: Campaign, state: str, start: Any, end: Any, reason: str = ""
) -> None:
    AgentStateInterval.objects.create(
        agent=agent,
        campaign=campaign,
        state=state,
        pause_reason=reason,
        started_at=start,
        ended_at=end,
    )


def sell(
    agent: Any, campaign: Campaign, when: datetime.datetime, lines: dict[Product, int], state: str
) -> Sale:
    lead = Lead.objects.filter(call_list__campaigns=campaign).first()
    attempt = CallAttempt.objects.create(
        campaign=campaign,
        lead=lead,
        number="+40720000000",
        agent=agent,
        mode="predictive",
        dialed_at=when,
        outcome="contact",
    )
    disposition = Disposition.objects.create(
        attempt=attempt,
        agent=agent,
        campaign=campaign,
        lead=lead,
        status=Status.objects.get(company=campaign.client.company, code="SALE"),
        idempotency_key=f"sale-{next(_keys)}",
    )
    sale = Sale.objects.create(
        disposition=disposition, campaign=campaign, lead=lead, agent=agent, state=state
    )
    Sale.objects.filter(pk=sale.pk).update(created_at=when)
    for product, quantity in lines.items():
        SaleLine.objects.create(sale=sale, product=product, quantity=quantity)
    return sale


def make_books(org: Any) -> Books:
    campaign = make_running_campaign(org, leads=1).campaign
    north, south = org["agent"], org["south_agent"]
    south.level = AgentLevel.TRAINEE
    south.save()
    company = org.company
    for role, level, amount, start, end, currency in (
        (
            Role.AGENT,
            AgentLevel.SENIOR,
            "30.00",
            datetime.date(2026, 1, 1),
            datetime.date(2026, 3, 2),
            "RON",
        ),
        (Role.AGENT, AgentLevel.SENIOR, "36.00", datetime.date(2026, 3, 3), None, "RON"),
        (Role.AGENT, AgentLevel.TRAINEE, "20.00", datetime.date(2026, 1, 1), None, "RON"),
        (Role.AGENT, AgentLevel.SENIOR, "7.00", datetime.date(2026, 1, 1), None, "EUR"),
    ):
        HourlyCost.objects.create(
            company=company,
            role=role,
            level=level,
            amount=Decimal(amount),
            valid_from=start,
            valid_until=end,
            currency=currency,
        )
    plus = Product.objects.create(company=company, code="PLUS", name="Energy Plus")
    solar = Product.objects.create(company=company, code="SOLAR", name="Solar panel")
    campaign.products.set([plus, solar])
    for product, price, cost, start, end in (
        (plus, "100.00", "40.00", datetime.date(2026, 1, 1), datetime.date(2026, 3, 2)),
        (plus, "120.00", "40.00", datetime.date(2026, 3, 3), None),
        (solar, "250.00", "150.00", datetime.date(2026, 1, 1), None),
    ):
        ProductPrice.objects.create(
            product=product,
            price=Decimal(price),
            production_cost=Decimal(cost),
            valid_from=start,
            valid_until=end,
        )

    work(north, campaign, "ready", at(1, 23), at(2, 1))
    work(north, campaign, "on_call", at(2, 9), at(2, 9, 20))
    work(north, campaign, "wrap_up", at(2, 9, 20), at(2, 9, 25))
    work(north, campaign, "paused", at(2, 12), at(2, 12, 30), reason="lunch")
    work(north, campaign, "on_call", at(3, 10), at(3, 11, 30))
    work(north, campaign, "ready", at(3, 23), at(4, 1))
    work(south, campaign, "on_call", at(2, 10), at(2, 10, 7))
    work(south, campaign, "wrap_up", at(3, 14), at(3, 14, 10))

    sell(north, campaign, at(2, 9, 22), {plus: 2}, "accepted")
    sell(north, campaign, at(3, 11), {plus: 1, solar: 1}, "accepted")
    sell(north, campaign, at(3, 11, 10), {solar: 5}, "pending")
    sell(north, campaign, at(4, 10), {plus: 1}, "accepted")
    sell(south, campaign, at(2, 10, 5), {solar: 1}, "accepted")

    # Set before the period began (the screens refuse a plan for a period already begun).
    plan = FinancialPlan.objects.create(
        campaign=campaign,
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 11),
        target_hours=Decimal("10.0"),
    )
    PlanTarget.objects.create(plan=plan, product=plus, units=20)
    PlanTarget.objects.create(plan=plan, product=solar, units=10)
    return Books(campaign, plus, solar, plan, north, south)


@pytest.fixture
def books(org: Any) -> Books:
    return make_books(org)
