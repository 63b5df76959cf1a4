"""The demo company: the same records a real call center would set up, with known logins."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dialcrm.campaigns.models import WorkSheet
from dialcrm.campaigns.statuses import seed_default_statuses
from dialcrm.campaigns.worksheets import add_version, validate_definition
from dialcrm.core.choices import AgentLevel, Role
from dialcrm.org.models import Company, Location, Staff, Team

DEMO_PASSWORD = "demo-dialcrm-2026"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    description: str


DEMO_LOGINS = (
    DemoLogin("admin", Role.ADMINISTRATOR, "administrator (also the installation's superuser)"),
    DemoLogin("manager", Role.MANAGER, "manager: finance and objectives"),
    DemoLogin("hr", Role.HUMAN_RESOURCES, "human resources"),
    DemoLogin("bucharest.manager", Role.LOCATION_MANAGER, "location manager, Bucharest"),
    DemoLogin("leader.ana", Role.TEAM_LEADER, "team leader of Team Ana, Bucharest"),
    DemoLogin("agent.maria", Role.AGENT, "senior agent in Team Ana"),
    DemoLogin("agent.ion", Role.AGENT, "trainee agent in Team Ana"),
    DemoLogin("quality", Role.QUALITY, "quality department"),
    DemoLogin("backoffice", Role.BACK_OFFICE, "back office"),
)


def _person(username: str, first: str, last: str, role: str, **extra: object) -> Staff:
    staff, created = Staff.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "role": role, **extra},
    )
    if created:
        staff.set_password(DEMO_PASSWORD)
        staff.is_two_factor_exempt = True
        staff.save()
    return staff


@transaction.atomic
def seed_demo_company() -> Company:
    """Create the demo company once; running it again changes nothing."""
    company, _ = Company.objects.get_or_create(
        name="Demo Call Center SRL", defaults={"legal_id": "RO12345678"}
    )
    bucharest, _ = Location.objects.get_or_create(
        company=company, name="Bucharest", defaults={"address": "Bd. Unirii 1, București"}
    )
    cluj, _ = Location.objects.get_or_create(
        company=company, name="Cluj-Napoca", defaults={"address": "Str. Memorandumului 2, Cluj"}
    )
    org = {"company": company}
    admin = _person("admin", "Alexandra", "Popescu", Role.ADMINISTRATOR, **org)
    if not admin.is_superuser:
        admin.is_superuser = True
        admin.save()
    _person("manager", "Mihai", "Ionescu", Role.MANAGER, **org)
    _person("hr", "Elena", "Dumitru", Role.HUMAN_RESOURCES, **org)
    _person("quality", "Radu", "Stan", Role.QUALITY, **org)
    _person("backoffice", "Ioana", "Marin", Role.BACK_OFFICE, **org)
    _person(
        "bucharest.manager", "Andrei", "Georgescu", Role.LOCATION_MANAGER, location=bucharest, **org
    )
    _person("cluj.manager", "Sorin", "Pop", Role.LOCATION_MANAGER, location=cluj, **org)
    leader = _person("leader.ana", "Ana", "Vasilescu", Role.TEAM_LEADER, location=bucharest, **org)
    team, _ = Team.objects.get_or_create(
        location=bucharest, name="Team Ana", defaults={"leader": leader}
    )
    if leader.team_id is None:
        leader.team = team
        leader.save()
    cluj_leader = _person("leader.dan", "Dan", "Moldovan", Role.TEAM_LEADER, location=cluj, **org)
    cluj_team, _ = Team.objects.get_or_create(
        location=cluj, name="Team Dan", defaults={"leader": cluj_leader}
    )
    agents = [
        ("agent.maria", "Maria", "Constantin", AgentLevel.SENIOR, team, bucharest),
        ("agent.ion", "Ion", "Niculescu", AgentLevel.TRAINEE, team, bucharest),
        ("agent.vlad", "Vlad", "Ene", AgentLevel.SENIOR, team, bucharest),
        ("agent.cristina", "Cristina", "Lupu", AgentLevel.SENIOR, cluj_team, cluj),
        ("agent.paul", "Paul", "Rusu", AgentLevel.TRAINEE, cluj_team, cluj),
    ]
    for username, first, last, level, agent_team, location in agents:
        _person(
            username,
            first,
            last,
            Role.AGENT,
            level=level,
            team=agent_team,
            location=location,
            **org,
        )
    sheet = _seed_back_office(company)
    _seed_live_campaign(company, bucharest, team, sheet)
    _seed_finance(company)
    _seed_quality(company)
    return company


def _seed_quality(company: Company) -> None:
    """The live campaign's scorecard, so quality can score the simulated agents' sales."""
    from dialcrm.campaigns.models import Campaign
    from dialcrm.quality.models import ScoreCriterion

    campaign = Campaign.objects.get(client__company=company, name="Winter energy offer")
    for position, (name, weight, description) in enumerate(
        (
            (
                "Greeting and identification",
                1,
                "Names themselves and the company, checks who answers.",
            ),
            ("Offer explained", 2, "Price, duration and cancellation explained without pressure."),
            ("Explicit consent", 3, "The beneficiary clearly agrees to the contract."),
            ("Data read back", 2, "Name, address and consumption read back and confirmed."),
        ),
        start=1,
    ):
        ScoreCriterion.objects.get_or_create(
            campaign=campaign,
            name=name,
            defaults={"weight": weight, "position": position, "description": description},
        )


def _seed_finance(company: Company) -> None:
    """Hourly costs, and a plan for the live campaign's current month, so that profitability
    shows figures and progress at once. (A person sets a plan before its period starts; the
    demo's is laid down by the seed for the month it is first run in.)"""
    from dialcrm.campaigns.models import Campaign
    from dialcrm.catalog.models import Product
    from dialcrm.finance.models import FinancialPlan, HourlyCost, PlanTarget

    for role, level, amount in (
        (Role.AGENT, AgentLevel.SENIOR, "32.50"),
        (Role.AGENT, AgentLevel.TRAINEE, "22.00"),
        (Role.TEAM_LEADER, "", "41.00"),
    ):
        HourlyCost.objects.get_or_create(
            company=company,
            role=role,
            level=level,
            currency="RON",
            defaults={"amount": amount, "valid_from": datetime.date(2026, 1, 1)},
        )
    campaign = Campaign.objects.get(client__company=company, name="Winter energy offer")
    today = timezone.localdate()
    first = today.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    plan, created = FinancialPlan.objects.get_or_create(
        campaign=campaign,
        starts_on=first,
        defaults={"ends_on": last, "target_hours": 400},
    )
    if created:
        PlanTarget.objects.create(
            plan=plan, product=Product.objects.get(company=company, code="EL-HOME"), units=200
        )


ENERGY_OFFER = {
    "groups": [
        {
            "title": "Customer",
            "fields": [
                {"key": "full_name", "label": "Full name", "kind": "text", "required": True},
                {"key": "email", "label": "Email", "kind": "email"},
                {
                    "key": "contact_phone",
                    "label": "Contact phone",
                    "kind": "phone",
                    "help": "If different from the number called.",
                },
                {"key": "address", "label": "Supply address", "kind": "long_text"},
            ],
        },
        {
            "title": "Offer",
            "fields": [
                {
                    "key": "current_supplier",
                    "label": "Current supplier",
                    "kind": "choice",
                    "choices": ["Enel", "E.ON", "Electrica", "Engie", "Other"],
                },
                {
                    "key": "monthly_kwh",
                    "label": "Monthly consumption (kWh)",
                    "kind": "number",
                    "min": 0,
                    "max": 100000,
                    "help": "From the last invoice.",
                },
                {
                    "key": "plan",
                    "label": "Plan",
                    "kind": "choice",
                    "required": True,
                    "choices": ["Fixed price, 12 months", "Fixed price, 24 months", "Green"],
                },
                {
                    "key": "extras",
                    "label": "Extras",
                    "kind": "multi_choice",
                    "choices": ["Paperless invoice", "Direct debit", "Smart meter"],
                },
                {"key": "start_date", "label": "Start date", "kind": "date"},
                {
                    "key": "agrees",
                    "label": "Agrees to receive the contract",
                    "kind": "yes_no",
                    "required": True,
                },
            ],
        },
    ]
}


def _seed_back_office(company: Company) -> None:
    """The default statuses and one work sheet, as the back office would set them up."""
    seed_default_statuses(company)
    sheet, _ = WorkSheet.objects.get_or_create(
        company=company,
        name="Energy offer",
        defaults={"description": "Electricity supply offer for households."},
    )
    add_version(sheet, validate_definition(ENERGY_OFFER))
    return sheet


DEMO_LEADS = 20_000
SIMULATED_AGENTS = 10
FIRST_NAMES = [
    "Andrei",
    "Elena",
    "Mihai",
    "Ioana",
    "Alexandru",
    "Maria",
    "Gabriel",
    "Ana",
    "Cristian",
    "Raluca",
]
LAST_NAMES = [
    "Popescu",
    "Ionescu",
    "Popa",
    "Radu",
    "Dumitru",
    "Stan",
    "Stoica",
    "Gheorghe",
    "Matei",
    "Rusu",
]


def _seed_live_campaign(company: Company, location: Location, team: Team, sheet: WorkSheet) -> None:
    """A running predictive campaign with a list of households and simulated agents, so the
    demo shows a live call center at once."""
    from dialcrm.campaigns.choices import CampaignState, DialMode
    from dialcrm.campaigns.models import CallList, Campaign, Client, Lead, Phone, Status
    from dialcrm.catalog.models import Product, ProductPrice

    for number in range(1, SIMULATED_AGENTS + 1):
        _person(
            f"sim.agent{number:02d}",
            "Simulated",
            f"Agent {number:02d}",
            Role.AGENT,
            level=AgentLevel.SENIOR,
            team=team,
            location=location,
            company=company,
        )
    product, _ = Product.objects.get_or_create(
        company=company,
        code="EL-HOME",
        defaults={"name": "Household electricity", "unit": "contract"},
    )
    ProductPrice.objects.get_or_create(
        product=product,
        currency="RON",
        defaults={
            "price": "450.00",
            "production_cost": "120.00",
            "valid_from": datetime.date(2026, 1, 1),
        },
    )
    client, _ = Client.objects.get_or_create(
        company=company, name="Energia Verde SA", defaults={"contact_name": "Dana Petrescu"}
    )
    call_list, created = CallList.objects.get_or_create(client=client, name="Bucharest households")
    if created:
        generator = random.Random(2026)
        leads = Lead.objects.bulk_create(
            Lead(
                call_list=call_list,
                first_name=generator.choice(FIRST_NAMES),
                last_name=generator.choice(LAST_NAMES),
                city="București",
                region="B",
                custom={"consumption_kwh": generator.randrange(900, 4800, 100)},
            )
            for _ in range(DEMO_LEADS)
        )
        Phone.objects.bulk_create(
            Phone(
                lead=lead,
                number=f"+4072{index:07d}",
                kind="mobile",
                country="RO",
                time_zone="Europe/Bucharest",
            )
            for index, lead in enumerate(leads)
        )
        call_list.version = 1
        call_list.save()
    campaign, created = Campaign.objects.get_or_create(
        client=client,
        name="Winter energy offer",
        defaults={
            "location": location,
            "objective_target": 200,
            "planned_hours": 400,
            "work_sheet": sheet,
            "dial_mode": DialMode.PREDICTIVE,
            "caller_id": "+40215550100",
            "script": "Good day, this is {agent} from Energia Verde. We have a winter offer for your home...",
            # The demo dials at any hour so that it is alive whenever someone opens it; a real
            # campaign keeps the legal 08:00-21:00 in the called person's time zone.
            "calling_hours_start": datetime.time(0, 0),
            "calling_hours_end": datetime.time(23, 59, 59),
            "calling_days": [0, 1, 2, 3, 4, 5, 6],
            "safe_harbour_message": "sound:demo-safe-harbour",
            "state": CampaignState.RUNNING,
        },
    )
    if created:
        campaign.statuses.set(Status.objects.filter(company=company, is_active=True))
        campaign.products.set([product])
        campaign.teams.set([team])
        campaign.list_links.create(call_list=call_list, priority=1)
