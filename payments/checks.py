"""System checks of the card payment configuration: every ``PAYMENT_GATEWAYS`` entry names a class that imports and
is a ``PaymentGateway``."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from payments.gateways.base import PaymentGateway


@register("payments")
def check_payment_gateways(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for key, config in settings.PAYMENT_GATEWAYS.items():
        path = config.get("class") if isinstance(config, dict) else None
        if not path:
            errors.append(Error(f"PAYMENT_GATEWAYS[{key!r}] names no 'class'.", id="payments.E001"))
            continue
        try:
            cls = import_string(path)
        except ImportError as exc:
            errors.append(Error(f"PAYMENT_GATEWAYS[{key!r}] class {path!r} cannot be imported: {exc}",
                                id="payments.E002"))  # fmt: skip
            continue
        if not (isinstance(cls, type) and issubclass(cls, PaymentGateway)):
            errors.append(
                Error(
                    f"PAYMENT_GATEWAYS[{key!r}] class {path!r} is not a PaymentGateway.",
                    hint="Name a subclass of payments.gateways.base.PaymentGateway.",
                    id="payments.E003",
                )
            )
    return errors
