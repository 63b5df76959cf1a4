"""The five routes every organisation-like resource has in the API (list with search, read,
create, update, deactivate), built once so that all resources behave alike.

No `from __future__ import annotations` here: Django Ninja reads the payload types of the route
functions made inside `add_crud_routes`.
"""

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import Q
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from dialcrm.core.api import require
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, access
from dialcrm.core.services import deactivate_object, save_object

Values = Callable[[HttpRequest, Any, Any], dict[str, Any]]


def add_crud_routes(
    router: Router,
    *,
    model: type[models.Model],
    path: str,
    schema_in: type[Schema],
    schema_out: type[Schema],
    values: Values,
    search_fields: tuple[str, ...],
    save: Callable[..., Any] = save_object,
    deactivate: Callable[[Any, Any], Any] = deactivate_object,
) -> None:
    name = model._meta.model_name

    @router.get(f"/{path}", response=list[schema_out], operation_id=f"list_{name}")
    @paginate
    def list_objects(request: HttpRequest, q: str = "", include_inactive: bool = False) -> Any:
        require(request.user, VIEW, model)
        queryset = model.objects.for_user(request.user)  # type: ignore[attr-defined]
        if not include_inactive and hasattr(model, "is_active"):
            queryset = queryset.filter(is_active=True)
        if q.strip():
            condition = Q()
            for field in search_fields:
                condition |= Q(**{f"{field}__icontains": q.strip()})
            queryset = queryset.filter(condition)
        return queryset

    @router.get(f"/{path}/{{object_id}}", response=schema_out, operation_id=f"get_{name}")
    def get_object(request: HttpRequest, object_id: int) -> Any:
        return access(model, request.user, object_id, VIEW)

    @router.post(f"/{path}", response={201: schema_out}, operation_id=f"create_{name}")
    def create_object(request: HttpRequest, payload: schema_in) -> Any:  # type: ignore[valid-type]
        require(request.user, ADD, model)
        instance = model()
        return 201, save(request.user, instance, values(request, payload, instance))

    @router.patch(f"/{path}/{{object_id}}", response=schema_out, operation_id=f"update_{name}")
    def update_object(request: HttpRequest, object_id: int, payload: schema_in) -> Any:  # type: ignore[valid-type]
        instance = access(model, request.user, object_id, CHANGE)
        return save(request.user, instance, values(request, payload, instance))

    @router.delete(f"/{path}/{{object_id}}", response=schema_out, operation_id=f"deactivate_{name}")
    def deactivate_object_route(request: HttpRequest, object_id: int) -> Any:
        instance = access(model, request.user, object_id, DELETE)
        deactivate(request.user, instance)
        return instance
