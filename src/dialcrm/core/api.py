"""The core of the JSON API: authentication (session or API token), errors as JSON, and the
routes for the audit log and the network allow-list."""

import datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.pagination import paginate
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from dialcrm.core import audit, services
from dialcrm.core.models import ApiToken, AuditEntry, NetworkRule, TokenScope
from dialcrm.core.policy import ACTION_LABELS, CHANGE, DELETE, VIEW, access, may

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _use_token(request: HttpRequest, key: str) -> ApiToken | None:
    token = ApiToken.find(key)
    if token is None or not token.staff.is_active:
        return None
    if token.scope == TokenScope.READ and request.method not in SAFE_METHODS:
        raise HttpError(403, _("This API token may only read; ask for a read-and-write token."))
    request.user = token.staff
    request.api_token = token  # type: ignore[attr-defined]
    # The middleware resets the actor when the request ends.
    audit._current_actor.set(
        audit.Actor(staff_id=token.staff_id, token_id=token.pk, address=request.client_address)  # type: ignore[attr-defined]
    )
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


class BearerToken(HttpBearer):
    """`Authorization: Bearer dcrm_...`"""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return _use_token(request, token)


class HeaderToken(APIKeyHeader):
    """`X-API-Key: dcrm_...` for tools that cannot set a bearer header."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiToken | None:
        return _use_token(request, key) if key else None


class ActiveSession(SessionAuth):
    """A signed-in browser session (CSRF checked on writes)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [BearerToken(), HeaderToken(), ActiveSession()]


def field_errors(error: ValidationError) -> list[dict[str, Any]]:
    if hasattr(error, "error_dict"):
        return [
            {"field": None if field == NON_FIELD_ERRORS else field, "message": message}
            for field, errors in error.message_dict.items()
            for message in errors
        ]
    return [{"field": None, "message": message} for message in error.messages]


_LOCATIONS = {"body", "payload", "query", "path", "header", "cookie", "form", "file"}


def install_error_handlers(api: NinjaAPI) -> None:
    """Every refusal is JSON with a clear reason: 401, 403, 404, 422; never a 500 page."""

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, error: ValidationError) -> Any:
        return api.create_response(request, {"detail": field_errors(error)}, status=422)

    @api.exception_handler(SchemaValidationError)
    def schema_error(request: HttpRequest, error: SchemaValidationError) -> Any:
        details = []
        for item in error.errors:
            path = [str(part) for part in item.get("loc", ()) if part not in _LOCATIONS]
            details.append({"field": ".".join(path) or None, "message": item.get("msg", "")})
        return api.create_response(request, {"detail": details}, status=422)

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, error: PermissionDenied) -> Any:
        message = str(error) or _("You may not do this.")
        return api.create_response(request, {"detail": message}, status=403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, error: Http404) -> Any:
        message = str(error) or _("Not found.")
        return api.create_response(request, {"detail": message}, status=404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, error: AuthenticationError) -> Any:
        return api.create_response(
            request,
            {"detail": _("Sign in, or send an API token as 'Authorization: Bearer <token>'.")},
            status=401,
        )


def require(user: Any, action: str, model: Any) -> None:
    if not may(user, action, model):
        raise PermissionDenied(
            _("You may not %(action)s %(name)s.")
            % {"action": ACTION_LABELS[action], "name": model._meta.verbose_name_plural}
        )


router = Router(tags=["administration"])


class AuditEntryOut(Schema):
    id: int
    at: datetime.datetime
    action: str
    staff_id: int | None
    token_id: int | None
    address: str | None
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    summary: str


@router.get("/audit", response=list[AuditEntryOut])
@paginate
def list_audit_entries(
    request: HttpRequest,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    staff_id: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> Any:
    require(request.user, VIEW, AuditEntry)
    entries = AuditEntry.objects.for_user(request.user)
    filters = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "staff_id": staff_id,
        "at__date__gte": since,
        "at__date__lte": until,
    }
    return entries.filter(**{key: value for key, value in filters.items() if value is not None})


class NetworkRuleIn(Schema):
    network: str = Field(max_length=64)
    description: str = Field("", max_length=200)
    location_id: int | None = None


class NetworkRuleOut(Schema):
    id: int
    network: str
    description: str
    location_id: int | None
    is_active: bool


def _network_values(request: HttpRequest, payload: NetworkRuleIn) -> dict[str, Any]:
    from dialcrm.org.models import Location

    values = payload.dict(exclude={"location_id"})
    location_id = payload.location_id
    values["location"] = access(Location, request.user, location_id) if location_id else None
    return values


@router.get("/networks", response=list[NetworkRuleOut])
@paginate
def list_network_rules(request: HttpRequest) -> Any:
    require(request.user, VIEW, NetworkRule)
    return NetworkRule.objects.for_user(request.user)


@router.post("/networks", response={201: NetworkRuleOut})
def create_network_rule(request: HttpRequest, payload: NetworkRuleIn) -> Any:
    rule = services.save_network_rule(
        request.user, NetworkRule(), _network_values(request, payload)
    )
    return 201, rule


@router.patch("/networks/{rule_id}", response=NetworkRuleOut)
def update_network_rule(request: HttpRequest, rule_id: int, payload: NetworkRuleIn) -> Any:
    rule = access(NetworkRule, request.user, rule_id, CHANGE)
    return services.save_network_rule(request.user, rule, _network_values(request, payload))


@router.delete("/networks/{rule_id}", response=NetworkRuleOut)
def deactivate_network_rule(request: HttpRequest, rule_id: int) -> Any:
    rule = access(NetworkRule, request.user, rule_id, DELETE)
    services.deactivate_network_rule(request.user, rule)
    return rule
