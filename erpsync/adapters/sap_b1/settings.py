"""The SAP Business One adapter's connection settings, read and checked once when the adapter is made.

Settings (``ErpConnection.settings``):

- ``base_url`` (required): the Service Layer root, e.g. ``https://sap.example:50000/b1s/v1/``;
- ``company_db`` (required): the company database Login opens;
- ``verify_tls`` (default true), ``timeout_seconds`` (default 30), ``page_size`` (default 100);
- ``timezone`` (default ``Europe/Istanbul``): the company server's clock zone; ``UpdateDate``/``UpdateTime`` are
  local times without a zone, so a delta's ``since`` is converted to it before it goes into a filter;
- ``delta_overlap_seconds`` (default 300): how far a delta reads back before ``since``, to absorb the difference
  between the portal's clock (where watermarks come from) and the ERP server's clock. Records read twice are
  harmless: the importers update in place;
- ``order_warehouse`` (optional): the ``WarehouseCode`` put on every order line;
- ``vat_groups`` (optional): VAT rate → SAP VAT group code (``{"20": "S1"}``) put on order lines as ``VatGroup``;
  a rate it does not list leaves the item's own sales VAT group in charge;
- ``outbox_concurrency`` (default 4): at most this many exports run at once for the connection, and at most this
  many requests are in flight from one adapter;
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

Each function below reads one setting and refuses a wrong value with ``ImproperlyConfigured``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.http import base_url_setting, setting_number
from erpsync.adapters.http import text as _text

PAYMENT_DELTAS = ("document_date", "update")
FLAGS = ("allow_batch_managed_orders", "live_lookups")


def positive_number(options: Mapping[str, Any], name: str, default: float, *, whole=False, zero=False) -> float:
    return setting_number(options, name, default, who="SAP B1", whole=whole, zero=zero)


def service_layer_url(options: Mapping[str, Any]) -> str:
    """``base_url``, ending with ``/b1s/v1/`` (the v1 Service Layer)."""
    base_url = base_url_setting(options, who="SAP B1", what="the Service Layer's …/b1s/v1/ URL")
    if not urlsplit(base_url).path.endswith("/b1s/v1/"):
        raise ImproperlyConfigured(
            f"SAP B1 adapter: 'base_url' must end with /b1s/v1/ (the v1 Service Layer), got {base_url!r}."
        )
    return base_url


def company_db(options: Mapping[str, Any]) -> str:
    name = options.get("company_db")
    if not name or not isinstance(name, str):
        raise ImproperlyConfigured("SAP B1 adapter: settings need 'company_db', the company database name.")
    return name


def time_zone(options: Mapping[str, Any]) -> ZoneInfo:
    zone_name = options.get("timezone", "Europe/Istanbul")
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ImproperlyConfigured(f"SAP B1 adapter: 'timezone' {zone_name!r} is not a known time zone.") from None


def vat_groups(options: Mapping[str, Any]) -> dict[Decimal, str]:
    """VAT rate (normalised) → SAP VAT group code."""
    groups = options.get("vat_groups") or {}
    if not isinstance(groups, Mapping):
        raise ImproperlyConfigured("SAP B1 adapter: 'vat_groups' must map VAT rates to SAP VAT group codes.")
    try:
        return {Decimal(str(rate)).normalize(): str(group) for rate, group in groups.items()}
    except InvalidOperation:
        raise ImproperlyConfigured("SAP B1 adapter: 'vat_groups' keys must be VAT rates (numbers).") from None


def payment_accounts(options: Mapping[str, Any]) -> dict[str, str]:
    accounts = options.get("payment_accounts") or {}
    if not isinstance(accounts, Mapping) or not all(isinstance(v, str) and v for v in accounts.values()):
        raise ImproperlyConfigured("SAP B1 adapter: 'payment_accounts' must map payment methods to G/L accounts.")
    return dict(accounts)


def payment_reference_field(options: Mapping[str, Any]) -> str:
    field = _text(options.get("payment_reference_field") or "CounterReference")
    if not field.isidentifier():
        raise ImproperlyConfigured("SAP B1 adapter: 'payment_reference_field' must be a field name.")
    return field


def check_flags(options: Mapping[str, Any]) -> None:
    """``allow_batch_managed_orders`` and ``live_lookups`` are true or false when given."""
    for flag in FLAGS:
        if not isinstance(options.get(flag, False), bool):
            raise ImproperlyConfigured(f"SAP B1 adapter: {flag!r} must be true or false.")


def payment_delta(options: Mapping[str, Any]) -> str:
    value = options.get("payment_delta", "document_date")
    if value not in PAYMENT_DELTAS:
        raise ImproperlyConfigured(
            f"SAP B1 adapter: 'payment_delta' must be one of {', '.join(PAYMENT_DELTAS)}, got {value!r}."
        )
    return value


def login(credentials: Mapping[str, str]) -> tuple[str, str]:
    """(username, password), both required."""
    username, password = credentials.get("username", ""), credentials.get("password", "")
    if not username or not password:
        raise ImproperlyConfigured("SAP B1 adapter: credentials need 'username' and 'password'.")
    return username, password
