"""The DİA adapter's connection settings, declared in ``DiaSettings`` and parsed once when the adapter is made (the
table in docs/dia.md is generated from the declaration).

Credentials (``credentials_ref``): ``username`` and ``password`` of a DİA user (screen sis3100; the portal can do
what that user may do on the desktop) and ``apikey``, the web-service key DİA issues to the company. The session DİA
hands out is kept in the database, encrypted (``erpsync.token_store``), never in these settings.

Points DİA's documentation leaves open are settings that take either reading (the price card's columns, the
order field that carries the portal's number, how an order is cancelled, the session's lifetime, the cost of a call).
"""

from __future__ import annotations

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

REFERENCE_FIELDS = ("belgeno", "fisno", "ekalan1", "aciklama1")
CANCEL_MODES = ("refuse", "status", "delete")
COLLECTION_SERVICES = ("carihesap_fisi", "kasaislemleri")
STOCK_MODES = ("report", "card")
STOCK_FIELDS = ("gercek_stok", "fiili_stok")
LEDGER_CUSTOMERS = ("moved", "changed", "all")
# DİA answers that say the content is wrong (raw server texts, not codes): refused for good, whatever the code.
BUSINESS_TEXTS = (
    "Kayıt bulunamadı",
    "Kritere uygun birden fazla",
    "value too long",
    "Hatalı Veri",
    "malformed",
    "zorunlu",
    "Geçersiz",
    "already exists",
    "zaten var",
    "iptal edilemez",
    "silinemez",
    "Tutar",
    "kalem",
)


