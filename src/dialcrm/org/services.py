"""Actions on the organisation: adding and changing staff within what the actor may grant."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialcrm.core.choices import Role
from dialcrm.core.services import save_object
from dialcrm.org.models import Company, Location, Staff, Team

# The roles each role may give; nobody grants more than they hold.
_GRANTABLE = {
    Role.ADMINISTRATOR: frozenset(Role.values),
    Role.HUMAN_RESOURCES: frozenset(Role.values) - {Role.ADMINISTRATOR},
    Role.LOCATION_MANAGER: frozenset({Role.TEAM_LEADER, Role.AGENT}),
}


def grantable_roles(actor: Any) -> frozenset[str]:
    if actor.is_superuser:
        return frozenset(Role.values)
    return _GRANTABLE.get(actor.role, frozenset())


def save_staff(actor: Any, staff: Staff, values: dict[str, Any], password: str = "") -> Staff:
    """Add or change a staff member. A new member gets a temporary password to change."""
    allowed = grantable_roles(actor)
    if staff.pk is not None and staff.role not in allowed:
        raise PermissionDenied(
            _("You may not change a person with the role %(role)s.")
            % {"role": staff.get_role_display()}
        )
    role = values.get("role", staff.role)
    if role not in allowed:
        raise ValidationError(
            {
                "role": _("You may not give the role %(role)s.")
                % {"role": Role(role).label if role in Role.values else role}
            }
        )
    if staff.pk is not None and staff.pk == actor.pk and role != staff.role:
        raise ValidationError({"role": _("You cannot change your own role.")})
    with transaction.atomic():
        if staff.pk is None:
            if not password:
                raise ValidationError({"password": _("Give a temporary password.")})
            candidate = Staff(**{k: v for k, v in values.items() if k != "password"})
            validate_password(password, candidate)
            staff.set_password(password)
            staff.must_change_password = True
            staff.password_changed_at = timezone.now()
        if (
            values.get("username")
            and Staff.objects.filter(username__iexact=values["username"])
            .exclude(pk=staff.pk)
            .exists()
        ):
            raise ValidationError({"username": _("This username is taken.")})
        return save_object(actor, staff, values)


def deactivate_staff(actor: Any, staff: Staff) -> Staff:
    from dialcrm.core.services import deactivate_object

    if staff.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if staff.role not in grantable_roles(actor):
        raise PermissionDenied(_("You may not deactivate a person with this role."))
    return deactivate_object(actor, staff)


def companies_for(actor: Any) -> Any:
    return Company.objects.for_user(actor).filter(is_active=True)


def locations_for(actor: Any) -> Any:
    return Location.objects.for_user(actor).filter(is_active=True)


def teams_for(actor: Any) -> Any:
    return Team.objects.for_user(actor).filter(is_active=True)
