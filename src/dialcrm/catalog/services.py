"""Actions on the catalog: products and their prices."""

from __future__ import annotations

import datetime
from typing import Any

from dialcrm.catalog.models import Product, ProductPrice
from dialcrm.core.services import save_object


def save_product(actor: Any, product: Product, values: dict[str, Any]) -> Product:
    return save_object(actor, product, values)


def save_price(actor: Any, price: ProductPrice, values: dict[str, Any]) -> ProductPrice:
    """Add or change a price; periods of one currency may not overlap."""
    return save_object(actor, price, values)


def current_price(product: Product, currency: str | None = None) -> ProductPrice | None:
    return product.price_on(datetime.date.today(), currency)
