"""The SAP Business One adapter's connection settings, declared in ``SapB1Settings`` and parsed once when the
adapter is made (the table in docs/sap-b1.md is generated from the declaration).

Settings (``ErpConnection.settings``):

- ``base_url`` (required): the Service Layer root, e.g. ``https://sap.example:50000/b1s/v1/``;
- ``company_db`` (required): the company database Login opens;
- ``verify_tls`` (default true), ``timeout_seconds`` (default 30), ``page_size`` (default 100);
- ``timezone`` (default ``Europe/Istanbul``): the company server's clock zone; ``UpdateDate``/``UpdateTime`` are
  local times without a zone, so a delta's ``since`` is converted to it before it goes into a filter;
- ``order_warehouse`` (optional): the ``WarehouseCode`` put on every order line;
- ``vat_groups`` (optional): VAT rate → SAP VAT group code (``{"20": "S1"}``) put on order lines as ``VatGroup``;
  a rate it does not list leaves the item's own sales VAT group in charge;
- ``outbox_concurrency`` (a setting of every connection, ``erpsync.common_settings``; 4 for SAP B1): at most this
  many exports run at once for the connection, and at most this many requests are in flight from one adapter;
- ``read_retries`` (default 3): a read refused with 429 or 5xx (or not answered) is tried again this many times,
  waiting the Service Layer's ``Retry-After`` or an exponential pause; writes are never replayed here (the outbox
  looks them up first);
- ``status_lookback_days`` (default 30): how far back a full read of order statuses and documents goes;
- ``payment_accounts``: payment method → the G/L account an incoming payment is booked to (``{"card": "108.01",
  "*": "102.01"}``; ``*`` for any other method). Needed for collections;
- ``payment_reference_field`` (default ``CounterReference``): the incoming-payment field that carries the portal's
  reference, looked up before every create;
- ``refund_account``: the G/L account of a partial refund's service credit memo. A refund of the whole invoice
  copies the invoice's lines and needs none;
- ``allow_batch_managed_orders`` (default false): whether orders may carry batch- or serial-managed items (SAP
  needs batches chosen on delivery; many companies keep those items to their sales staff);
- ``live_lookups`` (default true): whether the portal may ask SAP for current stock and balance while a dealer
  waits;
- ``payment_delta`` (default ``document_date``): how a delta of the ledger finds incoming payments. ``update`` filters
  them on ``UpdateDate``/``UpdateTime`` as documents are (UNCONFIRMED that the Service Layer's Payment entity
  carries these stamps: check it on your version first); ``document_date`` reads the payments dated from
  ``status_lookback_days`` before the watermark on, so payments keyed in late and cancellations within that window
  are seen; older ones wait for the next full read.

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
    page_size = Integer("Records asked for per page.", default=100, positive=True)
    timezone = TimeZone(
        "The company server's clock zone: `UpdateDate`/`UpdateTime` are local times, so a delta's `since` is "
        "converted to it.",
        default="Europe/Istanbul",
    )
    order_warehouse = Text("The `WarehouseCode` put on every order line.", default="")
    vat_groups = VatGroups(
        'VAT rate → SAP VAT group code put on order lines (`{"20": "S1"}`); a rate not listed leaves the '
        "item's own sales VAT group in charge.",
        default={},
    )
    read_retries = Integer(
        "Tries again of a read refused with 429 or 5xx (or not answered); writes are never replayed here.",
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
