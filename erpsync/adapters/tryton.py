"""The Tryton adapter: talks to a Tryton server's REST API (``/<database>/rest/model/<model>``) over HTTP(S).

Tryton is GPL software: the portal never imports it; it only exchanges JSON with the server.

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

Credentials: ``key``, the key of a validated ``res.user.application`` (application "REST API") of the Tryton user
the portal acts as. The user's company and preferences come from Tryton (``res.user/get_preferences``) and travel
in every request's ``X-Tryton-Context`` header.

Codes: products by their code, customers (parties) by their code, warehouses by their location code, units by
their symbol, price lists and payment terms by their Tryton id, currencies by ISO code.

Sales carry the portal order number as the customer ``reference``; a push looks the reference up first and
finishes the workflow of a sale an earlier attempt left behind, so retries never create a second sale.

Ledger (the customer's account movements): the lines of posted journal entries on receivable accounts that name a
party with a code (``aml:<line id>``), debit less credit in the company currency, dated as their entry, due on their
maturity date. What they are comes from their origin: the lines to pay of a customer invoice or credit note carry its
number; a payment of an invoice, a cash journal's line, a bank statement or a payment is a collection (a refund when
it raises what the customer owes); an opening entry (journal of type situation) an opening; the rest (cancellations,
write-offs, entries keyed in by hand) an adjustment. Open: nothing on a reconciled line; on an invoice's lines to
pay, what its payment lines have not covered yet (earliest maturity first), and nothing on those payment lines; the
whole line otherwise. Draft entries are left out (Tryton's receivable counts them, so the two differ while drafts
exist).

Open orders: sales quoted, confirmed or in processing that are not yet shipped and invoiced in full, and drafts
carrying the portal's reference.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests
from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import (
    Capability,
    ConnectionCheck,
    DocumentKind,
    ErpAck,
    ErpAdapter,
    ErpAddress,
    ErpBalance,
    ErpCancel,
    ErpCredit,
    ErpCustomer,
    ErpDocument,
    ErpError,
    ErpLedgerEntry,
    ErpOpenOrder,
    ErpOrder,
    ErpOrderAck,
    ErpOrderState,
    ErpOrderStatus,
    ErpPayment,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductUnit,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    Feed,
    LedgerKind,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.http import base_url_setting, flag_setting, setting_number, transport_error
from erpsync.adapters.http import number as _number
from erpsync.adapters.http import retry_after as _retry_after
from erpsync.adapters.http import text as _text

logger = logging.getLogger(__name__)


def _decimal(value: Any) -> Decimal | None:
    return _number(value, "Tryton")


# Every entity of the contract but categories, brands and dealer agreements, which Tryton does not hold as such.
ENTITIES = tuple(entity for entity in ErpAdapter.readable if entity not in {"category", "brand", "agreement"})
DELTA_ENTITIES = frozenset({"product", "customer", "order_status", "delivery", "invoice", "credit_memo", "ledger"})
ORDER_STATES = ("draft", "quotation", "confirmed")
# Each step of Tryton's sale workflow, and the button that takes a sale there.
WORKFLOW = {"quotation": "quote", "confirmed": "confirm"}
STATE_RANK = {"draft": 0, "quotation": 1, "confirmed": 2, "processing": 3, "done": 4}
# Context keys of the user's preferences that Tryton's own clients send back with every call.
CONTEXT_KEYS = ("company", "companies", "company_filter", "employee", "employees", "language")
# Sale states in which Tryton's "cancel" still works (a confirmed sale goes back to draft first).
CANCELLABLE = ("draft", "quotation", "confirmed")
KEYS_PER_REQUEST = 200
# Origins of journal entries that are money received from (or paid back to) a customer.
PAYMENT_ORIGINS = frozenset({"account.statement", "account.statement.line", "account.payment"})
# Sale states that are orders the company still has to carry out (drafts only with the portal's reference).
OPEN_SALE_STATES = ("quotation", "confirmed", "processing")


# --- Tryton's JSON ---------------------------------------------------------------------------------------------
# Decimals, dates and datetimes travel as {"__class__": ..., ...} objects; datetimes are UTC without a zone.


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _object_hook(value: dict[str, Any]) -> Any:
    kind = value.get("__class__")
    if kind == "Decimal":
        return Decimal(value["decimal"])
    if kind == "datetime":
        return datetime(
            value["year"],
            value["month"],
            value["day"],
            value.get("hour", 0),
            value.get("minute", 0),
            value.get("second", 0),
            value.get("microsecond", 0),
            tzinfo=UTC,
        )
    if kind == "date":
        return date(value["year"], value["month"], value["day"])
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def encode_param(value: Any) -> str:
    """A domain, order or context as Tryton's REST API takes it: URL-safe base64 of its JSON."""
    return base64.urlsafe_b64encode(dumps(value).encode()).decode()


# --- small mappers -----------------------------------------------------------------------------------------------


def _nested(row: Mapping[str, Any] | None, *path: str) -> Any:
    """``row[a][b]…`` where any step may be missing or None (a Many2One left empty)."""
    value: Any = row
    for step in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def _latest(*stamps: datetime | None) -> datetime | None:
    present = [stamp for stamp in stamps if stamp is not None]
    return max(present) if present else None


def vat_rate(taxes: Iterable[Mapping[str, Any]] | None) -> Decimal | None:
    """The VAT rate in percent of a product's customer taxes (Tryton keeps rates as fractions: 0.20 → 20).
    None when the product has no account category; a fixed-amount tax makes the rate unknowable, so None too."""
    if taxes is None:
        return None
    total = Decimal(0)
    for tax in taxes:
        if tax.get("type", "percentage") != "percentage":
            return None
        total += _decimal(tax.get("rate")) or Decimal(0)
    return _decimal(total * 100)


def order_state(sale: Mapping[str, Any]) -> ErpOrderState:
    """A sale's progress as the portal understands it.

    ``processing`` means Tryton has created the shipments: the sale can no longer be cancelled as a whole, so it is
    "allocated" (the point of no return) until goods leave; then shipped, and invoiced once an invoice is posted
    and nothing is left to ship."""
    state = sale.get("state")
    if state == "cancelled":
        return ErpOrderState.CANCELLED
    if state == "done":
        return ErpOrderState.CLOSED
    if state != "processing":
        return ErpOrderState.OPEN
    shipment_state = sale.get("shipment_state")
    invoiced = sale.get("invoice_state") in ("awaiting payment", "partially paid", "paid")
    if shipment_state in ("sent", "none") and invoiced:
        return ErpOrderState.INVOICED
    if shipment_state == "sent":
        return ErpOrderState.SHIPPED
    if shipment_state == "partially shipped":
        return ErpOrderState.PARTIALLY_SHIPPED
    return ErpOrderState.ALLOCATED


