"""System checks of the card payment configuration: every ``PAYMENT_GATEWAYS`` entry names a class that imports and
is a ``PaymentGateway``, the default names a configured entry, and production (unless ``DEMO_SITE``) has no sandbox."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from b2bportal.registry import NotImportable, WrongKind
from payments.gateways import gateway_class
from payments.gateways.sandbox import SandboxGateway


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


@register("payments")
def check_default_gateway(app_configs=None, **kwargs) -> list[Error]:
    key = settings.PAYMENT_DEFAULT_GATEWAY
    if key in settings.PAYMENT_GATEWAYS:
        return []
    return [
        Error(
            f"PAYMENT_DEFAULT_GATEWAY {key!r} is not in PAYMENT_GATEWAYS ({', '.join(settings.PAYMENT_GATEWAYS)}).",
            hint="Production has no sandbox provider: set PAYMENT_DEFAULT_GATEWAY to a real one (e.g. iyzico), or "
            "DEMO_SITE=1 for a demonstration site.",
            id="payments.E004",
        )
    ]


@register("payments")
def check_no_sandbox_in_production(app_configs=None, **kwargs) -> list[Error]:
    """The sandbox approves its public test cards: in production a dealer could "pay" a real order with one."""
    if not settings.B2B_PRODUCTION or settings.B2B_DEMO_SITE:
        return []
    errors = []
    for key, config in settings.PAYMENT_GATEWAYS.items():
        path = config.get("class") if isinstance(config, dict) else None
        try:
            sandbox = bool(path) and issubclass(gateway_class(key, path), SandboxGateway)
        except (NotImportable, WrongKind):
            continue  # reported by check_payment_gateways
        if sandbox:
            errors.append(
                Error(
                    f"PAYMENT_GATEWAYS[{key!r}] is the sandbox provider, which approves public test cards.",
                    hint="Remove it in production, or set DEMO_SITE=1 for a demonstration site.",
                    id="payments.E005",
                )
            )
    return errors
