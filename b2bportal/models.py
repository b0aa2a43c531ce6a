"""Abstract building blocks shared by the apps' models."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

currency_code_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, e.g. TRY."))


MONEY_MAX_DIGITS = 16


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    """Money amounts: Decimal with 2 places, large enough for a distributor's yearly totals."""
    kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(verbose_name, **kwargs)


def quantity_field(verbose_name, **kwargs) -> models.DecimalField:
    """Quantities in a product's base unit; three places for weights and lengths."""
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 3)
    return models.DecimalField(verbose_name, **kwargs)


def currency_field(verbose_name=None, **kwargs) -> models.CharField:
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("validators", [currency_code_validator])
    return models.CharField(verbose_name or _("currency"), **kwargs)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
