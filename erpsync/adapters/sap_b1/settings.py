"""The SAP Business One adapter's connection settings, declared in ``SapB1Settings`` and parsed once when the
adapter is made (the table in docs/sap-b1.md is generated from the declaration).

Collections need ``payment_accounts``; a refund of a whole invoice copies the invoice's lines and needs no
``refund_account``. ``payment_delta`` ``update`` relies on the Service Layer's Payment entity carrying
``UpdateDate``/``UpdateTime`` (UNCONFIRMED: check it on your version first); ``document_date`` sees payments keyed
in late and cancellations within ``status_lookback_days``, older ones wait for the next full read.

Credentials: ``username`` and ``password``.

Every connection's settings (the outbox, ``delta_overlap_seconds``, …) are in ``erpsync.common_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from erpsync.connection_settings import (
    REQUIRED,
    Choice,
    Flag,
    Integer,
    Invalid,
    Number,
    Setting,
    Settings,
    Text,
    TextMap,
    TimeZone,
    Url,
)

PAYMENT_DELTAS = ("document_date", "update")


class VatGroups(Setting):
    """VAT rate (normalised) → SAP VAT group code."""

    type_name = "object of VAT rate → VAT group"

    def convert(self, value: Any) -> dict[Decimal, str]:
        if not isinstance(value, Mapping):
            raise Invalid("must map VAT rates to SAP VAT group codes.")
        try:
            return {Decimal(str(rate)).normalize(): str(group) for rate, group in value.items()}
        except InvalidOperation:
            raise Invalid("keys must be VAT rates (numbers).") from None


class SapB1Settings(Settings):
    owner = "SAP B1 adapter"
    title = "SAP Business One"

    base_url = Url(
        "The Service Layer root, e.g. `https://sap.example:50000/b1s/v1/` (the v1 Service Layer).",
        default=REQUIRED,
        path_suffix="/b1s/v1/",
    )
    company_db = Text("The company database Login opens.", default=REQUIRED, blank=False)
    verify_tls = Flag("Check the server's TLS certificate.", default=True)
    timeout_seconds = Number("Seconds to wait for an answer.", default=30, positive=True, as_float=True)
    page_size = Integer("Rows per page asked with `Prefer: odata.maxpagesize`.", default=100, positive=True)
    timezone = TimeZone(
        "The company server's clock zone: `UpdateDate`/`UpdateTime` are local times, so a delta's `since` is "
        "converted to it.",
        default="Europe/Istanbul",
    )
    order_warehouse = Text("The `WarehouseCode` put on every order line (none: the item's default).", default="")
    vat_groups = VatGroups(
        'VAT rate → SAP VAT group code put on order lines (`{"20": "S1"}`); a rate not listed leaves the '
        "item's own sales VAT group in charge.",
        default={},
    )
    read_retries = Integer(
        "A read answered 429/5xx, or not at all, is tried again this often, after `Retry-After` or 0.5 s "
        "doubling; writes are never replayed here (the outbox looks them up first).",
        default=3,
        minimum=0,
    )
    status_lookback_days = Number(
        "How far back a full read of order statuses and documents goes.", default=30, positive=True, as_float=True
    )
    payment_accounts = TextMap(
        'Payment method → G/L account of incoming payments (`{"card": "108.01", "*": "102.01"}`); '
        "needed for collections.",
        default={},
    )
    payment_reference_field = Text(
        "The incoming-payment field that carries the portal's reference, looked up before every create.",
        default="CounterReference",
        check=(str.isidentifier, "a field name"),
    )
    refund_account = Text("The G/L account of a partial refund's service credit memo.", default="")
    allow_batch_managed_orders = Flag("Whether orders may carry batch- or serial-managed items.", default=False)
    live_lookups = Flag("Whether the portal may ask SAP for current stock and balance while a dealer waits.",
                        default=True)  # fmt: skip
    payment_delta = Choice(
        "How a ledger delta finds incoming payments: by `UpdateDate`/`UpdateTime` (`update`) or by document date "
        "from `status_lookback_days` before the watermark (`document_date`).",
        choices=PAYMENT_DELTAS,
        default="document_date",
    )


def login(credentials: Mapping[str, str]) -> tuple[str, str]:
    """(username, password), both required."""
    username, password = credentials.get("username", ""), credentials.get("password", "")
    if not username or not password:
        raise ImproperlyConfigured("SAP B1 adapter: credentials need 'username' and 'password'.")
    return username, password
