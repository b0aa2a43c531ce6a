"""Card payment providers. ``PAYMENT_GATEWAYS`` maps a key to ``{"class": dotted path, "settings": {...},
"credentials_ref": "IYZICO"}``; secrets come from environment variables named by ``credentials_ref``
(``IYZICO_API_KEY`` → ``api_key``), never from the database or settings files."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from b2bportal.credentials import credentials_for
from payments.gateways.base import PaymentGateway


def gateway_for(key: str | None = None) -> PaymentGateway:
    """The configured gateway ``key`` (default: ``PAYMENT_DEFAULT_GATEWAY``)."""
    key = key or settings.PAYMENT_DEFAULT_GATEWAY
    try:
        config = settings.PAYMENT_GATEWAYS[key]
    except KeyError:
        raise ImproperlyConfigured(f"No payment gateway {key!r} in PAYMENT_GATEWAYS.") from None
    cls = import_string(config["class"])
    if not (isinstance(cls, type) and issubclass(cls, PaymentGateway)):
        raise ImproperlyConfigured(f"PAYMENT_GATEWAYS[{key!r}] is not a PaymentGateway class.")
    options = dict(config.get("settings") or {})
    options.update(credentials_for(config.get("credentials_ref", "")))
    return cls(options)


def gateway_keys() -> list[str]:
    return list(settings.PAYMENT_GATEWAYS)
