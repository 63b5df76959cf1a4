"""The demo company comes with hourly costs and a plan for the month, so profitability shows
figures at once."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dialcrm.core.demo import seed_demo_company
from dialcrm.finance.models import FinancialPlan, HourlyCost
from dialcrm.finance.services import profitability, today_for
from dialcrm.org.models import Staff


def test_the_demo_has_costs_and_a_plan_for_this_month(db: Any) -> None:
    company = seed_demo_company()
    seed_demo_company()

    assert HourlyCost.objects.filter(company=company).count() == 3
    (plan,) = FinancialPlan.objects.filter(campaign__client__company=company)
    today = timezone.localdate()
    assert plan.starts_on <= today <= plan.ends_on
    assert [(target.product.code, target.units) for target in plan.targets.all()] == [
        ("EL-HOME", 200)
    ]
    manager = Staff.objects.get(username="manager")
    result = profitability(manager, today_for(manager))
    assert [progress.plan for progress in result.plans] == [plan]
    assert result.warnings == []
