"""The demo's live campaign comes with a scorecard, seeded once."""

from __future__ import annotations

import pytest

from dialcrm.core.demo import seed_demo_company
from dialcrm.quality.models import ScoreCriterion

pytestmark = pytest.mark.django_db


def test_the_demo_campaign_has_a_scorecard_seeded_once():
    seed_demo_company()
    seed_demo_company()
    criteria = ScoreCriterion.objects.filter(campaign__name="Winter energy offer")
    assert list(criteria.values_list("name", "weight")) == [
        ("Greeting and identification", 1),
        ("Offer explained", 2),
        ("Explicit consent", 3),
        ("Data read back", 2),
    ]
