"""Actions of the core app: signing in (throttled, two-factor), passwords, API tokens, the
network allow-list, and the one way every app saves an object on behalf of a person."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TypeVar

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dialcrm.core import audit
from dialcrm.core.choices import AuditAction
from dialcrm.core.constraints import on_name_field
from dialcrm.core.models import ApiToken, NetworkRule, TotpDevice
from dialcrm.core.network import forget_rules, location_allows
from dialcrm.core.policy import ADD, CHANGE, DELETE, can, may

M = TypeVar("M", bound=models.Model)


# --- saving objects on behalf of a person -------------------------------------------------


def save_object(user: Any, instance: M, values: dict[str, Any]) -> M:
    """Create or update an object for a person: permission, validation, scope, audit.

    The object must be inside the person's scope after the change (a location manager cannot
    move a team to another location); otherwise nothing is written.
    """
    action = ADD if instance.pk is None else CHANGE
    if instance.pk is None and not may(user, ADD, type(instance)):
        raise PermissionDenied(
            _("You may not add a %(name)s.") % {"name": instance._meta.verbose_name}
        )
    if instance.pk is not None and not can(user, CHANGE, instance):
        raise PermissionDenied(
            _("You may not change this %(name)s.") % {"name": instance._meta.verbose_name}
        )
    with transaction.atomic():
        for name, value in values.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
        except ValidationError as error:
            raise on_name_field(error) from None
        instance.save()
        if not can(user, action, instance):
            raise PermissionDenied(_("The result would be outside what you manage."))
    return instance


def deactivate_object(user: Any, instance: M) -> M:
    """Deactivate (never delete) an object: it stays in history and reports."""
    if not can(user, DELETE, instance):
        raise PermissionDenied(
            _("You may not deactivate this %(name)s.") % {"name": instance._meta.verbose_name}
        )
    with transaction.atomic():
        instance.is_active = False  # type: ignore[attr-defined]
        instance.save()
    return instance


# --- signing in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInResult:
    """What a sign-in attempt gave: a user (maybe still needing a code) or a reason."""

    user: Any = None
    error: str = ""
    needs_code: bool = False


def _failure_keys(username: str, address: str) -> tuple[str, str]:
    return f"signin-fail:account:{username.lower()}", f"signin-fail:address:{address}"


def _count_failure(key: str) -> int:
    if cache.add(key, 1, settings.LOGIN_LOCKOUT_S):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, settings.LOGIN_LOCKOUT_S)
        return 1


def _lockout_message() -> str:
    minutes = max(1, settings.LOGIN_LOCKOUT_S // 60)
    return _(
        "Too many failed sign-ins. Sign-in is locked for %(minutes)d minutes; an administrator "
        "can unlock it sooner."
    ) % {"minutes": minutes}


def is_locked_out(username: str, address: str) -> bool:
    account_key, address_key = _failure_keys(username, address)
    return (cache.get(account_key) or 0) >= settings.LOGIN_FAILURES_PER_ACCOUNT or (
        cache.get(address_key) or 0
    ) >= settings.LOGIN_FAILURES_PER_ADDRESS


def unlock_account(username: str) -> None:
    cache.delete(_failure_keys(username, "")[0])


def check_credentials(request: HttpRequest, username: str, password: str) -> SignInResult:
    """First step of signing in: throttling, password, active account, location network."""
    address = request.client_address  # type: ignore[attr-defined]
    username = username.strip()
    if is_locked_out(username, address):
        return SignInResult(error=_lockout_message())
    user = authenticate(request, username=username, password=password)
    if user is None:
        known = get_user_model().objects.filter(username__iexact=username).first()
        if known is not None and not known.is_active and known.check_password(password):
            _record_failure(username, address, known, "deactivated account")
            return SignInResult(
                error=_("This account is deactivated. Ask your administrator to reactivate it.")
            )
        _record_failure(username, address, known, "wrong username or password")
        if is_locked_out(username, address):
            return SignInResult(error=_lockout_message())
        return SignInResult(error=_("Wrong username or password."))
    if not location_allows(user.location_id, address):
        audit.record(
            AuditAction.REFUSED,
            actor=audit.Actor(staff_id=user.pk, address=address),
            company_id=user.company_id,
            summary="sign-in from outside the location's networks",
        )
        return SignInResult(
            error=_(
                "You may sign in only from your location's networks (this address: %(address)s)."
            )
            % {"address": address}
        )
    device = TotpDevice.objects.filter(staff=user, is_confirmed=True).first()
    return SignInResult(user=user, needs_code=device is not None)


def _record_failure(username: str, address: str, known: Any, reason: str) -> None:
    account_key, address_key = _failure_keys(username, address)
    _count_failure(account_key)
    _count_failure(address_key)
    audit.record(
        AuditAction.SIGN_IN_FAILED,
        actor=audit.Actor(staff_id=known.pk if known else None, address=address),
        company_id=known.company_id if known else None,
        summary=f"{username[:80]}: {reason}",
    )


def record_sign_in(user: Any, address: str) -> None:
    unlock_account(user.username)
    audit.record(
        AuditAction.SIGN_IN,
        actor=audit.Actor(staff_id=user.pk, address=address),
        instance=user,
        summary="signed in",
    )


def record_sign_out(user: Any, address: str) -> None:
    audit.record(
        AuditAction.SIGN_OUT,
        actor=audit.Actor(staff_id=user.pk, address=address),
        instance=user,
        summary="signed out",
    )


# --- two-factor ------------------------------------------------------------------------------


def start_two_factor_setup(user: Any) -> TotpDevice:
    """The person's authenticator secret, created on first use and kept until confirmed, so
    the code typed matches the secret scanned."""
    device, _created = TotpDevice.objects.get_or_create(
        staff=user, defaults={"secret": pyotp.random_base32()}
    )
    return device


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.staff.username, issuer_name="dialcrm"
    )


def verify_code(device: TotpDevice, code: str) -> bool:
    """Check a six-digit code; each code is accepted once (no replay)."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(device.secret)
    now = time.time()
    for drift in (0, -1, 1):
        step = int(now // totp.interval) + drift
        if step > device.last_used_step and totp.at(step * totp.interval) == code:
            with transaction.atomic():
                locked = TotpDevice.objects.select_for_update().get(pk=device.pk)
                if step <= locked.last_used_step:
                    return False
                locked.last_used_step = step
                locked.is_confirmed = True
                locked.save(update_fields=["last_used_step", "is_confirmed"])
            device.refresh_from_db()
            return True
    return False


# --- passwords -------------------------------------------------------------------------------


def change_password(user: Any, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("Your current password is not right.")})
    if old_password == new_password:
        raise ValidationError(
            {"new_password": _("Choose a password different from the current one.")}
        )
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save()


