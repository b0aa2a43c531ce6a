"""Card payment providers. ``PAYMENT_GATEWAYS`` maps a key to ``{"class": dotted path, "settings": {...},
"credentials_ref": "IYZICO"}``; secrets come from environment variables named by ``credentials_ref``
(``IYZICO_API_KEY`` → ``api_key``), never from the database or settings files."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from b2bportal.credentials import credentials_for
from b2bportal.registry import class_at
from payments.gateways.base import PaymentGateway


def gateway_for(key: str | None = None) -> PaymentGateway:
    """The configured gateway ``key`` (default: ``PAYMENT_DEFAULT_GATEWAY``)."""
    key = key or settings.PAYMENT_DEFAULT_GATEWAY
    try:
        config = settings.PAYMENT_GATEWAYS[key]
    except KeyError:
        raise ImproperlyConfigured(f"No payment gateway {key!r} in PAYMENT_GATEWAYS.") from None
    cls = gateway_class(key, config["class"])
    options = dict(config.get("settings") or {})
    options.update(credentials_for(config.get("credentials_ref", "")))
    return cls(options)


def gateway_class(key: str, path: str) -> type[PaymentGateway]:
    """The gateway class ``PAYMENT_GATEWAYS[key]["class"] = path`` names (``NotImportable`` or ``WrongKind``
    otherwise)."""
    return class_at(path, PaymentGateway, label=f"PAYMENT_GATEWAYS[{key!r}] class {path!r}", kind="a PaymentGateway")


def gateway_keys() -> list[str]:
    return list(settings.PAYMENT_GATEWAYS)
