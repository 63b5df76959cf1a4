"""The agent's sales panel on the desk: how many of their sales wait, were returned to them
(to fix and resubmit), were accepted or cancelled, with a link to their sales."""

from __future__ import annotations

from typing import Any

from django import template

from dialcrm.core.choices import Role
from dialcrm.quality.services import my_sale_counts

register = template.Library()


@register.inclusion_tag("quality/_desk_sales.html", takes_context=True)
def my_sales_panel(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    if getattr(user, "role", None) != Role.AGENT:
        return {"counts": None}
    return {"counts": my_sale_counts(user)}
