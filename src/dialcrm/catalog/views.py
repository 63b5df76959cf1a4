"""Screens of the catalog: products, with their prices on the product's page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.catalog import services
from dialcrm.catalog.forms import ProductForm, ProductPriceForm
from dialcrm.catalog.models import Product, ProductPrice
from dialcrm.core.crud import (
    Column,
    ObjectDeactivateView,
    ObjectFormView,
    ObjectListView,
    ObjectScreen,
    apply_form_errors,
)
from dialcrm.core.policy import ADD, CHANGE, VIEW, access, may


class ProductList(ObjectListView):
    model = Product
    url_prefix = "catalog:product"
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Code"), "code"),
        Column(gettext_lazy("Unit"), "unit"),
    ]
    search_fields = ("name", "code", "description")


class ProductEdit(ObjectFormView):
    model = Product
    url_prefix = "catalog:product"
    form_class = ProductForm
    template_name = "catalog/product_form.html"

    def save(self, form: Any, instance: Any) -> Any:
        return services.save_product(self.request.user, instance, form.cleaned_values())

    def context(self, **extra: Any) -> dict[str, Any]:
        context = super().context(**extra)
        product = extra.get("object")
        user = self.request.user
        if product is not None and product.pk:
            context["prices"] = ProductPrice.objects.for_user(user, VIEW).filter(product=product)
            if may(user, ADD, ProductPrice):
                context["price_form"] = extra.get("price_form") or ProductPriceForm(user=user)
        return context


class ProductPriceAdd(ObjectScreen):
    """Adds a price from the product's page."""

    model = ProductPrice
    url_prefix = "catalog:product"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = access(Product, request.user, pk, CHANGE)
        form = ProductPriceForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.save_price(
                    request.user, ProductPrice(product=product), form.cleaned_values()
                )
            except ValidationError as error:
                apply_form_errors(form, error)
            else:
                messages.success(request, _("Price added."))
                return redirect("catalog:product_edit", pk)
        view = ProductEdit()
        view.setup(request, pk=pk)
        return view.render_form(view.get_form(product), product, status=422, price_form=form)


class ProductDeactivate(ObjectDeactivateView):
    model = Product
    url_prefix = "catalog:product"


app_name = "catalog"
urlpatterns = [
    path("products/", ProductList.as_view(), name="product_list"),
    path("products/add/", ProductEdit.as_view(), name="product_add"),
    path("products/<int:pk>/", ProductEdit.as_view(), name="product_edit"),
    path("products/<int:pk>/deactivate/", ProductDeactivate.as_view(), name="product_deactivate"),
    path("products/<int:pk>/prices/", ProductPriceAdd.as_view(), name="product_price_add"),
]
