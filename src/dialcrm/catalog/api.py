"""API routes of the catalog: products and their prices."""

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from dialcrm.catalog import services
from dialcrm.catalog.models import CURRENCIES, Product, ProductPrice
from dialcrm.core.api import require
from dialcrm.core.api_crud import add_crud_routes
from dialcrm.core.policy import ADD, CHANGE, VIEW, access
from dialcrm.org.models import Company

router = Router(tags=["catalog"])
CURRENCY_PATTERN = "^(" + "|".join(code for code, _label in CURRENCIES) + ")$"


class ProductIn(Schema):
    company_id: int
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field("pcs", min_length=1, max_length=40)
    description: str = Field("", max_length=5000)


class ProductOut(ProductIn):
    id: int
    is_active: bool


add_crud_routes(
    router,
    model=Product,
    path="products",
    schema_in=ProductIn,
    schema_out=ProductOut,
    values=lambda request, payload, instance: {
        **payload.dict(exclude={"company_id"}),
        "company": access(Company, request.user, payload.company_id),
    },
    search_fields=("name", "code"),
    save=services.save_product,
)


class PriceIn(Schema):
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    production_cost: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("RON", pattern=CURRENCY_PATTERN)
    valid_from: datetime.date
    valid_until: datetime.date | None = None


class PriceOut(PriceIn):
    id: int
    product_id: int


@router.get("/products/{product_id}/prices", response=list[PriceOut])
def list_prices(request: HttpRequest, product_id: int) -> Any:
    require(request.user, VIEW, ProductPrice)
    product = access(Product, request.user, product_id)
    return ProductPrice.objects.for_user(request.user).filter(product=product)


@router.post("/products/{product_id}/prices", response={201: PriceOut})
def add_price(request: HttpRequest, product_id: int, payload: PriceIn) -> Any:
    require(request.user, ADD, ProductPrice)
    product = access(Product, request.user, product_id, CHANGE)
    price = services.save_price(request.user, ProductPrice(product=product), payload.dict())
    return 201, price
