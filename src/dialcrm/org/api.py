"""API routes of the organisation: companies, locations, teams and staff."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from dialcrm.core.api_crud import add_crud_routes
from dialcrm.core.choices import AgentLevel, Role
from dialcrm.core.policy import access
from dialcrm.org import services
from dialcrm.org.models import Company, Location, Staff, Team

router = Router(tags=["organisation"])


def _related(request: HttpRequest, model: Any, object_id: int | None) -> Any:
    """A referenced object, which must be visible to the caller (else 404)."""
    return access(model, request.user, object_id) if object_id else None


class CompanyIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    legal_id: str = Field("", max_length=50)
    time_zone: str = Field("Europe/Bucharest", max_length=64)


class CompanyOut(CompanyIn):
    id: int
    is_active: bool


add_crud_routes(
    router,
    model=Company,
    path="companies",
    schema_in=CompanyIn,
    schema_out=CompanyOut,
    values=lambda request, payload, instance: payload.dict(),
    search_fields=("name", "legal_id"),
)


class LocationIn(Schema):
    company_id: int
    name: str = Field(min_length=1, max_length=200)
    address: str = Field("", max_length=300)
    time_zone: str = Field("Europe/Bucharest", max_length=64)


class LocationOut(LocationIn):
    id: int
    is_active: bool


add_crud_routes(
    router,
    model=Location,
    path="locations",
    schema_in=LocationIn,
    schema_out=LocationOut,
    values=lambda request, payload, instance: {
        **payload.dict(exclude={"company_id"}),
        "company": _related(request, Company, payload.company_id),
    },
    search_fields=("name", "address"),
)


class TeamIn(Schema):
    location_id: int
    name: str = Field(min_length=1, max_length=200)
    leader_id: int | None = None


class TeamOut(TeamIn):
    id: int
    is_active: bool


add_crud_routes(
    router,
    model=Team,
    path="teams",
    schema_in=TeamIn,
    schema_out=TeamOut,
    values=lambda request, payload, instance: {
        "name": payload.name,
        "location": _related(request, Location, payload.location_id),
        "leader": _related(request, Staff, payload.leader_id),
    },
    search_fields=("name", "location__name"),
)


class StaffIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    company_id: int
    location_id: int | None = None
    team_id: int | None = None
    role: Role
    level: AgentLevel | None = None
    language: str = Field("en", pattern="^(en|ro)$")
    password: str | None = Field(
        None, description="Temporary password for a new person (changed at first sign-in)."
    )


class StaffOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    phone: str
    company_id: int | None
    location_id: int | None
    team_id: int | None
    role: str
    level: str
    language: str
    is_active: bool


def _staff_values(request: HttpRequest, payload: StaffIn, instance: Staff) -> dict[str, Any]:
    values = payload.dict(exclude={"company_id", "location_id", "team_id", "password"})
    values["level"] = payload.level or ""
    values["company"] = _related(request, Company, payload.company_id)
    values["location"] = _related(request, Location, payload.location_id)
    values["team"] = _related(request, Team, payload.team_id)
    return values


def _save_staff(actor: Any, instance: Staff, values: dict[str, Any]) -> Staff:
    return services.save_staff(actor, instance, values, password=values.pop("_password", ""))


add_crud_routes(
    router,
    model=Staff,
    path="staff",
    schema_in=StaffIn,
    schema_out=StaffOut,
    values=lambda request, payload, instance: {
        **_staff_values(request, payload, instance),
        "_password": payload.password or "",
    },
    search_fields=("username", "first_name", "last_name", "email"),
    save=_save_staff,
    deactivate=services.deactivate_staff,
)