class DiaSettings(Settings):
    owner = "DİA adapter"
    title = "DİA"

    base_url = Url(
        "The company's web-service address up to the module: `https://{server}.ws.dia.com.tr/api/v3/` (each call "
        "goes to `{module}/json` under it).",
        default=REQUIRED,
    )
    firma_kodu = Integer(
        "The company's code (`firma_kodu`); 0: found with `sis_yetkili_firma_donem_sube_depo` (the user must then "
        "be authorised for exactly one company).",
        default=0,
        minimum=0,
    )
    donem_kodu = Integer(
        "The period's code (`donem_kodu`); 0: the company's default period (`ontanimli`).", default=0, minimum=0
    )
    session_minutes = Number(
        "Idle minutes after which DİA ends a session (the documentation says 60; some tenants' notes say 30). An "
        "expired session is replaced once per call whatever this says; it only decides when a new one is taken "
        "without asking.",
        default=60,
        positive=True,
        as_float=True,
    )
    disconnect_same_user = Flag(
        "Send `disconnect_same_user` on login: DİA then ends the user's other sessions (another worker's, a person's "
        "desktop session with the same user). Leave off when the portal's user is its own.",
        default=False,
    )
    credit_per_call = Number(
        "Kontör one call costs (login and logout are free): 0.0125 in DİA's current documentation; older tenants' "
        "contracts say 0.5. Only used to count what runs spend.",
        default="0.0125",
        positive=True,
    )
    page_size = Integer("Rows per `_listele` page (`limit`).", default=500, positive=True, maximum=5000)
    timeout_seconds = Number("Seconds to wait for an answer.", default=30, positive=True, as_float=True)
    read_retries = Integer("How often a read answered 5xx, or not at all, is tried again.", default=2, minimum=0)
    timezone = TimeZone("The time zone of DİA's `_date` and document dates.", default="Europe/Istanbul")
    order_reference_field = Choice(
        "The sales order field the portal's order number goes into and is looked up by (`scf_siparis_listele` "
        "filtered on it before every create): `belgeno`, `fisno`, `ekalan1` or `aciklama1`. `fisno` also becomes "
        "the slip's number; pick a field DİA's users leave alone.",
        choices=REFERENCE_FIELDS,
        default="belgeno",
    )
    order_branch = Text("The branch code (`subekodu`) orders are booked on; empty: DİA's default.", default="")
    order_depot = Text("The depot code (`depokodu`) orders are taken from; empty: DİA's default.", default="")
    cancel_mode = Choice(
        "What a portal cancellation does: `refuse` (nothing in DİA; the job stops with a message asking a person to "
        "cancel the order in DİA), `status` (`scf_siparis_guncelle` sets `onay` to `cancel_status`) or `delete` "
        "(`scf_siparis_sil`); either is refused once anything was dispatched.",
        choices=CANCEL_MODES,
        default="refuse",
    )
    cancel_status = Text("The `onay` value of a cancelled order (`cancel_mode` `status`).", default="IPTAL")
    collection_service = Choice(
        "Where collections go: `carihesap_fisi` (`scf_carihesap_fisi_ekle`, a card `KK` or transfer `VF` slip on "
        "`bank_account`) or `kasaislemleri` (`scf_kasaislemleri_ekle`, a `TAH` cash receipt into `cash_box`).",
        choices=COLLECTION_SERVICES,
        default="carihesap_fisi",
    )
    collection_slip_types = TextMap(
        'Payment method → slip type of `carihesap_fisi` (`{"card": "KK", "*": "VF"}`).',
        default={"card": "KK", "*": "VF"},
    )
    bank_account = Text("The `_key` of the bank account (`bcs_bankahesabi`) collection slips name.", default="")
    card_payment_plan = Text("The `_key` of the bank payment plan (`scf_banka_odeme_plani`) of card slips.", default="")
    cash_box = Text("The `_key` of the cash box (`scf_kasakart`) cash receipts go into.", default="")
    price_slots = TextMap(
        'Price slots of the item card read as price lists, slot → name (`{"1": "Perakende", "2": "Bayi"}`): list '
        "`FIYAT1`… in lira. Empty: none.",
        default={},
    )
    price_cards = Flag(
        "Read price cards (`scf_fiyatkart_listele`): cards without a customer are price lists (one per card code and "
        "currency), cards naming a customer are the customer's agreed prices.",
        default=True,
    )
    price_card_columns = TextMap(
        "Column names of the price card where a tenant's differ from the portal's reading (not confirmed by DİA's "
        "documentation): keys `code`, `name`, `item`, `customer`, `price`, `currency`, `vat_included`, `start`, "
        "`end`, `status`.",
        default={},
    )
    customer_price_list = Text("The price list every customer buys from (e.g. `FIYAT2`); empty: none.", default="")
    sellable_kinds = TextList(
        "Item card types (`stokkartturu`) sold through the portal; other cards (services, fixtures) are read inactive.",
        default=["TCR"],
    )
    stock_mode = Choice(
        "Stock per depot through report `scf2310a` (`report`, one call per page of rows), or the item card's "
        "`stock_field` put on `stock_warehouse` (`card`) where the company does not keep stock per depot.",
        choices=STOCK_MODES,
        default="report",
    )
    stock_field = Choice(
        "The item card's stock column when `stock_mode` is `card`.", choices=STOCK_FIELDS, default="gercek_stok"
    )
    stock_warehouse = Text("The warehouse code the card's stock is put on (`stock_mode` `card`).", default="")
    unsellable_warehouses = TextList("Depot codes whose stock the portal does not sell from.", default=[])
    ledger_customers = Choice(
        "Whose statement (report `scf1110a`, one call per customer) the ledger reads: `moved` (customers with any "
        "debit or credit), `changed` (of those, the ones whose card's `_date` moved since the last read: cheapest, "
        "where the tenant's postings touch the card — not confirmed for every tenant) or `all`.",
        choices=LEDGER_CUSTOMERS,
        default="moved",
    )
    lookback_days = Number(
        "How far back dispatches, invoices and the ledger are read when there is no watermark.",
        default=60,
        positive=True,
        as_float=True,
    )
    business_texts = TextList(
        "Parts of DİA's answer texts that mean the content is wrong (refused for good, not retried), whatever the "
        "code DİA gives them.",
        default=list(BUSINESS_TEXTS),
    )


def dia_credentials(credentials: Mapping[str, str]) -> dict[str, str]:
    found = {name: credentials.get(name, "") for name in ("username", "password", "apikey")}
    missing = [name for name, value in found.items() if not value]
    if missing:
        raise ImproperlyConfigured(f"DİA adapter: credentials need {', '.join(missing)}.")
    return found
