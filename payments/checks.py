"""System checks of the card payment configuration: every ``PAYMENT_GATEWAYS`` entry names a class that imports and
is a ``PaymentGateway``."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from b2bportal.registry import NotImportable, WrongKind
from payments.gateways import gateway_class


@register("payments")
def check_payment_gateways(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for key, config in settings.PAYMENT_GATEWAYS.items():
        path = config.get("class") if isinstance(config, dict) else None
        if not path:
            errors.append(Error(f"PAYMENT_GATEWAYS[{key!r}] names no 'class'.", id="payments.E001"))
            continue
        try:
            gateway_class(key, path)
        except NotImportable as exc:
            errors.append(Error(str(exc), id="payments.E002"))
        except WrongKind as exc:
            errors.append(
                Error(str(exc), hint="Name a subclass of payments.gateways.base.PaymentGateway.", id="payments.E003")
            )
    return errors
