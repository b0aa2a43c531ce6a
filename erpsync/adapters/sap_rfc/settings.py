"""The SAP ECC / S/4HANA (RFC) adapter's connection settings, declared in ``SapRfcSettings`` and parsed once when the
adapter is made (the table in docs/sap-rfc.md is generated from the declaration), and the connection parameters
taken from the credentials store.

Credentials (``credentials_ref``, see ``b2bportal.credentials``): ``user`` and ``passwd`` (or SNC), ``client``, and
either ``ashost`` + ``sysnr`` (one application server) or ``mshost`` + ``sysid`` + ``group`` (``msserv`` optional;
load balancing through the message server); optional ``lang``, ``saprouter``, and for SNC ``snc_partnername``,
``snc_qop``, ``snc_myname``, ``snc_lib`` (with SNC and no ``passwd``, the SNC identity logs on). They are the
keyword names pyrfc's ``Connection`` and ``sapnwrfc.ini`` use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from erpsync.connection_settings import (
    REQUIRED,
    Choice,
    Flag,
    Integer,
    Number,
    Settings,
    Text,
    TextList,
    TextMap,
)

TRANSPORTS = ("pyrfc", "simulator")
LOOKUPS = ("read_table", "getlist")
MATERIAL_SOURCES = ("read_table", "bapi")
CREDIT_SOURCES = ("KNKK", "BAPI_SALESORDER_SIMULATE")
LEDGER_SOURCES = ("statement", "open_items")
PO_FIELDS = ("PURCH_NO_S", "REF_1", "")
# SAP messages that mean "someone else holds the record": "V1 042"-style (class and number) or pieces of the text.
RETRYABLE_MESSAGES = ("V1 042", "MC 601", "being processed by", "is locked by", "gesperrt")
# The keys of the credentials store the adapter hands to pyrfc, as pyrfc and sapnwrfc.ini name them.
CONNECTION_KEYS = (
    "ashost",
    "sysnr",
    "client",
    "user",
    "passwd",
    "lang",
    "mshost",
    "msserv",
    "sysid",
    "group",
    "saprouter",
    "snc_mode",
    "snc_partnername",
    "snc_qop",
    "snc_myname",
    "snc_lib",
)


class OrderedTextList(TextList):
    """A list of non-empty texts whose order counts, as a tuple."""

    def convert(self, value: Any) -> tuple[str, ...]:
        super().convert(value)
        return tuple(dict.fromkeys(value))


def _location(value: str) -> bool:
    plant, _, location = value.partition("/")
    return bool(plant) and 0 < len(plant) <= 4 and len(location) <= 4 and "/" not in location


class SapRfcSettings(Settings):
    owner = "SAP RFC adapter"
    title = "SAP ECC / S/4HANA (RFC)"

    transport = Choice(
        "`pyrfc` (SAP's NW RFC SDK and the pyrfc package must be installed) or `simulator` (the in-process BAPI "
        "simulator named by `simulator`, for tests and demos).",
        choices=TRANSPORTS,
        default="pyrfc",
    )
    simulator = Text("The registered simulator a `simulator` transport talks to.", default="")
    sales_org = Text("Sales organisation (`SALES_ORG`, VKORG) of the portal's orders.", default=REQUIRED, blank=False)
    distribution_channel = Text("Distribution channel (`DISTR_CHAN`, VTWEG).", default="10", blank=False)
    division = Text("Division (`DIVISION`, SPART).", default="00", blank=False)
    order_type = Text("Sales document type (`DOC_TYPE`, internal code, e.g. `TA`).", default="TA", blank=False)
    company_code = Text("Company code (BUKRS) of the customers' accounts.", default="1000", blank=False)
    currency = Text("The company code's currency: balances, and customers whose master names none.", default="TRY",
                    blank=False)  # fmt: skip
    credit_control_area = Text("Credit control area (KKBER) of the credit limits.", default="1000", blank=False)
    item_categories = TextMap(
        'Material → item category (`ITEM_CATEG`), `"*"` for every other material; none: SAP determines it.',
        default={},
    )
    order_plant = Text("Plant (`PLANT`) put on every order item; none: SAP determines it.", default="")
    order_storage_location = Text("Storage location (`STORE_LOC`) put on every order item.", default="")
    convert_to_sales_unit = Flag(
        "Convert each line to the material's sales unit (MVKE-VRKME, else the base unit) through its unit "
        "conversions (MARM) before sending; off: the line's own unit goes as `TARGET_QU`.",
        default=False,
    )
    price_condition = Text(
        "A manual price condition type (`PR00`, `ZPRB`…) carrying the portal's net unit price on every item; none: "
        "SAP prices the order itself.",
        default="",
    )
    po_number_field = Choice(
        'Where the dealer\'s PO number goes: `PURCH_NO_S`, `REF_1` (12 characters) or nowhere (""). The portal '
        "order number always goes in `PURCH_NO_C`, which every look-up keys on.",
        choices=PO_FIELDS,
        default="PURCH_NO_S",
    )
    order_lookup = Choice(
        "How an order is looked up by its portal number: `read_table` (VBKD-BSTKD through `RFC_READ_TABLE`, needs "
        "S_TABU_DIS) or `getlist` (`BAPI_SALESORDER_GETLIST` for the order's customer; a look-up by number alone "
        "then still reads VBKD).",
        choices=LOOKUPS,
        default="read_table",
    )
    rejection_reason = Text(
        "The reason for rejection (`REASON_REJ`) a cancellation sets on every item; none: cancellations are refused.",
        default="",
    )
    retryable_messages = TextList(
        'SAP messages meaning the record is busy, retried later: `"V1 042"` (class and number) or pieces of the '
        "text; any other E/A message is permanent.",
        default=list(RETRYABLE_MESSAGES),
    )
    material_source = Choice(
        "How materials are read: `read_table` (MARA, MAKT, MARM, MVKE through `RFC_READ_TABLE`: units, sales "
        "status) or `bapi` (`BAPI_MATERIAL_GETLIST` + `BAPI_MATERIAL_GET_DETAIL`: base unit only, one call per "
        "material).",
        choices=MATERIAL_SOURCES,
        default="read_table",
    )
    material_types = TextList(
        "Material types (MTART) the portal sells; others (services, packaging…) come in as not sold.",
        default=["HAWA", "FERT"],
    )
    description_fields = OrderedTextList(
        "MARA fields (customer fields such as `ZZLANGTEXT`) whose texts, joined by new lines, are the product's "
        "description; none: no description. Together they may be wider than RFC_READ_TABLE's 512-character row.",
        default=[],
    )
    tax_country = Text(
        "Country (ALAND) whose tax classification (MLAN-TAXM1) becomes the product's tax code; the connection's "
        "*Tax code* value map turns it into a VAT rate (`1` → 20).",
        default="TR",
        blank=False,
    )
    languages = TextMap(
        'Portal language → SAP language key of material texts (`{"tr": "T", "en": "E"}`).',
        default={"tr": "T", "en": "E"},
    )
    locations = OrderedTextList(
        "Plant/storage location pairs (`1000/0001`) whose availability is the portal's stock, one warehouse each.",
        default=["1000/0001"],
    )
    credit_source = Choice(
        "Where credit limits come from: `KNKK` (ECC credit master through `RFC_READ_TABLE`) or "
        "`BAPI_SALESORDER_SIMULATE` (its BILLING_PARTY, for one `credit_probe_material`).",
        choices=CREDIT_SOURCES,
        default="KNKK",
    )
    credit_probe_material = Text("A sellable material a credit simulation may use.", default="")
    ledger_source = Choice(
        "The customer ledger: `statement` (`BAPI_AR_ACC_GETSTATEMENT`, open and cleared items of `ledger_days`) or "
        "`open_items` (`BAPI_AR_ACC_GETOPENITEMS`, what is open today).",
        choices=LEDGER_SOURCES,
        default="statement",
    )
    ledger_days = Integer("How far back a ledger read goes (days).", default=365, positive=True)
    status_lookback_days = Integer(
        "How far back order statuses and documents are read (days).", default=30, positive=True
    )
    simulate_batch = Integer("Materials priced per `BAPI_SALESORDER_SIMULATE` call.", default=50, positive=True)
    table_page_rows = Integer("Rows per `RFC_READ_TABLE` call (`ROWCOUNT`).", default=5000, positive=True)
    max_sessions = Integer(
        "RFC sessions the connection holds open at most (each is a dialog work process in SAP); callers beyond it "
        "wait up to `timeout_seconds`.",
        default=2,
        positive=True,
    )
    timeout_seconds = Number(
        "Seconds one RFC call may take before it is cancelled.", default=30, positive=True, as_float=True
    )
    live_lookups = Flag(
        "Whether the portal may ask SAP for availability and balances while a dealer waits.", default=True
    )


def locations_of(options: SapRfcSettings) -> list[tuple[str, str]]:
    pairs = []
    for value in options.locations:
        if not _location(value):
            raise ImproperlyConfigured(f"SAP RFC adapter: 'locations' takes plant/location pairs, got {value!r}.")
        plant, _, location = value.partition("/")
        pairs.append((plant, location))
    return pairs


def connection_parameters(credentials: Mapping[str, str]) -> dict[str, Any]:
    """pyrfc's ``Connection`` keywords from the credentials store, or ImproperlyConfigured naming what is missing."""
    given = {key: str(value) for key, value in credentials.items() if key in CONNECTION_KEYS and str(value)}
    problems = []
    if not given.get("client"):
        problems.append("'client'")
    if not given.get("user") and not given.get("snc_partnername"):
        problems.append("'user'")
    if not given.get("passwd") and not given.get("snc_partnername"):
        problems.append("'passwd' (or SNC: 'snc_partnername')")
    direct = given.get("ashost") and given.get("sysnr")
    balanced = given.get("mshost") and given.get("sysid") and given.get("group")
    if not direct and not balanced:
        problems.append("'ashost' and 'sysnr', or 'mshost', 'sysid' and 'group'")
    if problems:
        raise ImproperlyConfigured("SAP RFC adapter: the credentials need " + ", ".join(problems) + ".")
    if given.get("snc_partnername"):
        given.setdefault("snc_mode", "1")
        given.setdefault("snc_qop", "9")
    return given
