"""Products a company sells in its campaigns, and their prices over time."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dialcrm.core.audit import AuditedModel
from dialcrm.core.choices import Role
from dialcrm.core.constraints import unique_name
from dialcrm.core.periods import first_overlap
from dialcrm.core.policy import ADD, ALL_ROLES, CHANGE, DELETE, VIEW, Policy, ScopedQuerySet

CATALOG_EDITORS = frozenset({Role.ADMINISTRATOR, Role.MANAGER, Role.BACK_OFFICE})
CURRENCIES = [("RON", "RON"), ("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP")]


class Product(AuditedModel):
    """Something a campaign sells or promotes (a subscription, a policy, a device...)."""

    company = models.ForeignKey(
        "org.Company", on_delete=models.PROTECT, related_name="products", verbose_name=_("company")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(
        _("unit"), max_length=40, default="pcs", help_text=_("e.g. pcs, month, contract")
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="company",
        roles={VIEW: ALL_ROLES, **dict.fromkeys((ADD, CHANGE, DELETE), CATALOG_EDITORS)},
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [
            unique_name(
                "company",
                name="product_code_unique_ci",
                message=_("A product with this code exists already."),
                field="code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def price_on(self, day: datetime.date, currency: str | None = None) -> ProductPrice | None:
        prices = self.prices.filter(valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )
        if currency:
            prices = prices.filter(currency=currency)
        return prices.order_by("-valid_from").first()


class ProductPrice(AuditedModel):
    """A product's selling price (and production cost) in one currency for a period."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="prices", verbose_name=_("product")
    )
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    production_cost = models.DecimalField(
        _("production cost"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="RON")
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="product__company",
        roles={
            VIEW: ALL_ROLES - {Role.AGENT},
            **dict.fromkeys((ADD, CHANGE, DELETE), CATALOG_EDITORS),
        },
    )

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["product", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.price} {self.currency} from {self.valid_from}"

    @property
    def audit_company_id(self) -> int:
        return self.product.company_id

    def clean(self) -> None:
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end is before the start.")})
        if not self.product_id or not self.valid_from:
            return
        clash = first_overlap(
            ProductPrice.objects.filter(product_id=self.product_id, currency=self.currency).exclude(
                pk=self.pk
            ),
            self.valid_from,
            self.valid_until,
        )
        if clash is not None:
            raise ValidationError(
                {
                    "valid_from": _(
                        "This period overlaps the price valid from %(start)s; end that one first."
                    )
                    % {"start": clash.valid_from}
                }
            )
