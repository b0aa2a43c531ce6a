"""The Tryton adapter's connection settings, read and checked once when the adapter is made.

Settings (``ErpConnection.settings``):

- ``base_url`` (required): the server's root, e.g. ``https://erp.example:8000/``;
- ``database`` (required): the Tryton database the REST API serves (the first part of its paths);
- ``verify_tls`` (default true), ``timeout_seconds`` (default 30), ``page_size`` (default 200);
- ``delta_overlap_seconds`` (default 300): how far a delta reads back before ``since``; Tryton stamps records with
  its own clock, watermarks come from the portal's, and records read twice are harmless;
- ``sellable_warehouses`` (optional): codes of the warehouses the portal sells from. Tryton has no such flag;
  without the setting every warehouse is sellable;
- ``order_warehouse`` (optional): the warehouse code sales are created in; without it the only sellable warehouse
  when ``sellable_warehouses`` names one, else Tryton's default (there is one when the company has one warehouse);
- ``order_state`` (default ``quotation``): how far a pushed sale goes through Tryton's workflow: ``draft``,
  ``quotation`` or ``confirmed``;
- ``reference_prefix`` (optional): only sales whose customer reference starts with it are reported back as order
  status and linked to documents (the portal's order numbers share a prefix; other sales are not the portal's);
- ``payment_journal`` and ``payment_account`` (both needed for payments): the code of the journal receipts are
  posted in (e.g. ``CASH``) and of the account they are debited to (the bank or card clearing account). Each
  collection becomes a posted journal entry: that account debited, the customer's receivable credited, the portal's
  reference as the entry's description (what the lookup finds it by). Tryton's accountants reconcile it with the
  invoices, as they do with any receipt.

Credentials: ``key``, the key of a validated ``res.user.application`` (application "REST API").

Each function below reads one setting and refuses a wrong value with ``ImproperlyConfigured``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.http import setting_number

ORDER_STATES = ("draft", "quotation", "confirmed")
TEXTS = ("order_warehouse", "reference_prefix", "payment_journal", "payment_account")


def positive_number(options: Mapping[str, Any], name: str, default: float, *, whole=False, zero=False) -> float:
    return setting_number(options, name, default, who="Tryton", whole=whole, zero=zero)


def database(options: Mapping[str, Any]) -> str:
    name = options.get("database")
    if not name or not isinstance(name, str) or "/" in name:
        raise ImproperlyConfigured("Tryton adapter: settings need 'database', the name of the Tryton database.")
    return name


def pushed_order_state(options: Mapping[str, Any]) -> str:
    """``order_state``: how far a pushed sale goes through the workflow."""
    state = options.get("order_state", "quotation")
    if state not in ORDER_STATES:
        raise ImproperlyConfigured(
            f"Tryton adapter: 'order_state' must be one of {', '.join(ORDER_STATES)}, got {state!r}."
        )
    return state


def sellable_warehouses(options: Mapping[str, Any]) -> frozenset[str] | None:
    """The codes of ``sellable_warehouses``; None (every warehouse) without the setting."""
    sellable = options.get("sellable_warehouses")
    if sellable is not None and (
        isinstance(sellable, str) or not all(isinstance(code, str) and code for code in sellable)
    ):
        raise ImproperlyConfigured("Tryton adapter: 'sellable_warehouses' must be a list of warehouse codes.")
    return None if sellable is None else frozenset(sellable)


def check_payments(options: Mapping[str, Any]) -> None:
    """``payment_journal`` and ``payment_account`` come together; every text setting is text."""
    if bool(options.get("payment_journal", "")) != bool(options.get("payment_account", "")):
        raise ImproperlyConfigured("Tryton adapter: payments need both 'payment_journal' and 'payment_account'.")
    for name in TEXTS:
        if not isinstance(options.get(name, ""), str):
            raise ImproperlyConfigured(f"Tryton adapter: {name!r} must be text, got {options[name]!r}.")


def api_key(credentials: Mapping[str, str]) -> str:
    key = credentials.get("key", "")
    if not key:
        raise ImproperlyConfigured(
            "Tryton adapter: credentials need 'key', the key of a validated REST user application."
        )
    return key