def reset_password(actor: Any, staff: Any, temporary_password: str) -> None:
    """An administrator (or HR, location manager) sets a temporary password for someone."""
    if not can(actor, CHANGE, staff):
        raise PermissionDenied(_("You may not reset this person's password."))
    validate_password(temporary_password, staff)
    staff.set_password(temporary_password)
    staff.must_change_password = True
    staff.password_changed_at = timezone.now()
    staff.save()
    unlock_account(staff.username)


# --- API tokens ------------------------------------------------------------------------------


def create_token(actor: Any, values: dict[str, Any]) -> tuple[ApiToken, str]:
    """Create a token and return it with its key, which is never shown again."""
    token = ApiToken()
    key = token.issue_key()
    save_object(actor, token, values)
    return token, key


def revoke_token(actor: Any, token: ApiToken) -> None:
    if not can(actor, DELETE, token):
        raise PermissionDenied(_("You may not revoke this token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save()


# --- network rules -----------------------------------------------------------------------------


def save_network_rule(actor: Any, rule: NetworkRule, values: dict[str, Any]) -> NetworkRule:
    location = values.get("location")
    if location is not None:
        values = {**values, "company": location.company}
    elif not actor.is_superuser:
        raise ValidationError(
            {"location": _("Choose a location: installation-wide rules are set by the superuser.")}
        )
    rule = save_object(actor, rule, values)
    transaction.on_commit(forget_rules)
    return rule


def deactivate_network_rule(actor: Any, rule: NetworkRule) -> None:
    deactivate_object(actor, rule)
    transaction.on_commit(forget_rules)
