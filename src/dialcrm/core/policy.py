"""Who may do what, on which objects: one mechanism for every view, API route and command.

Each role works at a scope: the whole company, one location, their team(s), or only their own
work. A model declares a `policy` (a `Policy`): the lookup that ties its rows to a company, a
location, a team and a person, and which roles may view, add, change and delete it. Querysets are
restricted with `Model.objects.for_user(user, action)`; single objects are fetched with
`access(Model, user, pk, action)`, which answers "not found" for objects outside the user's
scope (so their existence does not leak) and "not allowed" for objects seen but not changeable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.core.choices import Role

if TYPE_CHECKING:
    from dialcrm.org.models import Staff

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ACTIONS = (VIEW, ADD, CHANGE, DELETE)
ACTION_LABELS = {
    VIEW: gettext_lazy("view"),
    ADD: gettext_lazy("add"),
    CHANGE: gettext_lazy("change"),
    DELETE: gettext_lazy("deactivate"),
}
ALL_ROLES = frozenset(Role.values)
COMPANY_ROLES = frozenset(
    {Role.ADMINISTRATOR, Role.MANAGER, Role.HUMAN_RESOURCES, Role.QUALITY, Role.BACK_OFFICE}
)

M = TypeVar("M", bound=models.Model)


class Scope:
    COMPANY, LOCATION, TEAM, OWN = "company", "location", "team", "own"


ROLE_SCOPE = {
    **{role: Scope.COMPANY for role in COMPANY_ROLES},
    Role.LOCATION_MANAGER: Scope.LOCATION,
    Role.TEAM_LEADER: Scope.TEAM,
    Role.AGENT: Scope.OWN,
}
_NARROWER_FIRST = (Scope.OWN, Scope.TEAM, Scope.LOCATION, Scope.COMPANY)


@dataclass(frozen=True)
class Policy:
    """How a model's rows belong to the organisation, and which roles may act on them.

    Each path is a lookup from the model to a company id, location id, team id or staff id. A role
    uses the path of its own scope, or the next broader one the model has (an agent sees the
    location they work at through the location path).
    """

    company: str
    location: str | None = None
    team: str | Callable[[Any], Q] | None = None  # a lookup to a team id, or a filter
    own: str | Callable[[Any], Q] | None = None  # a lookup to the person, or a filter
    roles: dict[str, frozenset[str]] = field(default_factory=dict)
    # Set when a path crosses a many-to-many relation, so a row is not listed twice.
    distinct: bool = False

    def allowed_roles(self, action: str) -> frozenset[str]:
        return self.roles.get(action, frozenset())


def team_ids(user: Staff) -> list[int]:
    """The teams a person works in or leads."""
    ids = list(user.led_teams.values_list("pk", flat=True))
    if user.team_id:
        ids.append(user.team_id)
    return ids


def _own_filter(policy: Policy, user: Staff) -> Q:
    own = policy.own
    return own(user) if callable(own) else Q(**{own: user.pk})


def _scope_filter(policy: Policy, user: Staff) -> Q | None:
    """The filter for the user's scope; None means nothing is visible."""
    scope = ROLE_SCOPE.get(user.role)
    if scope is None or not user.company_id:
        return None
    start = _NARROWER_FIRST.index(scope)
    for level in _NARROWER_FIRST[start:]:
        path = getattr(policy, level)
        if path is None:
            continue
        if level == Scope.OWN:
            return _own_filter(policy, user)
        if level == Scope.TEAM:
            condition = path(user) if callable(path) else Q(**{f"{path}__in": team_ids(user)})
            return condition | _own_filter(policy, user) if policy.own else condition
        if level == Scope.LOCATION:
            return Q(**{path: user.location_id}) if user.location_id else None
        return Q(**{path: user.company_id})
    return None


def policy_of(model: type[models.Model]) -> Policy:
    policy = getattr(model, "policy", None)
    if not isinstance(policy, Policy):
        raise TypeError(f"{model.__name__} declares no access policy")
    return policy


def is_active_user(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may(user: Any, action: str, model: type[models.Model]) -> bool:
    """May this user do this action on some object of this model at all?"""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return user.role in policy_of(model).allowed_roles(action)


def restrict(queryset: models.QuerySet[M], user: Any, action: str = VIEW) -> models.QuerySet[M]:
    """The rows of the queryset this user may act on."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not is_active_user(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    policy = policy_of(queryset.model)
    if user.role not in policy.allowed_roles(action):
        return queryset.none()
    condition = _scope_filter(policy, user)
    if condition is None:
        return queryset.none()
    queryset = queryset.filter(condition)
    return queryset.distinct() if policy.distinct else queryset


def can(user: Any, action: str, instance: models.Model) -> bool:
    """May this user do this action on this object?"""
    if instance.pk is None:
        return may(user, action, type(instance))
    return (
        restrict(type(instance)._default_manager.all(), user, action)
        .filter(pk=instance.pk)
        .exists()
    )


def access(model: type[M], user: Any, pk: Any, action: str = VIEW) -> M:
    """Fetch an object for an action: 404 when missing or out of sight, 403 when seen only."""
    visible = restrict(model._default_manager.all(), user, VIEW)
    try:
        instance = visible.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such %(name)s.") % {"name": model._meta.verbose_name}) from None
    if action != VIEW and not can(user, action, instance):
        raise PermissionDenied(
            _("You may not %(action)s this %(name)s.")
            % {"action": ACTION_LABELS[action], "name": model._meta.verbose_name}
        )
    return instance


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to restrict itself to what a user may see or do."""

    def for_user(self, user: Any, action: str = VIEW) -> ScopedQuerySet:
        return restrict(self, user, action)
