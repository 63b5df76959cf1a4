"""Shared fixtures: an organisation with two companies, people in every role, signed-in clients."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("DIALCRM_ENV", "test")

import pytest  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from dialcrm.core.choices import AgentLevel, Role  # noqa: E402
from dialcrm.org.models import Company, Location, Staff, Team  # noqa: E402

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _clean_cache() -> Any:
    """Throttling counters and cached allow-lists live in Redis: start every test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _sockets_let_go_of_the_database() -> Any:
    """WebSockets sign in on threads that keep their connection: closed after each test, so
    that the test database can be dropped."""
    yield
    from dialcrm.core.sockets import sign_in_threads

    sign_in_threads.close_connections()


@dataclass
class Org:
    """Company A (locations north and south, teams north-1 and south-1) and company B."""

    company: Company
    other_company: Company
    north: Location
    south: Location
    other_location: Location
    north_team: Team
    south_team: Team
    people: dict[str, Staff] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Staff:
        return self.people[key]


@functools.cache
def password_hash() -> str:
    """Argon2 is slow by design: hash the fixtures' password once per run."""
    return make_password(PASSWORD)


def make_staff(username: str, role: str, company: Company, **extra: Any) -> Staff:
    if role == Role.AGENT:
        extra.setdefault("level", AgentLevel.SENIOR)
    staff = Staff(
        username=username, role=role, company=company, first_name=username.title(), **extra
    )
    staff.password = password_hash()
    staff.save()
    return staff


@pytest.fixture
def org(db: Any) -> Org:
    company = Company.objects.create(name="Alpha Calls")
    other = Company.objects.create(name="Beta Calls")
    north = Location.objects.create(company=company, name="North")
    south = Location.objects.create(company=company, name="South")
    other_location = Location.objects.create(company=other, name="Elsewhere")
    people: dict[str, Staff] = {}
    for role in (
        Role.ADMINISTRATOR,
        Role.MANAGER,
        Role.HUMAN_RESOURCES,
        Role.QUALITY,
        Role.BACK_OFFICE,
    ):
        people[role] = make_staff(role, role, company)
    people[Role.LOCATION_MANAGER] = make_staff(
        "north.manager", Role.LOCATION_MANAGER, company, location=north
    )
    people["south_manager"] = make_staff(
        "south.manager", Role.LOCATION_MANAGER, company, location=south
    )
    leader = make_staff("north.leader", Role.TEAM_LEADER, company, location=north)
    south_leader = make_staff("south.leader", Role.TEAM_LEADER, company, location=south)
    north_team = Team.objects.create(location=north, name="North 1", leader=leader)
    south_team = Team.objects.create(location=south, name="South 1", leader=south_leader)
    people[Role.TEAM_LEADER] = leader
    people["south_leader"] = south_leader
    people[Role.AGENT] = make_staff(
        "north.agent", Role.AGENT, company, location=north, team=north_team
    )
    people["teammate"] = make_staff(
        "north.teammate", Role.AGENT, company, location=north, team=north_team
    )
    people["south_agent"] = make_staff(
        "south.agent", Role.AGENT, company, location=south, team=south_team
    )
    people["other_admin"] = make_staff("beta.admin", Role.ADMINISTRATOR, other)
    people["other_agent"] = make_staff("beta.agent", Role.AGENT, other, location=other_location)
    return Org(company, other, north, south, other_location, north_team, south_team, people)


def signed_in(user: Staff) -> Client:
    """A browser session for the user, past two-factor sign-in."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["two_factor_verified"] = True
    session.save()
    return client


@pytest.fixture
def client_for() -> Any:
    return signed_in
