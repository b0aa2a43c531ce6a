"""The SAP Business One adapter's connection settings, declared in ``SapB1Settings`` and parsed once when the
adapter is made (the table in docs/sap-b1.md is generated from the declaration).

Collections need ``payment_accounts``; a refund of a whole invoice copies the invoice's lines and needs no
``refund_account``. Incoming payments have no ``UpdateDate``/``UpdateTime`` in the Service Layer (neither the v1 nor
the v4 ``$metadata`` of the Payment type has them): a ledger delta reads them by document date
(``payment_delta`` ``document_date``), which sees payments keyed in late and cancellations within
``status_lookback_days``; older ones wait for the next full read.

The Service Layer version: ``base_url`` may end in ``/b1s/v1/`` or ``/b1s/v2/`` (that version is used), or name only
the server (``https://sap:50000/``): then ``service_layer_version`` says which (v2 by default; OData v3 is
deprecated from FP 2405).

Where the portal number and the dealer's PO go: ``reference_field`` carries the portal order number and is looked up
before every create (``NumAtCard`` by default, or a UDF); ``po_number_field`` takes the PO (``Comments`` by default,
``NumAtCard`` when the reference is in a UDF, a UDF, or "" for nowhere).

Credentials: ``username`` and ``password``.

Every connection's settings (the outbox, ``delta_overlap_seconds``, …) are in ``erpsync.common_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

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
    TextList,
    TextMap,
    TimeZone,
    Url,
)

PAYMENT_DELTAS = ("document_date",)
VERSIONS = ("v1", "v2")
# Order fields a UDF may take its value from (``{"from": "po_number"}``), and line fields.
ORDER_SOURCES = ("reference", "po_number", "note", "ordered_on", "requested_on", "payment_method", "customer_code",
                 "delivery_address_code", "currency")  # fmt: skip
LINE_SOURCES = ("line_no", "product_code", "unit", "description")
# SAP answers that mean "someone else holds the record now": retried later rather than put before a person. A text
# of digits (``-2038``) is an error code, anything else a piece of the message (case does not matter).
RETRYABLE_ERRORS = (
    "Another user or API is modifying",
    "is locked",
    "locked by another user",
    "deadlock",
)


def is_field_name(value: str) -> bool:
    return value.isidentifier()


class UdfValues(Setting):
    """User-defined field → a fixed value or ``{"from": <field>}`` of the order (or the line)."""

    type_name = "object of UDF → value"

    def __init__(self, help: str, *, sources: tuple[str, ...], default: Any = None):
        super().__init__(help, default=default)
        self.sources = sources

    def convert(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise Invalid(f"must map UDF names (U_…) to values, got {value!r}.")
        for name, given in value.items():
            if not (isinstance(name, str) and name.startswith("U_") and name.isidentifier()):
                raise Invalid(f"keys must be user-defined field names starting with U_, got {name!r}.")
            if isinstance(given, Mapping):
                if set(given) != {"from"} or given["from"] not in self.sources:
                    raise Invalid(f'{name}: {{"from": …}} takes one of {", ".join(self.sources)}, got {given!r}.')
            elif not isinstance(given, (str, int, float, bool)):
                raise Invalid(f'{name}: must be a text, a number, true/false or {{"from": …}}, got {given!r}.')
        return dict(value)


class ServiceLayerUrl(Url):
    """The server root, or the root of one Service Layer version (``…/b1s/v1/``, ``…/b1s/v2/``)."""

    def convert(self, value: Any) -> str:
        url = super().convert(value)
        path = urlsplit(url).path
        if "/b1s/" in path and not path.endswith(("/b1s/", "/b1s/v1/", "/b1s/v2/")):
            raise Invalid(f"must name the server, or end with /b1s/v1/ or /b1s/v2/, got {url!r}.")
        return url


def service_root(url: str, version: str) -> tuple[str, int]:
    """The Service Layer root to call and its version (1 or 2): the version ``url`` names, else ``version``."""
    for named in VERSIONS:
        if url.endswith(f"/b1s/{named}/"):
            return url, int(named[1])
    root = url if url.endswith("/b1s/") else url + "b1s/"
    return f"{root}{version}/", int(version[1])


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


class TaxCodes(VatGroups):
    type_name = "object of VAT rate → tax code"


class SapB1Settings(Settings):
    owner = "SAP B1 adapter"
    title = "SAP Business One"

    base_url = ServiceLayerUrl(
        "The Service Layer: the server (`https://sap.example:50000/`, then `service_layer_version` applies) or one "
        "version's root (`…/b1s/v2/` or `…/b1s/v1/`).",
        default=REQUIRED,
    )
    service_layer_version = Choice(
        "The Service Layer version when `base_url` names none: `v2` (OData v4) or `v1` (OData v3, deprecated from "
        "FP 2405).",
        choices=VERSIONS,
        default="v2",
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
    customer_warehouses = TextMap(
        "Customer code → `WarehouseCode` of that dealer's order lines (before `order_warehouse`).", default={}
    )
    item_warehouses = TextMap(
        "Item code → `WarehouseCode` of order lines of that item (before the customer's and `order_warehouse`).",
        default={},
    )
    default_vat_group = Text(
        "The tax code given to items whose `SalesVATGroup` is empty (SAP then takes VAT from the customer or tax "
        "determination); none: they carry `*`, which the *Tax code* value map may give a rate.",
        default="",
    )
    line_tax_codes = TaxCodes(
        'VAT rate → `TaxCode` put on order lines, for companies that use tax codes (`{"20": "KDV20"}`); a rate not '
        "listed sends none.",
        default={},
    )
    reference_field = Text(
        "The order field that carries the portal order number and is looked up before every create: `NumAtCard` "
        "or a UDF (`U_…`).",
        default="NumAtCard",
        check=(is_field_name, "a field name"),
    )
    po_number_field = Text(
        "Where the dealer's PO number goes: `Comments` (first line, `PO: …`), `NumAtCard` (when `reference_field` "
        'is a UDF), a UDF, or "" for nowhere.',
        default="Comments",
        check=(lambda value: value == "" or value.isidentifier(), "a field name or empty"),
    )
    order_udfs = UdfValues(
        'UDF values put on every order: a fixed value or one of the order\'s fields (`{"U_Kanal": "B2B", '
        '"U_Siparis": {"from": "reference"}}`; fields: ' + ", ".join(ORDER_SOURCES) + ").",
        sources=ORDER_SOURCES,
        default={},
    )
    line_udfs = UdfValues(
        "UDF values put on every order line, fixed or from the line (" + ", ".join(LINE_SOURCES) + ").",
        sources=LINE_SOURCES,
        default={},
    )
    stock_counts_ordered = Flag(
        "Whether what vendors will deliver (`Ordered` on the warehouse row) counts as stock (available to promise); "
        "a warehouse row `Locked` for the item never counts.",
        default=False,
    )
    retryable_errors = TextList(
        "SAP error codes (`-2038`) or pieces of messages that mean the record is busy (locks, another user "
        "changing it): such an answer is retried later instead of going to a person; anything else SAP refuses "
        "stays permanent.",
        default=list(RETRYABLE_ERRORS),
    )
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
        "How a ledger delta finds incoming payments: by document date from `status_lookback_days` before the "
        "watermark (`document_date`, the only way: the Service Layer's payments carry no `UpdateDate`).",
        choices=PAYMENT_DELTAS,
        default="document_date",
    )


def login(credentials: Mapping[str, str]) -> tuple[str, str]:
    """(username, password), both required."""
    username, password = credentials.get("username", ""), credentials.get("password", "")
    if not username or not password:
        raise ImproperlyConfigured("SAP B1 adapter: credentials need 'username' and 'password'.")
    return username, password