def _street_lines(street: str) -> tuple[str, str]:
    lines = [line.strip() for line in (street or "").splitlines() if line.strip()]
    return (lines[0] if lines else ""), ", ".join(lines[1:])


def error_message(response: requests.Response) -> str:
    """Tryton's own words: a user error's ``message`` (and ``description``), else the text of the HTML error page."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        description = _text(body.get("description")).strip()
        return _text(body["message"]).strip() + (f" ({description})" if description else "")
    text = response.text or response.reason or ""
    if "<p>" in text:  # werkzeug's error page: the message is the paragraph
        text = text.split("<p>", 1)[1].split("</p>", 1)[0]
    return " ".join(text.replace("&#39;", "'").replace("&quot;", '"').split())[:300]


class TrytonAdapter(ErpAdapter):
    """Tryton through its REST API. See the module documentation for settings."""

    key = "tryton"
    capabilities = frozenset(
        {
            Capability.UNITS,
            Capability.PRODUCTS,
            Capability.WAREHOUSES,
            Capability.STOCK,
            Capability.PRICE_LISTS,
            Capability.PRICES,
            Capability.CUSTOMERS,
            Capability.BALANCES,
            Capability.CREDIT,
            Capability.DELTA,
            Capability.ORDER_PUSH,
            Capability.ORDER_LOOKUP,
            Capability.ORDER_CANCEL,
            Capability.ORDER_STATUS,
            Capability.DOCUMENTS,
            Capability.LIVE_STOCK,
            Capability.LIVE_BALANCE,
            Capability.PAYMENT_PUSH,
            Capability.LEDGER,
            Capability.OPEN_ORDERS,
        }
    )

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        options = self.settings
        base_url = base_url_setting(options, who="Tryton", what="the Tryton server's root URL")
        database = options.get("database")
        if not database or not isinstance(database, str) or "/" in database:
            raise ImproperlyConfigured("Tryton adapter: settings need 'database', the name of the Tryton database.")
        self.database = database
        self.rest_url = f"{base_url}{quote(database)}/rest/"
        self.verify_tls = flag_setting(options, "verify_tls", True, who="Tryton")
        self.timeout = self._positive_number("timeout_seconds", 30)
        self.page_size = int(self._positive_number("page_size", 200, whole=True))
        self.delta_overlap = timedelta(seconds=self._positive_number("delta_overlap_seconds", 300, zero=True))
        self.order_state = options.get("order_state", "quotation")
        if self.order_state not in ORDER_STATES:
            raise ImproperlyConfigured(
                f"Tryton adapter: 'order_state' must be one of {', '.join(ORDER_STATES)}, got {self.order_state!r}."
            )
        sellable = options.get("sellable_warehouses")
        if sellable is not None and (
            isinstance(sellable, str) or not all(isinstance(code, str) and code for code in sellable)
        ):
            raise ImproperlyConfigured("Tryton adapter: 'sellable_warehouses' must be a list of warehouse codes.")
        self.sellable_warehouses = None if sellable is None else frozenset(sellable)
        self.order_warehouse = options.get("order_warehouse", "")
        self.reference_prefix = options.get("reference_prefix", "")
        self.payment_journal = options.get("payment_journal", "")
        self.payment_account = options.get("payment_account", "")
        if bool(self.payment_journal) != bool(self.payment_account):
            raise ImproperlyConfigured("Tryton adapter: payments need both 'payment_journal' and 'payment_account'.")
        for name in ("order_warehouse", "reference_prefix", "payment_journal", "payment_account"):
            if not isinstance(options.get(name, ""), str):
                raise ImproperlyConfigured(f"Tryton adapter: {name!r} must be text, got {options[name]!r}.")
        self.api_key = self.credentials.get("key", "")
        if not self.api_key:
            raise ImproperlyConfigured(
                "Tryton adapter: credentials need 'key', the key of a validated REST user application."
            )
        self._http = requests.Session()
        self._http.headers.update({"Accept": "application/json", "Authorization": f"Bearer {self.api_key}"})
        self._lock = threading.Lock()
        self._context: dict[str, Any] | None = None
        self._company: dict[str, Any] | None = None

    def _positive_number(self, name: str, default: float, *, whole: bool = False, zero: bool = False) -> float:
        return setting_number(self.settings, name, default, who="Tryton", whole=whole, zero=zero)

    def close(self) -> None:
        self._http.close()

    # --- HTTP --------------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, params=None, body: Any = None, context=None, write: bool):
        """One HTTP exchange; transport failures become the contract's errors."""
        headers = {}
        data = None
        if body is not None:
            data = dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if context is not None:
            headers["X-Tryton-Context"] = encode_param(context)
        try:
            return self._http.request(
                method,
                self.rest_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify_tls,
            )
        except requests.RequestException as exc:
            where = path.split("?", 1)[0]
            raise transport_error(exc, who="Tryton", method=method, where=where, write=write) from exc

    def error_for(self, response: requests.Response) -> ErpError:
        """The contract's error for a Tryton answer that is not a success."""
        status = response.status_code
        message = error_message(response)
        text = f"Tryton answered {status}" + (f": {message}" if message else "")
        details = {"status": status}
        if status == 429 or status >= 500 or status in (408, 423):
            # 423: a record locked by a concurrent transaction; 503: the database was busy.
            return RetryableError(text, retry_after=_retry_after(response), code=str(status), details=details)
        if status == 401:
            return PermanentError(
                f"Tryton refused the application key ({status}): is the REST user application validated?",
                code=str(status),
                details=details,
            )
        # 400 (Tryton's user and validation errors), 403 (access), 404 (database or record), 409 (a warning that
        # needs a person to confirm it): the same request fails again until someone changes the data or the rights.
        return PermanentError(text, code=str(status), details=details)

    def _call(self, method: str, path: str, *, params=None, body: Any = None, write: bool = False, context=None):
        """A request in the user's context (plus ``context``), errors mapped; the decoded JSON answer."""
        full_context = {**self.context(), **(context or {})}
        response = self._send(method, path, params=params, body=body, context=full_context, write=write)
        return self._decode(response)

    def _decode(self, response: requests.Response) -> Any:
        if response.status_code >= 400:
            raise self.error_for(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return json.loads(response.content, object_hook=_object_hook, parse_float=Decimal)
        except ValueError:
            raise RetryableError(f"Tryton answered {response.status_code} with a body that is not JSON") from None

    def context(self) -> dict[str, Any]:
        """The user's context (company, language…), asked once per adapter."""
        with self._lock:
            if self._context is None:
                response = self._send(
                    "POST", "model/res.user/get_preferences", body={"context_only": True}, write=False
                )
                preferences = self._decode(response) or {}
                self._context = {key: preferences[key] for key in CONTEXT_KEYS if key in preferences}
            return self._context

    def company(self) -> dict[str, Any]:
        """The user's current company: its id, party id and currency code."""
        if self._company is None:
            company_id = self.context().get("company")
            if not company_id:
                raise PermanentError("The Tryton user of the application key has no current company.")
            row = self._call("GET", f"model/company.company/{int(company_id)}", params=_f("party", "currency.code"))
            self._company = {"id": row["id"], "party": row.get("party"), "currency": _nested(row, "currency", "code")}
        return self._company

    def search(
        self,
        model: str,
        domain: list,
        fields: Iterable[str],
        *,
        context: Mapping[str, Any] | None = None,
        eager: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Every record of ``model`` matching ``domain``, page after page by id (new records cannot shift a page).
        The first page is fetched now, so an unreachable server fails the call rather than the feed."""
        field_params = [("f", name) for name in fields]
        order = encode_param([["id", "ASC"]])

        def page(after: int) -> list[dict[str, Any]]:
            params = [
                ("d", encode_param([domain, ["id", ">", after]])),
                ("o", order),
                ("s", str(self.page_size)),
                *field_params,
            ]
            return self._call("GET", f"model/{model}", params=params, context=context) or []

        first = page(0)

        def rows() -> Iterator[dict[str, Any]]:
            batch = first
            while True:
                yield from batch
                if len(batch) < self.page_size:
                    return
                batch = page(batch[-1]["id"])

        return rows()

    def button(self, model: str, record_id: int, action: str) -> Any:
        return self._call("POST", f"model/{model}/{int(record_id)}/{action}", body={}, write=True)

    # --- checks --------------------------------------------------------------------------------------------

    def test_connection(self) -> ConnectionCheck:
        details = {"database": self.database}
        try:
            company = self.company()
            list(self.search("stock.location", [["type", "=", "warehouse"]], ["code"]))
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"Tryton is not usable: {exc}", details)
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("Tryton connection check failed")
            return ConnectionCheck(False, f"Tryton check failed: {type(exc).__name__}: {exc}", details)
        details["company"] = company["id"]
        return ConnectionCheck(
            True, f"Connected to Tryton database {self.database} (company {company['id']}).", details
        )

    # --- reading -------------------------------------------------------------------------------------------

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        if entity not in ErpAdapter.readable:
            raise ValueError(f"Unknown entity {entity!r}; the Tryton adapter reads {', '.join(ENTITIES)}.")
        if entity not in ENTITIES:
            raise ValueError(f"The Tryton adapter cannot read {entity!r}; it reads {', '.join(ENTITIES)}.")
        return self._read(entity, since=since, full=full)

    def _read(self, entity: str, *, since: datetime | None, full: bool) -> Iterator[Feed]:
        started = datetime.now(UTC)
        delta = since is not None and not full and entity in DELTA_ENTITIES
        window = (since - self.delta_overlap) if delta else None
        records = getattr(self, f"_read_{entity}")(window, started)
        yield Feed(
            entity=entity,
            source=f"tryton:{self.database}:{entity}" + (f"?since={since.isoformat()}" if delta else ""),
            records=records,
            complete=not delta,
            watermark=started,
            scope={"database": self.database},
        )

    @staticmethod
    def _changed(window: datetime | None, *paths: str) -> list:
        """The domain of records changed in the window: their own stamp or one of their parts' (``paths``)."""
        if window is None:
            return []
        return ["OR", *([f"{path}last_modified_at", ">=", window] for path in ("", *paths))]

    def _read_unit(self, window, started) -> Iterator[ErpUnit]:
        # Inactive units cannot be used on new documents: the portal does not need them.
        rows = self.search("product.uom", [], ["symbol", "name", "digits"])
        return (
            ErpUnit(code=row["symbol"], name=_text(row.get("name")), decimals=int(row.get("digits") or 0))
            for row in rows
            if row.get("symbol")
        )

    PRODUCT_FIELDS = (
        "code",
        "name",
        "active",
        "salable",
        "description",
        "template.active",
        "template.last_modified_at",
        "last_modified_at",
        "default_uom.symbol",
        "default_uom.factor",
        "sale_uom.symbol",
        "sale_uom.factor",
        "account_category.customer_taxes_used.rate",
        "account_category.customer_taxes_used.type",
        "identifiers.type",
        "identifiers.code",
    )

    def _read_product(self, window, started) -> Iterator[ErpProduct]:
        domain = [["code", "!=", None], self._changed(window, "template.", "identifiers.")]
        rows = self.search("product.product", domain, self.PRODUCT_FIELDS, context={"active_test": False})
        return (product_record(row) for row in rows)

    def _warehouses(self, *, active_only: bool = False) -> list[dict[str, Any]]:
        domain = [["type", "=", "warehouse"], ["code", "!=", None]]
        context = None if active_only else {"active_test": False}
        return list(self.search("stock.location", domain, ["code", "name", "active"], context=context))

    def _read_warehouse(self, window, started) -> Iterator[ErpWarehouse]:
        return (
            ErpWarehouse(
                code=row["code"],
                name=_text(row.get("name")),
                sellable=self.sellable_warehouses is None or row["code"] in self.sellable_warehouses,
                active=bool(row.get("active")),
            )
            for row in self._warehouses()
        )

    def _stock(self, codes: list[str] | None, as_of: datetime) -> Iterator[ErpStock]:
        """Per warehouse: on hand (done moves up to today, what Tryton calls quantity) and committed (goods on
        outgoing moves not yet done: confirmed sales waiting for shipment). The warehouses are read at once, so an
        unreachable server fails the call rather than the feed."""
        warehouses = self._warehouses(active_only=True)
        return self._stock_rows(warehouses, codes, as_of)

    def _stock_rows(self, warehouses: list[dict[str, Any]], codes: list[str] | None, as_of: datetime):
        product_domain: list = [["code", "!=", None], ["type", "=", "goods"]]
        if codes is not None:
            product_domain.append(["code", "in", codes])
        for warehouse in warehouses:
            location = {"locations": [warehouse["id"]]}
            on_hand = {
                row["code"]: _decimal(row.get("quantity")) or Decimal(0)
                for row in self.search("product.product", product_domain, ["code", "quantity"], context=location)
            }
            move_domain = [
                ["from_location", "child_of", [warehouse["id"]], "parent"],
                ["to_location", "not child_of", [warehouse["id"]], "parent"],
                ["state", "in", ["draft", "assigned"]],
                ["product.code", "!=", None],
            ]
            if codes is not None:
                move_domain.append(["product.code", "in", codes])
            committed: dict[str, Decimal] = {}
            for move in self.search("stock.move", move_domain, ["product.code", "internal_quantity"]):
                code = _nested(move, "product", "code")
                committed[code] = committed.get(code, Decimal(0)) + (_decimal(move.get("internal_quantity")) or 0)
            for code in sorted(set(on_hand) | set(committed)):
                quantity, reserved = on_hand.get(code, Decimal(0)), _decimal(committed.get(code, Decimal(0)))
                if quantity or reserved or codes is not None:
                    yield ErpStock(code, warehouse["code"], quantity, reserved, as_of=as_of)

    def _read_stock(self, window, started) -> Iterator[ErpStock]:
        return self._stock(None, started)

    def _read_price_list(self, window, started) -> Iterator[ErpPriceList]:
        currency = self.company()["currency"] or "TRY"
        rows = self.search("product.price_list", [], ["name", "tax_included", "active"], context={"active_test": False})
        return (
            ErpPriceList(
                code=str(row["id"]),
                name=_text(row.get("name")),
                currency=currency,
                vat_included=bool(row.get("tax_included")),
                active=bool(row.get("active")),
            )
            for row in rows
        )

    def _read_price(self, window, started) -> Iterator[ErpPrice]:
        """Tryton computes prices from formulas; the adapter asks it for each list's price of every salable product
        at quantity 1 (per sale unit), and at each quantity break of the list for products sold in their default
        unit (breaks are counted in the default unit)."""
        self.company()  # the company context the list's formulas need (list prices are per company)
        price_lists = list(self.search("product.price_list", [], ["lines.quantity"]))
        fields = ["code", "sale_price_uom", "default_uom", "sale_uom.symbol"]
        domain = [["code", "!=", None], ["salable", "=", True]]

        def records() -> Iterator[ErpPrice]:
            for price_list in price_lists:
                code = str(price_list["id"])
                breaks = sorted(
                    {Decimal(str(line["quantity"])) for line in price_list.get("lines") or [] if line.get("quantity")}
                )
                context = {"price_list": price_list["id"], "quantity": 1}
                base: dict[str, Decimal] = {}
                for row in self.search("product.product", domain, fields, context=context):
                    price = _decimal(row.get("sale_price_uom"))
                    if price is None:
                        continue  # the list does not price this product
                    base[row["code"]] = price
                    own_unit = _id(row.get("sale_uom")) == _id(row.get("default_uom"))
                    unit = "" if own_unit else _text(_nested(row, "sale_uom", "symbol"))
                    yield ErpPrice(code, row["code"], price, unit=unit)
                for quantity in (q for q in breaks if q > 1):
                    context = {"price_list": price_list["id"], "quantity": float(quantity)}
                    for row in self.search("product.product", domain, fields, context=context):
                        price = _decimal(row.get("sale_price_uom"))
                        own_unit = _id(row.get("sale_uom")) == _id(row.get("default_uom"))
                        if own_unit and price is not None and price != base.get(row["code"]):
                            yield ErpPrice(code, row["code"], price, min_quantity=_decimal(quantity))

        return records()

    CUSTOMER_FIELDS = (
        "code",
        "name",
        "active",
        "email",
        "phone",
        "last_modified_at",
        "tax_identifier.code",
        "identifiers.code",
        "sale_price_list",
        "customer_payment_term",
        "customer_currency.code",
        "addresses.party_name",
        "addresses.street",
        "addresses.postal_code",
        "addresses.city",
        "addresses.country.code",
        "addresses.invoice",
        "addresses.delivery",
        "addresses.sequence",
        "addresses.active",
    )

    def _customers(self, fields: Iterable[str], window=None, *, codes: list[str] | None = None):
        """Parties with a code, the companies' own parties left out."""
        company = self.company()
        domain: list = [["code", "!=", None], ["id", "!=", company["party"]]]
        if codes is not None:
            domain.append(["code", "in", codes])
        domain.append(self._changed(window, "addresses.", "identifiers.", "contact_mechanisms."))
        return self.search("party.party", domain, fields, context={"active_test": False})

    def _read_customer(self, window, started) -> Iterator[ErpCustomer]:
        currency = self.company()["currency"] or "TRY"
        return (customer_record(row, currency) for row in self._customers(self.CUSTOMER_FIELDS, window))

    def _read_balance(self, window, started) -> Iterator[ErpBalance]:
        currency = self.company()["currency"] or "TRY"
        rows = self._customers(["code", "receivable"])
        return (balance_record(row, currency, started) for row in rows)

    def _credit_module(self) -> None:
        fields = self._call("POST", "model/party.party/fields_get", body={"fields_names": ["credit_limit_amount"]})
        if "credit_limit_amount" not in (fields or {}):
            raise PermanentError(
                "Tryton has no credit limits: activate the account_credit_limit module, or switch credit off."
            )

    def _read_credit(self, window, started) -> Iterator[ErpCredit]:
        self._credit_module()
        rows = self._customers(["code", "credit_limit_amount"])
        return (
            ErpCredit(row["code"], _decimal(row.get("credit_limit_amount")) or Decimal(0), as_of=started)
            for row in rows
        )

    SALE_FIELDS = ("reference", "number", "state", "shipment_state", "invoice_state", "last_modified_at")

    def _portal_sales(self) -> list:
        return [["reference", "like", self.reference_prefix.replace("\\", "\\\\").replace("%", "\\%") + "%"]]

    def _read_order_status(self, window, started) -> Iterator[ErpOrderStatus]:
        domain = [*self._portal_sales(), self._changed(window)]
        rows = self.search("sale.sale", domain, self.SALE_FIELDS)
        return (
            ErpOrderStatus(
                reference=row["reference"],
                state=order_state(row),
                document_number=_text(row.get("number")),
                document_id=str(row["id"]),
                updated_at=row.get("last_modified_at"),
            )
            for row in rows
        )

    def _read_delivery(self, window, started) -> Iterator[ErpDocument]:
        domain = [["state", "=", "done"], ["customer.code", "!=", None], self._changed(window)]
        fields = ["number", "effective_date", "customer.code", "last_modified_at", "outgoing_moves.sale.reference"]
        rows = self.search("stock.shipment.out", domain, fields)
        currency = self.company()["currency"] or "TRY"
        return (
            ErpDocument(
                kind=DocumentKind.DELIVERY,
                number=_text(row.get("number")),
                customer_code=_nested(row, "customer", "code"),
                issued_on=row.get("effective_date"),
                order_reference=self._reference(
                    _nested(move, "sale", "reference") for move in row.get("outgoing_moves") or []
                ),
                currency=currency,
                updated_at=row.get("last_modified_at"),
            )
            for row in rows
        )

    def _reference(self, references: Iterable[str | None]) -> str:
        """The portal order a document belongs to: the first of its sales carrying a portal reference."""
        for reference in references:
            if reference and reference.startswith(self.reference_prefix):
                return reference
        return ""

    def _invoices(self, kind: DocumentKind, window) -> Iterator[ErpDocument]:
        sequence = "credit_note" if kind == DocumentKind.CREDIT_MEMO else "invoice"
        domain = [
            ["type", "=", "out"],
            ["state", "in", ["posted", "paid"]],
            ["sequence_type_cache", "=", sequence],
            ["party.code", "!=", None],
            self._changed(window),
        ]
        fields = [
            "number",
            "invoice_date",
            "party.code",
            "currency.code",
            "untaxed_amount",
            "tax_amount",
            "total_amount",
            "last_modified_at",
            "lines_to_pay.maturity_date",
            "sales.reference",
        ]
        sign = -1 if kind == DocumentKind.CREDIT_MEMO else 1  # a credit note's totals are negative in Tryton
        for row in self.search("account.invoice", domain, fields):
            maturities = [line.get("maturity_date") for line in row.get("lines_to_pay") or []]
            maturities = [day for day in maturities if day]
            yield ErpDocument(
                kind=kind,
                number=_text(row.get("number")),
                customer_code=_nested(row, "party", "code"),
                issued_on=row.get("invoice_date"),
                order_reference=self._reference(sale.get("reference") for sale in row.get("sales") or []),
                currency=_text(_nested(row, "currency", "code")) or "TRY",
                net=_signed(row.get("untaxed_amount"), sign),
                vat=_signed(row.get("tax_amount"), sign),
                gross=_signed(row.get("total_amount"), sign),
                due_on=max(maturities) if maturities and kind == DocumentKind.INVOICE else None,
                updated_at=row.get("last_modified_at"),
            )

    def _read_invoice(self, window, started) -> Iterator[ErpDocument]:
        return self._invoices(DocumentKind.INVOICE, window)

    def _read_credit_memo(self, window, started) -> Iterator[ErpDocument]:
        return self._invoices(DocumentKind.CREDIT_MEMO, window)

    # --- the customer's account ------------------------------------------------------------------------------

    LEDGER_FIELDS = (
        "party.code",
        "debit",
        "credit",
        "maturity_date",
        "description",
        "reconciliation",
        "invoice_payment",
        "move_origin",
        "last_modified_at",
        "move.number",
        "move.date",
        "move.description",
        "move.journal.type",
    )
    INVOICE_FIELDS = (
        "number",
        "total_amount",
        "lines_to_pay.debit",
        "lines_to_pay.credit",
        "lines_to_pay.maturity_date",
        "lines_to_pay.reconciliation",
        "payment_lines.debit",
        "payment_lines.credit",
        "payment_lines.reconciliation",
    )

    def _read_ledger(self, window, started) -> Iterator[ErpLedgerEntry]:
        """Lines of posted entries on receivable accounts, of parties with a code. A delta also takes the lines of
        entries whose invoice changed (a payment added to it changes what is open of its lines)."""
        company = self.company()
        domain: list = [
            ["account.type.receivable", "=", True],
            ["move.state", "=", "posted"],
            ["move.company", "=", company["id"]],
            ["party.code", "!=", None],
        ]
        if window is not None:
            domain.append(
                [
                    "OR",
                    ["last_modified_at", ">=", window],
                    ["move.last_modified_at", ">=", window],
                    ["move.origin.last_modified_at", ">=", window, "account.invoice"],
                ]
            )
        rows = self.search("account.move.line", domain, self.LEDGER_FIELDS)
        currency = company["currency"] or "TRY"
        invoices: dict[int, _OpenItems] = {}

        def records() -> Iterator[ErpLedgerEntry]:
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= self.page_size:
                    yield from self._ledger_batch(batch, invoices, currency)
                    batch = []
            yield from self._ledger_batch(batch, invoices, currency)

        return records()

    def _ledger_batch(
        self, rows: list[dict[str, Any]], invoices: dict[int, _OpenItems], currency: str
    ) -> Iterator[ErpLedgerEntry]:
        wanted = {_invoice_of(row) for row in rows} | {_id(row.get("invoice_payment")) for row in rows}
        wanted = sorted(entry for entry in wanted if entry and entry not in invoices)
        for at in range(0, len(wanted), KEYS_PER_REQUEST):
            found = self.search(
                "account.invoice", [["id", "in", wanted[at : at + KEYS_PER_REQUEST]]], self.INVOICE_FIELDS
            )
            invoices.update({row["id"]: _OpenItems(row) for row in found})
        for row in rows:
            yield ledger_record(row, invoices, currency)

    # --- open orders ----------------------------------------------------------------------------------------

    def open_orders(self) -> Iterator[ErpOpenOrder]:
        """Sales quoted, confirmed or in processing, unless shipped and invoiced in full; drafts only when they carry
        the portal's reference (the portal's orders parked as drafts: ``order_state`` draft)."""
        domain = ["OR", ["state", "in", list(OPEN_SALE_STATES)], [["state", "=", "draft"], *self._portal_sales()]]
        fields = ("number", "reference", "state", "shipment_state", "invoice_state", "party.code", "total_amount",
                  "currency.code")  # fmt: skip
        rows = self.search("sale.sale", domain, fields)

        def records() -> Iterator[ErpOpenOrder]:
            for row in rows:
                reference = self._reference([row.get("reference")])
                if row.get("state") == "draft" and not reference:
                    continue
                if order_state(row) in (ErpOrderState.INVOICED, ErpOrderState.CLOSED, ErpOrderState.CANCELLED):
                    continue
                yield ErpOpenOrder(
                    document_number=_text(row.get("number")),
                    customer_code=_text(_nested(row, "party", "code")),
                    reference=reference,
                    gross=_decimal(row.get("total_amount")),
                    currency=_text(_nested(row, "currency", "code")) or "TRY",
                )

        return records()

    # --- live lookups ----------------------------------------------------------------------------------------

    def live_stock(self, product_codes: Iterable[str]) -> list[ErpStock]:
        """Current stock of the given products in every active warehouse, zero rows included."""
        codes = sorted({code for code in product_codes if code})
        now = datetime.now(UTC)
        stock: list[ErpStock] = []
        for at in range(0, len(codes), KEYS_PER_REQUEST):
            stock.extend(self._stock(codes[at : at + KEYS_PER_REQUEST], now))
        return stock

    def live_balance(self, customer_code: str) -> ErpBalance:
        rows = list(self._customers(["code", "receivable"], codes=[customer_code]))
        if not rows:
            raise PermanentError(f"Tryton has no party with code {customer_code!r}")
        return balance_record(rows[0], self.company()["currency"] or "TRY", datetime.now(UTC))

    # --- orders --------------------------------------------------------------------------------------------

    def _find_sale(self, reference: str) -> dict[str, Any] | None:
        rows = list(self.search("sale.sale", [["reference", "=", reference]], self.SALE_FIELDS))
        # A customer reference is not unique in Tryton: prefer the live sale when an old one was cancelled.
        live = [row for row in rows if row.get("state") != "cancelled"]
        return (live or rows or [None])[0]

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        sale = self._find_sale(reference)
        return None if sale is None else _ack(reference, sale, self.order_state)

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        sale = self._find_sale(order.reference)
        if sale is None:
            created = self._call("POST", "model/sale.sale", body=self.sale_values(order), write=True)
            sale = {"id": created["id"], "state": "draft", "reference": order.reference}
        elif sale.get("state") == "cancelled":
            return _ack(order.reference, sale, self.order_state)
        sale = self._advance(sale)
        return _ack(order.reference, sale, self.order_state)

    def _advance(self, sale: dict[str, Any]) -> dict[str, Any]:
        """Take the sale through the workflow up to ``order_state``; steps already done are skipped, so an attempt
        that stopped half-way is finished by the next one."""
        target = STATE_RANK[self.order_state]
        for state, action in WORKFLOW.items():
            if STATE_RANK.get(sale.get("state"), 0) < STATE_RANK[state] <= target:
                self.button("sale.sale", sale["id"], action)
                sale = self._call("GET", f"model/sale.sale/{int(sale['id'])}", params=_f(*self.SALE_FIELDS))
        return sale

    def sale_values(self, order: ErpOrder) -> dict[str, Any]:
        """The ``sale.sale`` create values for ``order``: party, addresses, products, units, currency and taxes are
        looked up by their codes; anything Tryton does not know is refused before anything is written."""
        parties = list(
            self.search(
                "party.party",
                [["code", "=", order.customer_code]],
                ["addresses.invoice", "addresses.delivery", "addresses.sequence", "customer_payment_term"],
            )
        )
        if not parties:
            raise PermanentError(f"Tryton has no party with code {order.customer_code!r}")
        party = parties[0]
        addresses = sorted(party.get("addresses") or [], key=lambda a: (a.get("sequence") or 0, a["id"]))
        if not addresses:
            raise PermanentError(f"Party {order.customer_code!r} has no address in Tryton")
        codes = sorted({line.product_code for line in order.lines})
        products = {
            row["code"]: row
            for row in self.search(
                "product.product",
                [["code", "in", codes]],
                ["code", "default_uom.category", "account_category.customer_taxes_used.rate", "salable"],
            )
        }
        missing = [code for code in codes if code not in products]
        if missing:
            raise PermanentError(f"Tryton has no product with code {', '.join(map(repr, missing))}")
        symbols = sorted({line.unit for line in order.lines})
        units: dict[str, list[dict[str, Any]]] = {}
        for row in self.search("product.uom", [["symbol", "in", symbols]], ["symbol", "category"]):
            units.setdefault(row["symbol"], []).append(row)
        currencies = list(self.search("currency.currency", [["code", "=", order.currency]], ["code"]))
        if not currencies:
            raise PermanentError(f"Tryton has no currency {order.currency!r}")
        lines = []
        for line in order.lines:
            product = products[line.product_code]
            unit = self._unit(line.unit, units, _nested(product, "default_uom", "category"))
            taxes = _nested(product, "account_category", "customer_taxes_used") or []
            rate = vat_rate(taxes) or Decimal(0)
            if rate != (_decimal(line.vat_rate) or Decimal(0)):
                raise PermanentError(
                    f"Line {line.line_no}: the portal charged {line.vat_rate}% VAT on {line.product_code}, "
                    f"Tryton's taxes for it make {rate}%"
                )
            values = {
                "type": "line",
                "product": product["id"],
                "quantity": float(line.quantity),
                "unit": unit,
                "unit_price": line.unit_price,
                "taxes": [["add", [tax["id"] for tax in taxes]]],
            }
            if line.description:
                values["description"] = line.description
            lines.append(values)
        delivery = self._delivery_address(order, addresses)
        invoice = next((a for a in addresses if a.get("invoice")), addresses[0])
        values: dict[str, Any] = {
            "party": party["id"],
            "reference": order.reference,
            "sale_date": order.ordered_on,
            "currency": currencies[0]["id"],
            "invoice_address": invoice["id"],
            "shipment_address": delivery["id"],
            "lines": [["create", lines]],
        }
        if order.po_number:
            values["description"] = order.po_number
        comment = "\n".join(part for part in (order.note, order.delivery_address) if part)
        if comment:
            values["comment"] = comment
        if party.get("customer_payment_term"):
            values["payment_term"] = party["customer_payment_term"]
        warehouse = self.order_warehouse
        if not warehouse and self.sellable_warehouses is not None and len(self.sellable_warehouses) == 1:
            (warehouse,) = self.sellable_warehouses
        if warehouse:
            found = [row for row in self._warehouses(active_only=True) if row["code"] == warehouse]
            if not found:
                raise PermanentError(f"Tryton has no active warehouse {warehouse!r}")
            values["warehouse"] = found[0]["id"]
        return values

    @staticmethod
    def _unit(symbol: str, units: Mapping[str, list[dict[str, Any]]], category: int | None) -> int:
        """The unit with ``symbol``; among homonyms, the one of the product's unit category. A unit of another
        category is passed on as it is: Tryton itself refuses it, with its own message."""
        candidates = units.get(symbol) or []
        if not candidates:
            raise PermanentError(f"Tryton has no unit with symbol {symbol!r}")
        same = [row for row in candidates if row.get("category") == category]
        return (same or candidates)[0]["id"]

    @staticmethod
    def _delivery_address(order: ErpOrder, addresses: list[dict[str, Any]]) -> dict[str, Any]:
        if order.delivery_address_code:
            chosen = [a for a in addresses if str(a["id"]) == order.delivery_address_code]
            if not chosen:
                raise PermanentError(
                    f"Address {order.delivery_address_code!r} is not one of party {order.customer_code!r}'s in Tryton"
                )
            return chosen[0]
        return next((a for a in addresses if a.get("delivery")), addresses[0])

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        if cancel.document_id:
            sale = self._call("GET", f"model/sale.sale/{int(cancel.document_id)}", params=_f(*self.SALE_FIELDS))
        else:
            sale = self._find_sale(cancel.reference)
            if sale is None:
                raise PermanentError(f"Tryton holds no sale with reference {cancel.reference!r}")
        ack = ErpAck(cancel.reference, str(sale["id"]), _text(sale.get("number")))
        state = sale.get("state")
        if state == "cancelled":
            return ack  # cancelled before (a retry after an unanswered cancel): nothing left to do
        if state not in CANCELLABLE:
            raise PermanentError(
                f"Sale {sale.get('number') or sale['id']} is {state} in Tryton: its shipments exist, it can no longer "
                "be cancelled as a whole"
            )
        if state == "confirmed":
            self.button("sale.sale", sale["id"], "draft")
        self.button("sale.sale", sale["id"], "cancel")
        return ack

    # --- payments ----------------------------------------------------------------------------------------------

    def _find_receipt(self, reference: str) -> dict[str, Any] | None:
        """The journal entry carrying ``reference`` in the payments journal, posted ones first."""
        domain = [["description", "=", reference], ["journal.code", "=", self.payment_journal]]
        rows = list(self.search("account.move", domain, ["state", "number"]))
        rows.sort(key=lambda row: row.get("state") != "posted")
        return rows[0] if rows else None

    def payment_lookup(self, reference: str) -> ErpAck | None:
        """The posted receipt for ``reference``. A draft an earlier attempt left is no receipt yet: the next push
        posts it."""
        self._payments_configured()
        row = self._find_receipt(reference)
        if row is None or row.get("state") != "posted":
            return None
        return _receipt_ack(reference, row)

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        self._payments_configured()
        row = self._find_receipt(payment.reference)
        if row is None:
            created = self._call("POST", "model/account.move", body=self.receipt_values(payment), write=True)
            row = {"id": created["id"], "state": "draft"}
        if row.get("state") != "posted":
            self.button("account.move", row["id"], "post")
            row = self._call("GET", f"model/account.move/{int(row['id'])}", params=_f("state", "number"))
        return _receipt_ack(payment.reference, row)

    def _payments_configured(self) -> None:
        if not self.payment_journal:
            raise PermanentError(
                "Payments are not set up for this Tryton connection: set 'payment_journal' and 'payment_account'."
            )

    def receipt_values(self, payment: ErpPayment) -> dict[str, Any]:
        """The ``account.move`` create values of a collection; refuses what Tryton does not know."""
        if payment.amount <= 0:
            raise PermanentError(f"A receipt needs a positive amount, got {payment.amount}")
        company = self.company()
        if payment.currency != company["currency"]:
            raise PermanentError(
                f"Receipts are posted in the company currency {company['currency']}, not {payment.currency}"
            )
        parties = list(self.search("party.party", [["code", "=", payment.customer_code]], ["account_receivable"]))
        if not parties:
            raise PermanentError(f"Tryton has no party with code {payment.customer_code!r}")
        receivable = parties[0].get("account_receivable")
        if not receivable:
            configuration = self._call("GET", "model/account.configuration/1", params=_f("default_account_receivable"))
            receivable = (configuration or {}).get("default_account_receivable")
        if not receivable:
            raise PermanentError(f"Party {payment.customer_code!r} has no receivable account in Tryton")
        journals = list(self.search("account.journal", [["code", "=", self.payment_journal]], ["code"]))
        if not journals:
            raise PermanentError(f"Tryton has no journal with code {self.payment_journal!r}")
        accounts = list(
            self.search(
                "account.account",
                [["code", "=", self.payment_account], ["company", "=", company["id"]], ["closed", "!=", True]],
                ["code"],
            )
        )
        if not accounts:
            raise PermanentError(f"Tryton has no open account with code {self.payment_account!r}")
        periods = list(
            self.search(
                "account.period",
                [
                    ["company", "=", company["id"]],
                    ["type", "=", "standard"],
                    ["state", "=", "open"],
                    ["start_date", "<=", payment.received_on],
                    ["end_date", ">=", payment.received_on],
                ],
                ["name"],
            )
        )
        if not periods:
            raise PermanentError(f"Tryton has no open period on {payment.received_on.isoformat()}")
        text = " ".join(
            part
            for part in (
                payment.method,
                payment.description,
                payment.order_reference,
                ", ".join(payment.invoice_numbers),
            )
            if part
        )[:250]
        lines = [
            {"account": accounts[0]["id"], "debit": payment.amount, "credit": Decimal(0), "description": text},
            {
                "account": receivable,
                "party": parties[0]["id"],
                "debit": Decimal(0),
                "credit": payment.amount,
                "description": text,
            },
        ]
        return {
            "journal": journals[0]["id"],
            "period": periods[0]["id"],
            "date": payment.received_on,
            "description": payment.reference,
            "lines": [["create", lines]],
        }


def _receipt_ack(reference: str, row: Mapping[str, Any]) -> ErpAck:
    return ErpAck(reference, str(row["id"]), _text(row.get("number")))


def _id(value: Any) -> Any:
    """A Many2One's id, read plain (an int) or with nested fields (a dict)."""
    return value.get("id") if isinstance(value, Mapping) else value


def _f(*fields: str) -> list[tuple[str, str]]:
    return [("f", name) for name in fields]


def _signed(value: Any, sign: int) -> Decimal | None:
    number = _decimal(value)
    return None if number is None else number * sign


def _ack(reference: str, sale: Mapping[str, Any], target: str) -> ErpOrderAck:
    """The ack of a sale; ``complete`` is false while it has not reached ``target`` (an attempt stopped half-way)."""
    state = sale.get("state")
    complete = state == "cancelled" or STATE_RANK.get(state, 0) >= STATE_RANK[target]
    return ErpOrderAck(reference, str(sale["id"]), _text(sale.get("number")), order_state(sale), complete=complete)


def product_record(row: Mapping[str, Any]) -> ErpProduct:
    default_unit = _text(_nested(row, "default_uom", "symbol"))
    sale_unit = _text(_nested(row, "sale_uom", "symbol"))
    units: tuple[ErpProductUnit, ...] = ()
    if sale_unit and sale_unit != default_unit:
        base = _decimal(_nested(row, "default_uom", "factor")) or Decimal(1)
        factor = _decimal((_decimal(_nested(row, "sale_uom", "factor")) or Decimal(1)) / base)
        units = (ErpProductUnit(sale_unit, factor),)
    category = row.get("account_category")
    barcodes = [i.get("code") for i in row.get("identifiers") or [] if i.get("type") == "ean" and i.get("code")]
    active = bool(row.get("active")) and bool(_nested(row, "template", "active") if row.get("template") else True)
    return ErpProduct(
        code=row["code"],
        name=_text(row.get("name")),
        unit=default_unit,
        vat_rate=vat_rate(category.get("customer_taxes_used")) if isinstance(category, Mapping) else None,
        barcode=barcodes[0] if barcodes else "",
        description=_text(row.get("description")),
        active=active and bool(row.get("salable")),
        units=units,
        updated_at=_latest(row.get("last_modified_at"), _nested(row, "template", "last_modified_at")),
    )


def customer_record(row: Mapping[str, Any], currency: str) -> ErpCustomer:
    identifiers = [i.get("code") for i in row.get("identifiers") or [] if i.get("code")]
    tax_number = _nested(row, "tax_identifier", "code") or (identifiers[0] if identifiers else "")
    addresses = sorted(
        (a for a in row.get("addresses") or [] if a.get("active", True)),
        key=lambda a: (a.get("sequence") or 0, a["id"]),
    )
    default = next((a["id"] for a in addresses if a.get("delivery")), addresses[0]["id"] if addresses else None)
    return ErpCustomer(
        code=row["code"],
        title=_text(row.get("name")),
        tax_number=_text(tax_number),
        email=_text(row.get("email")),
        phone=_text(row.get("phone")),
        currency=_text(_nested(row, "customer_currency", "code")) or currency,
        price_list_code=_text(row.get("sale_price_list")),
        payment_terms_code=_text(row.get("customer_payment_term")),
        active=bool(row.get("active")),
        addresses=tuple(address_record(a, a["id"] == default) for a in addresses),
        updated_at=row.get("last_modified_at"),
    )


def address_record(row: Mapping[str, Any], is_default: bool) -> ErpAddress:
    line1, line2 = _street_lines(_text(row.get("street")))
    invoice_only = row.get("invoice") and not row.get("delivery")
    return ErpAddress(
        code=str(row["id"]),
        name=_text(row.get("party_name")),
        line1=line1,
        line2=line2,
        city=_text(row.get("city")),
        kind="billing" if invoice_only else "shipping",
        postal_code=_text(row.get("postal_code")),
        country=_text(_nested(row, "country", "code")) or "TR",
        is_default=is_default,
    )


def _reference(value: Any) -> tuple[str, int | None]:
    """A Reference field's value (``"model,id"``) as its model and id."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        model, ident = value
    else:
        model, _comma, ident = _text(value).partition(",")
    try:
        return _text(model), int(ident)
    except (TypeError, ValueError):
        return _text(model), None


def _invoice_of(row: Mapping[str, Any]) -> int | None:
    """The invoice a move line's entry comes from, when it does."""
    model, ident = _reference(row.get("move_origin"))
    return ident if model == "account.invoice" else None


def _amount(line: Mapping[str, Any]) -> Decimal:
    return (_decimal(line.get("debit")) or Decimal(0)) - (_decimal(line.get("credit")) or Decimal(0))


class _OpenItems:
    """A customer invoice or credit note as its lines to pay stand: the payment lines added to it and not reconciled
    yet are set against its open lines, earliest maturity first; what they do not cover stays open on them."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.number = _text(row.get("number"))
        self.credit_note = (_decimal(row.get("total_amount")) or Decimal(0)) < 0
        due = [line for line in row.get("lines_to_pay") or [] if isinstance(line, Mapping)]
        payments = [line for line in row.get("payment_lines") or [] if isinstance(line, Mapping)]
        self.to_pay = {line["id"] for line in due}
        self.open: dict[int, Decimal] = {}
        left = sum((_amount(line) for line in payments if not line.get("reconciliation")), Decimal(0))
        for line in sorted(due, key=lambda line: (line.get("maturity_date") or date.max, line["id"])):
            amount = Decimal(0) if line.get("reconciliation") else _amount(line)
            if amount and left and (amount > 0) != (left > 0):
                sign = 1 if amount > 0 else -1
                taken = min(abs(amount), abs(left))
                amount -= sign * taken
                left += sign * taken
            self.open[line["id"]] = amount
        # Paid beyond what the invoice owes: the rest stays open on its payment lines, first line first.
        for line in payments:
            amount = Decimal(0) if line.get("reconciliation") else _amount(line)
            share = min(abs(amount), abs(left)) if amount and left and (amount > 0) == (left > 0) else Decimal(0)
            self.open[line["id"]] = share if amount > 0 else -share
            left -= self.open[line["id"]]


def ledger_record(row: Mapping[str, Any], invoices: Mapping[int, _OpenItems], currency: str) -> ErpLedgerEntry:
    """One receivable line as a movement on the customer's account (see the module documentation)."""
    amount = _amount(row)
    model, _ident = _reference(row.get("move_origin"))
    invoice = invoices.get(_invoice_of(row) or 0)
    paid = invoices.get(_id(row.get("invoice_payment")) or 0)
    journal = _nested(row, "move", "journal", "type")
    number = _text(_nested(row, "move", "number"))
    if invoice is not None and row["id"] in invoice.to_pay:
        kind = LedgerKind.CREDIT_MEMO if invoice.credit_note else LedgerKind.INVOICE
        number = invoice.number or number
    elif paid is not None or invoice is not None or model in PAYMENT_ORIGINS or journal == "cash":
        kind = LedgerKind.COLLECTION if amount <= 0 else LedgerKind.REFUND
    elif journal == "situation":
        kind = LedgerKind.OPENING
    else:
        kind = LedgerKind.ADJUSTMENT
    if (kind == LedgerKind.INVOICE and amount < 0) or (kind == LedgerKind.CREDIT_MEMO and amount > 0):
        kind = LedgerKind.ADJUSTMENT  # a line against the document's own direction
    if row.get("reconciliation"):
        open_amount = Decimal(0)
    else:
        items = invoice if invoice is not None and row["id"] in invoice.open else paid
        open_amount = items.open[row["id"]] if items is not None and row["id"] in items.open else amount
    return ErpLedgerEntry(
        entry_id=f"aml:{row['id']}",
        customer_code=_text(_nested(row, "party", "code")),
        posted_on=_nested(row, "move", "date"),
        kind=kind,
        amount=amount,
        currency=currency,
        document_number=number,
        due_on=row.get("maturity_date"),
        description=(_text(row.get("description")) or _text(_nested(row, "move", "description")))[:255],
        open_amount=open_amount,
        updated_at=row.get("last_modified_at"),
    )


def balance_record(row: Mapping[str, Any], currency: str, as_of: datetime) -> ErpBalance:
    return ErpBalance(row["code"], _decimal(row.get("receivable")) or Decimal(0), currency, as_of=as_of)


__all__ = ["TrytonAdapter", "encode_param", "error_message", "order_state", "vat_rate"]
