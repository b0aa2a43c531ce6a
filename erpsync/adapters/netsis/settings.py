"""The Netsis adapter's connection settings, declared in ``NetsisSettings`` and parsed once when the adapter is made
(the table in docs/netsis.md is generated from the declaration).

Credentials (``credentials_ref``): ``username`` and ``password`` (a Netsis user of the company), ``db_user`` and
``db_password`` (the SQL Server login NetOpenX opens the company database with). Tokens are kept in the database,
encrypted (``erpsync.token_store``), never in these settings.

Points the public descriptions of NetOpenX REST leave open are settings that take either reading: the ``dbtype`` of
the token form (``vtMSSQL``, ``0`` or ``1``), document types sent as names or numbers, the unit conversion ratio
(PAY/PAYDA or PAYDA/PAY), which fields carry the portal's reference and the PO number, and the names of the fields
for delivered quantities, locked accounts and ledger movement kinds. ``ErrorDesc`` and ``ErrorDescription`` are both
read, whichever the server sends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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
    TimeZone,
    Url,
)

DB_TYPES = ("vtMSSQL", "0", "1")
TYPE_FORMATS = ("name", "number")
NUMBERING = ("reference", "new_number")
UNIT_RATIOS = ("pay_over_payda", "payda_over_pay")
PAYMENT_SLIPS = ("bank", "fastpay")
QUOTE_TYPES = ("ftSatTeklif", "ftSatTalep")
DEFAULT_CURRENCIES = {"0": "TRY", "1": "USD", "2": "EUR", "3": "GBP"}
DEFAULT_LEDGER_KINDS = {"FATURA": "invoice", "IADE": "credit_memo", "TAHSILAT": "collection", "DEVIR": "opening"}
FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PREFIX = re.compile(r"^[A-Z]{1,5}$")


def _field(help_text: str, default: str) -> Text:
    return Text(help_text, default=default, blank=False, check=(lambda v: bool(FIELD.match(v)), "a field name"))


class NetsisSettings(Settings):
    owner = "Netsis adapter"
    title = "Logo Netsis (NetOpenX REST)"

    base_url = Url(
        "The NetOpenX REST service's root (often `http://host:7070/`); the API is under `api/v2/`.", default=REQUIRED
    )
    db_name = Text("The company database (`dbname` of the token form).", default=REQUIRED, blank=False)
    branch_code = Integer("The branch (`branchcode`; 0 = the main branch).", default=0, minimum=0)
    db_type = Choice(
        "`dbtype` of the token form: `vtMSSQL` (the name), or `0`/`1` (clients disagree on the number of SQL Server).",
        choices=DB_TYPES,
        default="vtMSSQL",
    )
    type_format = Choice(
        "How `FaturaTip` is sent: `name` (`ftSSip`, safest) or `number` (0-based: ftSFat=0 … ftSSip=7).",
        choices=TYPE_FORMATS,
        default="name",
    )
    numbering = Choice(
        "How order and quote numbers (`FATIRS_NO`) are chosen: `reference` (made from the portal number: "
        "`number_prefix` + its digits, unique per type and customer, so Netsis itself refuses a second slip) or "
        "`new_number` (`ItemSlips/NewNumber` in `series`, in one transaction with the create). Either way the "
        "reference is looked up before every create.",
        choices=NUMBERING,
        default="reference",
    )
    number_prefix = Text(
        "Letters before the digits of a `reference` order number (1–5 capitals).",
        default="B",
        check=(lambda v: bool(PREFIX.match(v)), "1 to 5 capital letters"),
    )
    quote_number_prefix = Text(
        "Letters before the digits of a `reference` quote number.",
        default="T",
        check=(lambda v: bool(PREFIX.match(v)), "1 to 5 capital letters"),
    )
    series = Text("The series (`Seri`) `NewNumber` numbers in, for `new_number`.", default="W")
    reference_field = _field(
        "The slip header field (`FatUst`) that carries the portal order or quote number.", "EKACK1"
    )
    po_field = _field("The slip header field that carries the dealer's PO number.", "BELGE_NO")
    order_warehouse = Integer("The warehouse (`DEPO_KODU`) orders ship from.", default=1, minimum=0)
    order_kind = Integer(
        "`TIPI` of orders and quotes (1 domestic closed, 2 domestic open, 8 export).", default=2, positive=True
    )
    vat_included = Flag(
        "Whether the prices sent include VAT (`KDV_DAHILMI`); the portal sends net prices.", default=False
    )
    quote_type = Choice("The slip type quotes are sent as.", choices=QUOTE_TYPES, default="ftSatTeklif")
    payment_slip = Choice(
        "Where collections go: `bank` (`BankAccountTransaction` on the account `payment_accounts` names) or "
        "`fastpay` (a `FastPayMain` slip into that cash box).",
        choices=PAYMENT_SLIPS,
        default="bank",
    )
    payment_accounts = TextMap(
        'Payment method → bank account (`NETHESKODU`) or cash box code, `"*"` for any, e.g. '
        '`{"card": "102.01.002", "*": "102.01.001"}`; needed for collections.',
        default={},
    )
    unit_ratio = Choice(
        "How a unit's `PAY`/`PAYDA` give base units per pack: `pay_over_payda` or `payda_over_pay`.",
        choices=UNIT_RATIOS,
        default="pay_over_payda",
    )
    unsold_groups = TextList(
        "Item groups (`GRUP_KODU`) the portal does not sell (raw materials, fixed assets).",
        default=["HAMMADDE", "DEMIRBAS"],
    )
    customer_types = TextList("Account types (`CARI_TIP`) read as customers (A buyer, S supplier, …).", default=["A"])
    currencies = TextMap(
        "Netsis currency numbers (`SAT_DOV_TIP`, `DOVIZ_KODU`) → ISO codes.", default=DEFAULT_CURRENCIES
    )
    price_list = Text(
        "The code of the price list the items' sale price (`SATIS_FIAT1`) is read into.", default="SATIS1", blank=False
    )
    warehouses = TextMap('Warehouse number → name, e.g. `{"1": "Merkez"}` (NetOpenX lists no warehouses).', default={})
    unsellable_warehouses = TextList("Warehouse numbers the portal does not sell from.", default=[])
    delivered_field = _field("The order line field holding the quantity delivered.", "TESLIM_MIKTARI")
    blocked_field = _field("The account field that says it is locked (`E`).", "KILIT")
    ledger_kinds = TextMap(
        "Ledger movement kinds (`HAREKET_TURU`) → invoice, credit_memo, collection, opening, "
        "refund; others are adjustments.",
        default=DEFAULT_LEDGER_KINDS,
    )
    retryable_codes = TextList(
        "Business error codes (`ErrorCode`) that mean “try later” (a lock, a busy server).", default=["7001"]
    )
    transactions = Flag(
        "Whether writes that span calls run in `Operations/BeginTransaction` … `CommitTransaction`.", default=True
    )
    timezone = TimeZone("The time zone of the Netsis server's clock.", default="Europe/Istanbul")
    timeout_seconds = Number("Seconds to wait for an answer.", default=30, positive=True, as_float=True)
    page_size = Integer("Rows per page of lists.", default=500, positive=True, maximum=5000)
    read_retries = Integer("How often a read answered 5xx, or not at all, is tried again.", default=2, minimum=0)
    live_stock_concurrency = Integer(
        "How many `Company/BringBalance` requests a live stock check keeps in flight at once (NetOpenX REST answers "
        "one item per request); 1 sends them one after another.",
        default=4,
        positive=True,
        maximum=16,
    )
    token_lifetime_seconds = Integer(
        "How long a token is used when the answer carries no `expires_in`.", default=1200, positive=True
    )
    lookback_days = Number(
        "How far back documents and the ledger go on a full read.", default=90, positive=True, as_float=True
    )

    def clean(self) -> list:
        unknown = sorted(
            set(self.ledger_kinds.values())
            - {"invoice", "credit_memo", "collection", "opening", "refund", "adjustment"}
        )
        if unknown:
            return [self.problem("ledger_kinds", f"'ledger_kinds' names unknown kinds: {', '.join(unknown)}.")]
        return []


def credentials_of(credentials: Mapping[str, str]) -> dict[str, str]:
    found = {name: credentials.get(name, "") for name in ("username", "password", "db_user", "db_password")}
    missing = [name for name in ("username", "password", "db_user") if not found[name]]
    if missing:
        raise ImproperlyConfigured(f"Netsis adapter: credentials need {', '.join(missing)}.")
    return found


__all__ = ["NetsisSettings", "credentials_of"]
