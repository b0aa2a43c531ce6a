"""The Paraşüt adapter's connection settings, declared in ``ParasutSettings`` and parsed once when the adapter is
made (the table in docs/parasut.md is generated from the declaration).

Credentials (``credentials_ref``): ``client_id`` and ``client_secret`` (from Paraşüt support), and ``username``
(the user's e-mail) and ``password`` for the password grant. The tokens Paraşüt hands out are kept in the database,
encrypted (``erpsync.token_store``), never in these settings.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from erpsync.connection_settings import REQUIRED, Choice, Flag, Integer, Number, Settings, Text, TextMap, Url

ORDER_DOCUMENTS = ("sales_invoice", "sales_offer")
INVOICE_TYPES = ("invoice", "estimate")
STOCK_MODES = ("warehouses", "total")
CUSTOMER_CODES = ("id", "tax_number")


class ParasutSettings(Settings):
    owner = "Paraşüt adapter"
    title = "Paraşüt"

    base_url = Url(
        "Paraşüt's API server; the company's resources are under `v4/{company_id}/`.",
        default="https://api.parasut.com/",
    )
    company_id = Integer(
        "The company's number in Paraşüt (`firma_no`, in the web app's addresses).", default=REQUIRED, positive=True
    )
    customer_code = Choice(
        "What the portal knows a customer by (Paraşüt contacts have no code): the contact's Paraşüt `id`, or its "
        "`tax_number` (VKN/TCKN; looked up with `filter[tax_number]`; a contact without one is `#<id>`).",
        choices=CUSTOMER_CODES,
        default="id",
    )
    order_document = Choice(
        "What an approved portal order becomes (Paraşüt has no sales order): a draft `sales_invoice` or a "
        "`sales_offer`; either carries the portal order number in `order_no`.",
        choices=ORDER_DOCUMENTS,
        default="sales_invoice",
    )
    invoice_item_type = Choice(
        "The `item_type` of invoices made from orders: `invoice` or `estimate` (proforma).",
        choices=INVOICE_TYPES,
        default="invoice",
    )
    payment_accounts = TextMap(
        'Payment method → id of the Paraşüt cash or bank account collections go to (`{"card": "1201", "*": "1200"}`); '
        "needed for collections.",
        default={},
    )
    refunds = Flag(
        "Whether the company uses refund invoices: portal refunds are then sent as a refund-type invoice of the "
        "refunded amount at the invoice's VAT rate; otherwise refunds are not sent (staff book them in Paraşüt).",
        default=False,
    )
    stock_mode = Choice(
        "Stock per warehouse (`warehouses`: one request per tracked product for its inventory levels) or the "
        "product's total (`total`: read with the products, put on `stock_warehouse`).",
        choices=STOCK_MODES,
        default="warehouses",
    )
    stock_warehouse = Text("The warehouse code the total stock is put on when `stock_mode` is `total`.", default="")
    timeout_seconds = Number("Seconds to wait for an answer.", default=30, positive=True, as_float=True)
    page_size = Integer("Records per page (Paraşüt allows at most 25).", default=25, positive=True, maximum=25)
    rate_limit = Integer(
        "Requests per `rate_window_seconds` for the company, shared by every process.", default=10, positive=True
    )
    rate_window_seconds = Number("The rate limit's window.", default=10, positive=True, as_float=True)
    throttle_retries = Integer(
        "How often a request answered 429 is sent again (after `Retry-After`).", default=3, minimum=0
    )
    read_retries = Integer("How often a read answered 5xx, or not at all, is tried again.", default=2, minimum=0)
    lookup_pages = Integer(
        "How many pages of the newest invoices a look-up by the portal number alone reads (the outbox asks it before "
        "every push; the push itself looks up by customer and date, whatever the invoice's age).",
        default=4,
        positive=True,
    )
    lookback_days = Number(
        "How far back documents, the ledger and order look-ups go.", default=60, positive=True, as_float=True
    )


def oauth_credentials(credentials: Mapping[str, str]) -> dict[str, str]:
    """client_id and client_secret (required), username and password (for the password grant)."""
    found = {name: credentials.get(name, "") for name in ("client_id", "client_secret", "username", "password")}
    if not found["client_id"] or not found["client_secret"]:
        raise ImproperlyConfigured("Paraşüt adapter: credentials need 'client_id' and 'client_secret'.")
    return found
