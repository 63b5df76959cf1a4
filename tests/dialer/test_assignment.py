"""Who may work on a campaign: the engine's login check and the desk's list of campaigns read
the same rule (in person, through the team one works in, through a team one leads)."""

from __future__ import annotations

from typing import Any

import pytest

from dialcrm.campaigns.models import Campaign
from dialcrm.dialer.store import assigned_agent_count, assigned_campaigns, may_work
from tests.dialer.engine.conftest import make_running_campaign


@pytest.fixture
def campaigns(org: Any) -> dict[str, Campaign]:
    """North's campaign (assigned to the north team), and one assigned to the south agent in
    person only."""
    north = make_running_campaign(org, leads=0).campaign
    personal = Campaign.objects.get(pk=north.pk)
    personal.pk, personal.name = None, "Personal"
    personal.save()
    personal.agents.set([org["south_agent"]])
    return {"north": north, "personal": personal}


@pytest.mark.parametrize(
    ("person", "campaign", "allowed"),
    [
        ("agent", "north", True),  # works in the assigned team
        ("teammate", "north", True),
        ("team_leader", "north", True),  # leads the assigned team
        ("south_agent", "north", False),
        ("south_leader", "north", False),
        ("south_agent", "personal", True),  # assigned in person
        ("agent", "personal", False),
        ("other_agent", "north", False),  # another company
    ],
)
@pytest.mark.django_db
def test_who_may_work_on_a_campaign(
    org: Any, campaigns: dict[str, Campaign], person: str, campaign: str, allowed: bool
) -> None:
    staff = org[person]
    campaign_id = campaigns[campaign].pk

    assert may_work(staff.pk, campaign_id) is allowed
    assert Campaign.objects.filter(
        pk__in=assigned_campaigns(staff.pk), pk=campaign_id
    ).exists() is (allowed)


@pytest.mark.django_db
def test_a_person_no_longer_active_may_not_log_in(org: Any, campaigns: dict[str, Campaign]) -> None:
    agent = org["agent"]
    agent.is_active = False
    agent.save(update_fields=["is_active"])

    assert may_work(agent.pk, campaigns["north"].pk) is False
    assert may_work(0, campaigns["north"].pk) is False  # nobody


@pytest.mark.django_db
def test_the_people_of_a_campaign_are_counted_by_the_same_rule(
    org: Any, campaigns: dict[str, Campaign]
) -> None:
    # North: its team's two agents and their leader; personal: the south agent in person.
    assert assigned_agent_count(campaigns["north"].pk) == 3
    assert assigned_agent_count(campaigns["personal"].pk) == 1
    org["teammate"].is_active = False
    org["teammate"].save(update_fields=["is_active"])
    assert assigned_agent_count(campaigns["north"].pk) == 2
