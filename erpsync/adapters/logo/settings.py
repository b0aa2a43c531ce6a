"""The Logo adapter's connection settings, declared in ``LogoSettings`` and parsed once when the adapter is made (the
table in docs/logo.md is generated from the declaration).

Credentials (``credentials_ref``): ``client_id`` and ``client_secret`` (the REST service's client, sent as HTTP Basic
to the token endpoint), ``username`` and ``password`` (a Logo user of the firm; reads need its SQL permission for
``queries``). Tokens are kept in the database, encrypted (``erpsync.token_store``), never in these settings.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from erpsync.connection_settings import (
    REQUIRED,
    Choice,
    Integer,
    Number,
    Settings,
    Text,
    TextList,
    TextMap,
    TimeZone,
    Url,
)

# The order slip field that carries the portal order number → its column in ORFICHE.
REFERENCE_FIELDS = {"DOC_NUMBER": "DOCODE", "AUXIL_CODE": "SPECODE"}
ORDER_STATUSES = {"approved": 4, "suggestion": 1}
CANCEL_MODES = ("cancel", "delete")
STOCK_TABLES = ("GNTOTST", "STINVTOT")
COMMITTED = ("reserved_and_orders", "orders", "reserved", "none")
BALANCE_SOURCES = ("CLFLINE", "GNTOTCL")
CREDIT_LIMITS = ("none", "ACCRISKLIMIT", "ORDRISKLIMIT")
PRICE_PRIORITIES = ("lowest_first", "highest_first")
TRANSPORTS = ("rest", "soap")
DEFAULT_CURRENCIES = {"0": "TRY", "160": "TRY", "1": "USD", "17": "GBP", "20": "EUR"}


class LogoSettings(Settings):
    owner = "Logo adapter"
    title = "Logo Tiger / Go"

    base_url = Url("The Logo Objects REST service's root; the API is under `api/v1/`.", default=REQUIRED)
    firm = Integer("The firm number (`LG_<firm>_…`, `firmno` of the token request).", default=REQUIRED, positive=True)
    period = Integer(
        "The working period number (`LG_<firm>_<period>_…`): orders, documents, stock and the ledger are read from "
        "it; the REST service must work in the same period.",
        default=REQUIRED,
        positive=True,
    )
    previous_period = Integer(
        "The period before `period` (0: none). After a rollover, order look-ups and statuses also read it, so an "
        "order sent before the rollover is found, not sent again.",
        default=0,
        minimum=0,
    )
    write_transport = Choice(
        "How orders, new customer cards, collections and credit notes are written: `rest` (Logo Objects REST) or "
        "`soap` (LogoObjectService `AppendDataObject`, data types 3, 30, 24/29 and 31; cancellation deletes the "
        "slip with `DeleteDataObject`).",
        choices=TRANSPORTS,
        default="rest",
    )
    query_transport = Choice(
        "How the reads' SQL is sent: `rest` (`queries?tsql=`) or `soap` (`ExecQuery`, base64 `sqlText`).",
        choices=TRANSPORTS,
        default="rest",
    )
    soap_url = Text(
        "The LogoObjectService address (e.g. `http://logo-app:8010/LogoObjectService.svc`; its WSDL is at `?wsdl`); "
        "needed when either transport is `soap`. Credentials then also need `security_code`.",
        default="",
    )
    reference_field = Choice(
        "The order slip field that carries the portal order number (`DOC_NUMBER` = column DOCODE, or "
        "`AUXIL_CODE` = SPECODE); every create is preceded by a look-up on it.",
        choices=tuple(REFERENCE_FIELDS),
        default="DOC_NUMBER",
    )
    order_status = Choice(
        "The status of orders the portal sends: `approved` (4, to be shipped; reserves stock as an actual sales "
        "order) or `suggestion` (1, a person approves it in Logo).",
        choices=tuple(ORDER_STATUSES),
        default="approved",
    )
    line_discounts = Choice(
        "How a line priced with the dealer's percentage discount is sent: `net_price` (the discounted unit price "
        "alone) or `discount_line` (the list price, followed by a discount line, TYPE 2 with `DISCOUNT_RATE`, so "
        "Logo shows list price and discount; Logo rounds the line total itself).",
        choices=("net_price", "discount_line"),
        default="net_price",
    )
    order_warehouse = Integer("The warehouse number (`SOURCE_WH`, INVENNO) orders ship from.", default=0, minimum=0)
    cancel_mode = Choice(
        "How a cancellation reaches Logo while nothing is shipped: `cancel` (PATCH `CANCELLED`=1; the slip stays) "
        "or `delete` (DELETE the slip).",
        choices=CANCEL_MODES,
        default="cancel",
    )
    payment_slips = TextMap(
        "Payment method → where collections go: `bank:<bank account code>` (a bank slip) or `cash:<cash code>` "
        '(a cash slip), e.g. `{"transfer": "bank:102.01.001", "*": "bank:102.01.002"}`; needed for collections.',
        default={},
    )
    quote_document = Choice(
        "Where a quote goes when the connection sends quotes (`quotes_to_erp` `quote`): `suggestion_order` (a "
        "sales order slip in status 1, öneri: no stock reserved, not shipped; `AUXIL_CODE` is `quote_marker` and "
        "`DOC_NUMBER` the quote's number and version; a Logo user turns it into an order by approving it) or "
        "`none` (quotes stay in the portal).",
        choices=("suggestion_order", "none"),
        default="suggestion_order",
    )
    quote_marker = Text(
        "The `AUXIL_CODE` (özel kod, SPECODE) that marks the portal's quote slips; order reads leave those slips "
        "out. No order may carry it.",
        default="B2B-TEKLIF",
    )
    credit_memos = Choice(
        "Refunds reach Logo as `credit_note` (a credit note on the customer's account, alacak dekontu: `ArpSlips` "
        "TYPE 4, carrying the portal's reference in `DOC_NUMBER` and the invoice in the description) or `none` "
        "(not sent: accounting keys them in).",
        choices=("credit_note", "none"),
        default="credit_note",
    )
    customer_cards = Choice(
        "New dealers confirmed by staff reach Logo as `customer_card` (a customer card, cari hesap kartı: `Arps`, "
        "looked up by its code first) or `none` (not sent: accounting opens the card, and staff confirming a dealer "
        "are told so).",
        choices=("customer_card", "none"),
        default="customer_card",
    )
    stock_table = Choice(
        "Where stock is read: `GNTOTST` (running totals) or `STINVTOT` (dated movements, summed).",
        choices=STOCK_TABLES,
        default="GNTOTST",
    )
    committed = Choice(
        "What counts as committed stock: RESERVED plus ACTSORDER (actual sales orders), either alone, or none.",
        choices=COMMITTED,
        default="reserved_and_orders",
    )
    unsellable_warehouses = TextList(
        "Warehouse numbers the portal does not sell from (consignment, returns).", default=[]
    )
    sold_card_types = TextList(
        "Item CARDTYPEs the portal sells (1 trade goods, 2 mixed box, 3 deposit, 12 finished goods); items of other "
        "types (raw materials, fixed assets…) are read as not sold.",
        default=["1", "2", "3", "12"],
    )
    currencies = TextMap(
        "Logo currency numbers → ISO codes (0 and 160 are the local currency).", default=DEFAULT_CURRENCIES
    )
    price_priority = Choice(
        "Which of several valid price cards of one item, unit and list wins: the lowest PRIORITY number or the "
        "highest (Logo's order is not confirmed; check on the server).",
        choices=PRICE_PRIORITIES,
        default="lowest_first",
    )
    balance_source = Choice(
        "Customer balances from the ledger lines (`CLFLINE`, debit − credit) or the totals table (`GNTOTCL`).",
        choices=BALANCE_SOURCES,
        default="CLFLINE",
    )
    credit_limit = Choice(
        "The risk limit column read as the credit limit (table CLRNUMS; it differs between versions): "
        "`ACCRISKLIMIT`, `ORDRISKLIMIT`, or `none` (credit limits and holds are not read).",
        choices=CREDIT_LIMITS,
        default="none",
    )
    timezone = TimeZone(
        "The time zone of the Logo server's clock (dates and CAPIBLOCK hours are its local time).",
        default="Europe/Istanbul",
    )
    timeout_seconds = Number("Seconds to wait for an answer.", default=30, positive=True, as_float=True)
    page_size = Integer("Rows per page of `queries` and lists.", default=500, positive=True, maximum=5000)
    read_retries = Integer("How often a read answered 5xx, or not at all, is tried again.", default=2, minimum=0)
    token_lifetime_seconds = Integer(
        "How long a token is used when the token answer carries no `expires_in`; a refused token is renewed "
        "at once either way.",
        default=3600,
        positive=True,
    )
    lookback_days = Number(
        "How far back documents and the ledger go on a full read.", default=90, positive=True, as_float=True
    )

    def clean(self) -> list:
        if self.quote_document != "none" and not self.quote_marker.strip():
            return [self.problem("quote_marker", "'quote_marker' is required when quotes go to Logo.")]
        if "soap" in (self.write_transport, self.query_transport) and not self.soap_url:
            return [self.problem("soap_url", "'soap_url' is required when a transport is 'soap'.")]
        if self.soap_url and not self.soap_url.startswith(("http://", "https://")):
            return [self.problem("soap_url", f"'soap_url' must be an http(s) URL, got {self.soap_url!r}.")]
        return []


def rest_credentials(credentials: Mapping[str, str]) -> dict[str, str]:
    found = {name: credentials.get(name, "") for name in ("client_id", "client_secret", "username", "password")}
    missing = [name for name, value in found.items() if not value]
    if missing:
        raise ImproperlyConfigured(f"Logo adapter: credentials need {', '.join(missing)}.")
    return found


__all__ = [
    "BALANCE_SOURCES",
    "ORDER_STATUSES",
    "REFERENCE_FIELDS",
    "LogoSettings",
    "rest_credentials",
]
