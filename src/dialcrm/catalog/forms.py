"""Forms of the catalog screens."""

from __future__ import annotations

from django import forms

from dialcrm.catalog.models import Product, ProductPrice
from dialcrm.core.crud import ScopedModelForm


class ProductForm(ScopedModelForm):
    class Meta:
        model = Product
        fields = ["company", "code", "name", "unit", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ProductPriceForm(ScopedModelForm):
    class Meta:
        model = ProductPrice
        fields = ["price", "production_cost", "currency", "valid_from", "valid_until"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }
