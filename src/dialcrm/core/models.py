"""Cross-cutting records: the audit log, the network allow-list, API tokens, TOTP devices."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialcrm.core.audit import AuditedModel
from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, Policy, ScopedQuerySet

_ADMINS = frozenset({Role.ADMINISTRATOR})


class AuditEntry(models.Model):
    """One action by a person or an API token. Append-only: never edited or deleted."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=24, choices=AuditAction.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    token = models.ForeignKey(
        "core.ApiToken", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    company = models.ForeignKey(
        "org.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="company", roles={VIEW: _ADMINS})

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["company", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["staff", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_repr}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValidationError(_("Audit entries cannot be changed."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Audit entries cannot be deleted."))


class NetworkRule(AuditedModel):
    """A network allowed to reach dialcrm: installation-wide, or for one location's staff."""

    network = models.CharField(_("network"), max_length=64, help_text=_("e.g. 10.1.0.0/16"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    company = models.ForeignKey(
        "org.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="network_rules",
        verbose_name=_("company"),
        help_text=_("Empty for a rule of the whole installation."),
    )
    location = models.ForeignKey(
        "org.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="network_rules",
        verbose_name=_("location"),
        help_text=_("Empty for a rule of the whole installation."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="company",
        location="location",
        roles=dict.fromkeys((VIEW, ADD, CHANGE, DELETE), _ADMINS),
    )

    class Meta:
        verbose_name = _("allowed network")
        verbose_name_plural = _("allowed networks")
        ordering = ["location__name", "network"]

    def __str__(self) -> str:
        return self.network

    def clean(self) -> None:
        try:
            self.network = str(ipaddress.ip_network(self.network.strip(), strict=False))
        except ValueError:
            raise ValidationError(
                {
                    "network": _(
                        "'%(value)s' is not a network: write an address or a CIDR block such "
                        "as 192.168.10.0/24 or 2001:db8::/32."
                    )
                    % {"value": self.network}
                }
            ) from None
        if self.location_id and self.company_id != self.location.company_id:
            raise ValidationError({"location": _("The location belongs to another company.")})


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(AuditedModel):
    """A revocable key for an integration; it acts as its owner, within its scope.

    Only a SHA-256 digest of the key is stored; the key is shown once, when created.
    """

    PREFIX = "dcrm_"

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        verbose_name=_("acts as"),
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(
        _("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ
    )
    key_prefix = models.CharField(max_length=16, editable=False)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="staff__company", roles=dict.fromkeys((VIEW, ADD, CHANGE, DELETE), _ADMINS)
    )
    audit_exclude = ("last_used_at",)
    audit_secret = ("key_digest",)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def audit_company_id(self) -> int | None:
        return self.staff.company_id

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    def issue_key(self) -> str:
        """Set a fresh key and return it (the only time it is readable)."""
        key = self.PREFIX + secrets.token_urlsafe(32)
        self.key_prefix = key[: len(self.PREFIX) + 6]
        self.key_digest = _digest(key)
        return key

    @classmethod
    def find(cls, key: str) -> ApiToken | None:
        token = cls.objects.select_related("staff").filter(key_digest=_digest(key)).first()
        return token if token is not None and token.is_usable else None


class TotpDevice(AuditedModel):
    """A person's authenticator app (RFC 6238 TOTP) for two-factor sign-in."""

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret = models.CharField(max_length=64)
    is_confirmed = models.BooleanField(default=False)
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_secret = ("secret",)
    audit_exclude = ("last_used_step",)

    class Meta:
        verbose_name = _("authenticator")

    def __str__(self) -> str:
        return f"authenticator of {self.staff}"

    @property
    def audit_company_id(self) -> int | None:
        return self.staff.company_id
