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


class WorkerHeartbeat(models.Model):
    """One run of the heartbeat schedule (``b2bportal.tasks.worker_heartbeat``): proof that the scheduler queued a
    task and a worker ran it. ``/healthz`` reads the latest; runs older than a day are deleted as new ones arrive."""

    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    ran_at = models.DateTimeField(_("ran at"), db_index=True)
    worker = models.CharField(_("worker"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M:%S} {self.worker}"
