"""The SAP Business One adapter: talks to the Service Layer (``/b1s/v1/``, OData v3-style JSON) over HTTPS.

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

Session: one HTTP session per adapter; it logs in on first use and keeps the ``B1SESSION``/``ROUTEID`` cookies.
When the Service Layer answers 401 (code 301, the session timed out) it logs in again once, under a lock so
parallel callers open one new session, and replays the request.

Units: items in a unit-of-measure group are sold in the group's units (the factor to the inventory unit from the
group's definitions); order lines carry ``UoMEntry``. Items with manual units are sold in their inventory unit.

Order status: an order's state is worked out from SAP's documents: cancelled; nothing delivered (open, or closed by
hand); partly delivered; fully delivered; invoiced (an invoice copied from the order or one of its deliveries).
Deliveries and invoices do not carry the portal number themselves; they are tied to the order through their
``BaseType``/``BaseEntry`` links.

Ledger (the customer's account movements): A/R invoices (``inv:<DocEntry>``, debit, open = ``DocTotal`` less
``PaidToDate``), A/R credit memos (``crn:<DocEntry>``, credit, open = what is not applied to an invoice) and incoming
payments from customers (``rct:<DocEntry>``, credit, open = what the payment did not apply to invoices). A cancelled
document stays on the statement with its reversal next to it (``…:cancel``, an adjustment of the opposite sign), so it
nets to zero in a full read and in a delta alike; SAP's own cancellation documents (``CancelStatus`` csCancellation)
are not read, the reversal stands for them. Journal entries keyed in by hand, opening balances and outgoing payments
to customers are not read.

Open orders: sales orders open and not cancelled, and approval drafts of orders that carry a reference.

Watermark: the Service Layer does not tell its own time, so a feed's ``watermark`` is the portal's clock when the
read started; ``delta_overlap_seconds`` covers clock skew and changes committed while the read was running.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any
from urllib.parse import quote, urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    ErpCreditMemo,
    ErpCustomer,
    ErpCustomerPrice,
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
    return _number(value, "SAP B1")


YES = "tYES"
OPEN = "bost_Open"
CLOSED = "bost_Close"
INVALID_SESSION = 301
NOT_FOUND = "-2028"
# Object types of the marketing documents (BoObjectTypes), as BaseType on copied lines.
ORDER_TYPE, DELIVERY_TYPE, INVOICE_TYPE = 17, 15, 13
# Characters left as they are in query values; the rest (spaces, non-ASCII letters) is percent-encoded.
QUERY_SAFE = ",'()=:*$/"
# Every entity of the contract but categories and brands (item groups and manufacturers are not mapped).
ENTITIES = tuple(entity for entity in ErpAdapter.readable if entity not in {"category", "brand"})
DELTA_ENTITIES = frozenset({"product", "customer", "ledger"})
# Read for a time window only (since the watermark, or ``status_lookback_days`` back): never a full snapshot.
WINDOW_ENTITIES = frozenset({"order_status", "delivery", "invoice", "credit_memo"})
DOCUMENT_SETS = {
    DocumentKind.DELIVERY: "DeliveryNotes",
    DocumentKind.INVOICE: "Invoices",
    DocumentKind.CREDIT_MEMO: "CreditNotes",
}
DOCUMENT_FIELDS = (
    "DocEntry,DocNum,CardCode,NumAtCard,DocDate,DocDueDate,DocCurrency,DocTotal,VatSum,TrackingNumber,Cancelled,"
    "CancelStatus,DocumentStatus,DocumentLines"
)
ORDER_FIELDS = "DocEntry,DocNum,NumAtCard,Cancelled,DocumentStatus,DocumentLines"
# The marketing documents on a customer's account, and how each counts: (set, entry id prefix, kind, sign).
LEDGER_DOCUMENTS = (
    ("Invoices", "inv", LedgerKind.INVOICE, 1),
    ("CreditNotes", "crn", LedgerKind.CREDIT_MEMO, -1),
)
LEDGER_FIELDS = (
    "DocEntry,DocNum,CardCode,DocDate,DocDueDate,DocCurrency,DocTotal,PaidToDate,Comments,Cancelled,CancelStatus,"
    "UpdateDate,UpdateTime"
)
PAYMENT_FIELDS = (
    "DocEntry,DocNum,DocType,CardCode,DocDate,DocCurrency,CashSum,TransferSum,PaymentChecks,PaymentCreditCards,"
    "PaymentInvoices,Remarks,Cancelled"
)
PAYMENT_DELTAS = ("document_date", "update")
# SAP's own reversal of a cancelled document (SAP 9 and later): the adapter's ``…:cancel`` entry stands for it.
CANCELLATION = "csCancellation"
OPEN_ORDER_FIELDS = "DocEntry,DocNum,CardCode,NumAtCard,DocTotal,DocCurrency,Cancelled,DocumentStatus"
# Entities fetched by key in one request: ``Key eq 1 or Key eq 2 …``, short enough for any URL limit.
KEYS_PER_REQUEST = 20

ITEM_FIELDS = (
    "ItemCode,ItemName,ForeignName,InventoryUOM,SalesUnit,SalesVATGroup,BarCode,ManageBatchNumbers,"
    "ManageSerialNumbers,Valid,Frozen,UoMGroupEntry,InventoryUoMEntry"
)
PARTNER_FIELDS = (
    "CardCode,CardName,FederalTaxID,EmailAddress,Phone1,Currency,PriceListNum,PayTermsGrpCode,"
    "SalesPersonCode,Valid,BPAddresses"
)


def quote_literal(value: str) -> str:
    """``value`` as an OData string literal: single quotes inside are doubled."""
    return "'" + value.replace("'", "''") + "'"


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _code(value: Any) -> str:
    """A numeric SAP code as text; -1 and empty mean "none"."""
    return "" if value in (None, "", -1) else str(value)


def _error_of(response: requests.Response) -> tuple[str, str]:
    """(code, message) from a Service Layer error body; v1 ``message.value`` and v2 plain ``message`` both work."""
    try:
        body = response.json()
    except ValueError:
        return "", (response.text or response.reason or "")[:200].strip()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", str(body)[:200]
    message = error.get("message")
    if isinstance(message, dict):
        message = message.get("value")
    return _text(error.get("code")), _text(message)


def _pause(exc: RetryableError, attempt: int) -> float:
    """How long a read waits before trying again: SAP's Retry-After (at most a minute), else 0.5 s doubling."""
    if exc.retry_after is not None:
        return min(exc.retry_after, 60.0)
    return min(0.5 * 2 ** (attempt - 1), 8.0)


class SapB1Adapter(ErpAdapter):
    """SAP Business One through the Service Layer. See the module documentation for settings."""

    key = "sap_b1"
    capabilities = frozenset(
        {
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
            Capability.UNITS,
            Capability.CUSTOMER_PRICES,
            Capability.ORDER_STATUS,
            Capability.DOCUMENTS,
            Capability.PAYMENT_PUSH,
            Capability.CREDIT_MEMO_PUSH,
            Capability.LIVE_STOCK,
            Capability.LIVE_BALANCE,
            Capability.LEDGER,
            Capability.OPEN_ORDERS,
        }
    )
    # At most this many exports of one connection run at once unless the connection says otherwise.
    outbox_concurrency = 4

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        options = self.settings
        base_url = base_url_setting(options, who="SAP B1", what="the Service Layer's …/b1s/v1/ URL")
        if not urlsplit(base_url).path.endswith("/b1s/v1/"):
            raise ImproperlyConfigured(
                f"SAP B1 adapter: 'base_url' must end with /b1s/v1/ (the v1 Service Layer), got {base_url!r}."
            )
        self.base_url = base_url
        self.company_db = options.get("company_db")
        if not self.company_db or not isinstance(self.company_db, str):
            raise ImproperlyConfigured("SAP B1 adapter: settings need 'company_db', the company database name.")
        self.verify_tls = flag_setting(options, "verify_tls", True, who="SAP B1")
        self.timeout = self._positive_number("timeout_seconds", 30)
        self.page_size = int(self._positive_number("page_size", 100, whole=True))
        self.delta_overlap = timedelta(seconds=self._positive_number("delta_overlap_seconds", 300, zero=True))
        zone_name = options.get("timezone", "Europe/Istanbul")
        try:
            self.zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ImproperlyConfigured(f"SAP B1 adapter: 'timezone' {zone_name!r} is not a known time zone.") from None
        self.order_warehouse = _text(options.get("order_warehouse"))
        vat_groups = options.get("vat_groups") or {}
        if not isinstance(vat_groups, Mapping):
            raise ImproperlyConfigured("SAP B1 adapter: 'vat_groups' must map VAT rates to SAP VAT group codes.")
        try:
            self.vat_groups = {Decimal(str(rate)).normalize(): str(group) for rate, group in vat_groups.items()}
        except InvalidOperation:
            raise ImproperlyConfigured("SAP B1 adapter: 'vat_groups' keys must be VAT rates (numbers).") from None
        self.concurrency = int(self._positive_number("outbox_concurrency", self.outbox_concurrency, whole=True))
        self.read_retries = int(self._positive_number("read_retries", 3, whole=True, zero=True))
        self.lookback = timedelta(days=self._positive_number("status_lookback_days", 30))
        accounts = options.get("payment_accounts") or {}
        if not isinstance(accounts, Mapping) or not all(isinstance(v, str) and v for v in accounts.values()):
            raise ImproperlyConfigured("SAP B1 adapter: 'payment_accounts' must map payment methods to G/L accounts.")
        self.payment_accounts = dict(accounts)
        self.payment_reference_field = _text(options.get("payment_reference_field") or "CounterReference")
        if not self.payment_reference_field.isidentifier():
            raise ImproperlyConfigured("SAP B1 adapter: 'payment_reference_field' must be a field name.")
        self.refund_account = _text(options.get("refund_account"))
        for flag in ("allow_batch_managed_orders", "live_lookups"):
            if not isinstance(options.get(flag, False), bool):
                raise ImproperlyConfigured(f"SAP B1 adapter: {flag!r} must be true or false.")
        self.allow_batch_items = options.get("allow_batch_managed_orders", False)
        self.payment_delta = options.get("payment_delta", "document_date")
        if self.payment_delta not in PAYMENT_DELTAS:
            raise ImproperlyConfigured(
                f"SAP B1 adapter: 'payment_delta' must be one of {', '.join(PAYMENT_DELTAS)}, "
                f"got {self.payment_delta!r}."
            )
        if not options.get("live_lookups", True):
            self.capabilities = self.capabilities - {Capability.LIVE_STOCK, Capability.LIVE_BALANCE}
        self._in_flight = threading.BoundedSemaphore(self.concurrency)
        self._units: dict[int, str] | None = None  # UoM AbsEntry → code, read once per adapter
        self.username = self.credentials.get("username", "")
        self.password = self.credentials.get("password", "")
        if not self.username or not self.password:
            raise ImproperlyConfigured("SAP B1 adapter: credentials need 'username' and 'password'.")
        self._http = requests.Session()
        self._http.headers.update({"Accept": "application/json"})
        self._lock = threading.Lock()
        self._generation = 0  # bumped on every login; a 401 re-logs in only if no one else did meanwhile
        self._logged_in = False
        self.version = ""

    def _positive_number(self, name: str, default: float, *, whole: bool = False, zero: bool = False) -> float:
        return setting_number(self.settings, name, default, who="SAP B1", whole=whole, zero=zero)

    # --- session ---------------------------------------------------------------------------------------------

    def _login(self) -> None:
        """Open a new session (the caller holds the lock). The cookies land in the HTTP session's jar."""
        body = {"CompanyDB": self.company_db, "UserName": self.username, "Password": self.password}
        response = self._send("POST", self.base_url + "Login", body=body, write=False)
        if response.status_code != 200:
            code, message = _error_of(response)
            if response.status_code in (401, 403) or (response.status_code == 400 and code):
                raise PermanentError(f"SAP B1 login failed: {message or response.status_code}", code=code)
            raise self._error(response, write=False)
        data = response.json()
        self.version = _text(data.get("Version"))
        self._generation += 1
        self._logged_in = True

    def _session(self) -> int:
        """The current session's generation, logging in first when there is none."""
        with self._lock:
            if not self._logged_in:
                self._login()
            return self._generation

    def _relogin(self, failed_generation: int) -> None:
        with self._lock:
            if self._generation == failed_generation:
                logger.info("SAP B1 session expired; logging in again")
                self._http.cookies.clear()
                self._logged_in = False
                self._login()

    def close(self) -> None:
        with self._lock:
            if self._logged_in:
                self._logged_in = False
                try:
                    self._http.post(self.base_url + "Logout", timeout=self.timeout, verify=self.verify_tls)
                except requests.RequestException as exc:
                    logger.info("SAP B1 logout failed: %s", exc)
            self._http.close()

    # --- HTTP --------------------------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool,
    ) -> requests.Response:
        """One HTTP exchange; transport failures become the contract's errors."""
        data = None
        all_headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body, default=_json_default, ensure_ascii=False).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            return self._http.request(
                method, url, data=data, headers=all_headers, timeout=self.timeout, verify=self.verify_tls
            )
        except requests.RequestException as exc:
            where = urlsplit(url).path.rsplit("/b1s/v1/", 1)[-1]
            raise transport_error(exc, who="SAP B1", method=method, where=where, write=write) from exc

    def _error(self, response: requests.Response, *, write: bool) -> ErpError:
        status = response.status_code
        code, message = _error_of(response)
        text = f"SAP B1 answered {status}" + (f" ({code})" if code else "") + (f": {message}" if message else "")
        details = {"status": status}
        if status >= 500 or status in (408, 409, 412, 423, 429):
            return RetryableError(text, retry_after=_retry_after(response), code=code, details=details)
        if status == 401:
            return RetryableError(text, code=code, details=details)
        return PermanentError(text, code=code, details=details)

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
    ) -> requests.Response:
        """A request with the session, errors mapped, and reads tried again (``read_retries``) while SAP is busy
        or down. ``path`` is relative to the base URL (a nextLink fits as it is)."""
        url = urljoin(self.base_url, path)
        if query:
            url += ("&" if "?" in url else "?") + "&".join(f"{k}={quote(v, safe=QUERY_SAFE)}" for k, v in query.items())
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._exchange(method, url, body=body, headers=headers, write=write)
            except RetryableError as exc:
                if write or attempt > self.read_retries:
                    raise
                pause = _pause(exc, attempt)
                logger.info("SAP B1 %s %s failed (%s); trying again in %.1f s", method, path, exc.message, pause)
                time.sleep(pause)

    def _exchange(
        self, method: str, url: str, *, body: Any, headers: Mapping[str, str] | None, write: bool
    ) -> requests.Response:
        """One request, re-logging in once when SAP says the session expired."""
        for attempt in (1, 2):
            generation = self._session()
            with self._in_flight:
                response = self._send(method, url, body=body, headers=headers, write=write)
            if response.status_code == 401 and attempt == 1:
                code, _ = _error_of(response)
                if code in ("", str(INVALID_SESSION)):
                    # The Service Layer refused the session before it looked at the request: safe to replay.
                    self._relogin(generation)
                    continue
            if response.status_code >= 400:
                raise self._error(response, write=write)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json(parse_float=Decimal)
        except ValueError:
            raise RetryableError(f"SAP B1 answered {response.status_code} with a body that is not JSON") from None

    def _pages(self, first: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Rows of a collection, page after page from ``first`` on, following ``odata.nextLink``."""
        page = first
        while True:
            yield from page.get("value") or []
            next_link = page.get("odata.nextLink") or page.get("@odata.nextLink")
            if not next_link:
                return
            page = self._json(self._call("GET", next_link, headers=self._page_headers()))

    def _page_headers(self) -> dict[str, str]:
        return {"Prefer": f"odata.maxpagesize={self.page_size}"}

    def _collection(self, path: str, query: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Fetch the first page now (so an unreachable ERP fails the read, not the feed) and stream the rest."""
        first = self._json(self._call("GET", path, query=query, headers=self._page_headers()))
        return self._pages(first)

    # --- checks --------------------------------------------------------------------------------------------

    def test_connection(self) -> ConnectionCheck:
        try:
            self._call("GET", "Warehouses", query={"$select": "WarehouseCode", "$top": "1"})
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"SAP B1 is not usable: {exc}", {"company_db": self.company_db})
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("SAP B1 connection check failed")
            return ConnectionCheck(False, f"SAP B1 check failed: {type(exc).__name__}: {exc}")
        message = f"Connected to SAP B1 company {self.company_db} (Service Layer version {self.version or '?'})."
        return ConnectionCheck(True, message, {"company_db": self.company_db, "version": self.version})

    # --- reading -------------------------------------------------------------------------------------------

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        if entity not in ErpAdapter.readable:
            raise ValueError(f"Unknown entity {entity!r}; the SAP B1 adapter reads {', '.join(ENTITIES)}.")
        if entity not in ENTITIES:
            raise ValueError(f"The SAP B1 adapter cannot read {entity!r}; it reads {', '.join(ENTITIES)}.")
        return self._read(entity, since=since, full=full)

    def _read(self, entity: str, *, since: datetime | None, full: bool) -> Iterator[Feed]:
        started = datetime.now(UTC)
        if entity in WINDOW_ENTITIES:
            # Documents are read for a window: since the watermark, or the lookback on a first or full run.
            window = since if since is not None and not full else started - self.lookback
            records = getattr(self, f"_read_{entity}")(window, started)
            source = f"sap_b1:{self.company_db}:{entity}?since={window.isoformat()}"
            scope = {"company_db": self.company_db}
            yield Feed(entity, source, records, complete=False, watermark=started, scope=scope)
            return
        delta = since is not None and not full and entity in DELTA_ENTITIES
        records = getattr(self, f"_read_{entity}")(since if delta else None, started)
        yield Feed(
            entity=entity,
            source=f"sap_b1:{self.company_db}:{entity}" + (f"?since={since.isoformat()}" if delta else ""),
            records=records,
            complete=not delta,
            watermark=started,
            scope={"company_db": self.company_db},
        )

    def delta_filter(self, since: datetime, *, created: bool = True) -> str:
        """Rows changed at or after ``since`` (less the overlap) on the company's clock. Date and time are separate
        columns, so a later day counts whatever its time of day. Master data created since then counts too
        (``CreateDate``/``CreateTime``): a row SAP added may carry no update stamp yet."""
        local = since if since.tzinfo is None else since.astimezone(self.zone).replace(tzinfo=None)
        local -= self.delta_overlap
        day, clock = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        stamps = [("UpdateDate", "UpdateTime")] + ([("CreateDate", "CreateTime")] if created else [])
        return " or ".join(
            f"{date_field} gt '{day}' or ({date_field} eq '{day}' and {time_field} ge '{clock}')"
            for date_field, time_field in stamps
        )

    def _items(self, select: str, since: datetime | None) -> Iterator[dict[str, Any]]:
        query = {"$select": select, "$orderby": "ItemCode"}
        if since is not None:
            query["$filter"] = self.delta_filter(since)
        return self._collection("Items", query)

    def _customers(self, select: str, since: datetime | None) -> Iterator[dict[str, Any]]:
        where = "CardType eq 'cCustomer'"
        if since is not None:
            where = f"{where} and ({self.delta_filter(since)})"
        return self._collection("BusinessPartners", {"$select": select, "$filter": where, "$orderby": "CardCode"})

    def _unit_codes(self) -> dict[int, str]:
        """UoM AbsEntry → code, read once per adapter (a handful of rows)."""
        if self._units is None:
            rows = self._collection("UnitOfMeasurements", {"$select": "AbsEntry,Code", "$orderby": "AbsEntry"})
            self._units = {int(row["AbsEntry"]): _text(row.get("Code")) for row in rows}
        return self._units

    def _unit_groups(self) -> dict[int, dict[str, Any]]:
        query = {"$select": "AbsEntry,Code,BaseUoM,UoMGroupDefinitionCollection", "$orderby": "AbsEntry"}
        return {int(row["AbsEntry"]): row for row in self._collection("UnitOfMeasurementGroups", query)}

    def _read_unit(self, since: datetime | None, started: datetime) -> Iterator[ErpUnit]:
        rows = list(self._collection("UnitOfMeasurements", {"$select": "AbsEntry,Code,Name", "$orderby": "AbsEntry"}))
        # Items outside any group name their unit in free text (InventoryUOM): those are units too.
        manual = self._collection(
            "Items", {"$select": "ItemCode,InventoryUOM", "$filter": "UoMGroupEntry eq -1", "$orderby": "ItemCode"}
        )

        def records() -> Iterator[ErpUnit]:
            seen = set()
            for row in rows:
                code = _text(row.get("Code"))
                if code and code not in seen:
                    seen.add(code)
                    yield ErpUnit(code=code, name=_text(row.get("Name")) or code)
            for row in manual:
                code = _text(row.get("InventoryUOM"))
                if code and code not in seen:
                    seen.add(code)
                    yield ErpUnit(code=code, name=code)

        return records()

    def _read_product(self, since: datetime | None, started: datetime) -> Iterator[ErpProduct]:
        units, groups = self._unit_codes(), self._unit_groups()
        rows = self._items(ITEM_FIELDS, since)

        def records() -> Iterator[ErpProduct]:
            for row in rows:
                base, packs = _item_units(row, groups, units)
                yield ErpProduct(
                    code=row["ItemCode"],
                    name=_text(row.get("ItemName")),
                    unit=base,
                    name_en=_text(row.get("ForeignName")),
                    tax_code=_text(row.get("SalesVATGroup")),
                    barcode=_text(row.get("BarCode")),
                    batch_managed=row.get("ManageBatchNumbers") == YES or row.get("ManageSerialNumbers") == YES,
                    active=row.get("Valid", YES) == YES and row.get("Frozen") != YES,
                    units=packs,
                )

        return records()

    def _read_warehouse(self, since: datetime | None, started: datetime) -> Iterator[ErpWarehouse]:
        query = {"$select": "WarehouseCode,WarehouseName,Inactive,Nettable", "$orderby": "WarehouseCode"}
        rows = self._collection("Warehouses", query)
        # Nettable warehouses count towards what can be promised: the portal sells from those.
        return (
            ErpWarehouse(
                code=row["WarehouseCode"],
                name=_text(row.get("WarehouseName")),
                sellable=row.get("Nettable", YES) == YES,
                active=row.get("Inactive") != YES,
            )
            for row in rows
        )

    def _read_stock(self, since: datetime | None, started: datetime) -> Iterator[ErpStock]:
        rows = self._items("ItemCode,ItemWarehouseInfoCollection", None)

        def records() -> Iterator[ErpStock]:
            for row in rows:
                for info in row.get("ItemWarehouseInfoCollection") or []:
                    on_hand = _decimal(info.get("InStock")) or Decimal(0)
                    committed = _decimal(info.get("Committed")) or Decimal(0)
                    # SAP keeps a row per item and warehouse; an empty row is no stock, as a missing one is.
                    if on_hand or committed:
                        yield ErpStock(row["ItemCode"], info["WarehouseCode"], on_hand, committed, as_of=started)

        return records()

    def _read_price_list(self, since: datetime | None, started: datetime) -> Iterator[ErpPriceList]:
        select = "PriceListNo,PriceListName,DefaultPrimeCurrency,IsGrossPrice,Active,ValidFrom,ValidTo"
        rows = self._collection("PriceLists", {"$select": select, "$orderby": "PriceListNo"})
        return (
            ErpPriceList(
                code=str(row["PriceListNo"]),
                name=_text(row.get("PriceListName")),
                currency=_text(row.get("DefaultPrimeCurrency")) or "TRY",
                vat_included=row.get("IsGrossPrice") == YES,
                valid_from=_date(row.get("ValidFrom")),
                valid_to=_date(row.get("ValidTo")),
                active=row.get("Active", YES) == YES,
            )
            for row in rows
        )

    def _read_price(self, since: datetime | None, started: datetime) -> Iterator[ErpPrice]:
        rows = self._items("ItemCode,ItemPrices", None)

        def records() -> Iterator[ErpPrice]:
            for row in rows:
                for price in row.get("ItemPrices") or []:
                    amount = _decimal(price.get("Price"))
                    # SAP holds a row for every list; a zero price means the list does not price the item.
                    if amount and price.get("PriceList") is not None:
                        yield ErpPrice(str(price["PriceList"]), row["ItemCode"], amount)

        return records()

    def _read_agreement(self, since: datetime | None, started: datetime) -> Iterator[ErpCustomerPrice]:
        """Special prices for one customer and item. A price that follows the price list (``AutoUpdate``) with a
        discount is the discount; otherwise the special price is a fixed price. Period and volume rows
        (``SpecialPriceDataAreas``) each become an agreement of their own. Rows for every customer of a price
        list (``CardCode`` ``*n``) are price lists' business, not a dealer's agreement, and are skipped."""
        select = (
            "CardCode,ItemCode,Price,Currency,DiscountPercent,AutoUpdate,Valid,ValidFrom,ValidTo,SpecialPriceDataAreas"
        )
        rows = self._collection("SpecialPrices", {"$select": select, "$orderby": "CardCode,ItemCode"})

        def records() -> Iterator[ErpCustomerPrice]:
            for row in rows:
                card, item = _text(row.get("CardCode")), _text(row.get("ItemCode"))
                if not card or card.startswith("*") or row.get("Valid", YES) != YES:
                    continue
                follows_list = row.get("AutoUpdate") == YES
                key = f"{card}|{item}"
                yield _special_price(
                    key, card, item, row.get("Price"), row.get("DiscountPercent"), row.get("Currency"), follows_list,
                    valid_from=_date(row.get("ValidFrom")), valid_to=_date(row.get("ValidTo")),
                )  # fmt: skip
                for area in row.get("SpecialPriceDataAreas") or []:
                    number = _text(area.get("RowNumber"))
                    window = {"valid_from": _date(area.get("DateFrom")), "valid_to": _date(area.get("Dateto"))}
                    yield _special_price(
                        f"{key}|{number}", card, item, area.get("SpecialPrice"), area.get("Discount"),
                        area.get("PriceCurrency"), follows_list, **window,
                    )  # fmt: skip
                    for volume in area.get("SpecialPriceQuantityAreas") or []:
                        quantity = _decimal(volume.get("Quantity")) or Decimal(1)
                        yield _special_price(
                            f"{key}|{number}|{quantity}", card, item, volume.get("SpecialPrice"),
                            volume.get("Discount"), volume.get("PriceCurrency"), follows_list,
                            min_quantity=quantity, **window,
                        )  # fmt: skip

        return records()

    def _read_customer(self, since: datetime | None, started: datetime) -> Iterator[ErpCustomer]:
        rows = self._customers(PARTNER_FIELDS, since)
        return (
            ErpCustomer(
                code=row["CardCode"],
                title=_text(row.get("CardName")),
                tax_number=_text(row.get("FederalTaxID")),
                email=_text(row.get("EmailAddress")),
                phone=_text(row.get("Phone1")),
                currency=_text(row.get("Currency")) or "TRY",
                price_list_code=_code(row.get("PriceListNum")),
                payment_terms_code=_code(row.get("PayTermsGrpCode")),
                sales_rep_code=_code(row.get("SalesPersonCode")),
                active=row.get("Valid", YES) == YES,
                addresses=tuple(_address(address) for address in row.get("BPAddresses") or []),
            )
            for row in rows
        )

    def _read_balance(self, since: datetime | None, started: datetime) -> Iterator[ErpBalance]:
        rows = self._customers("CardCode,Currency,CurrentAccountBalance,OpenOrdersBalance", None)
        return (
            ErpBalance(
                customer_code=row["CardCode"],
                balance=_decimal(row.get("CurrentAccountBalance")) or Decimal(0),
                currency=_text(row.get("Currency")) or "TRY",
                open_orders=_decimal(row.get("OpenOrdersBalance")),
                as_of=started,
            )
            for row in rows
        )

    def _read_credit(self, since: datetime | None, started: datetime) -> Iterator[ErpCredit]:
        rows = self._customers("CardCode,CreditLimit,Frozen,FrozenRemarks", None)
        return (
            ErpCredit(
                customer_code=row["CardCode"],
                credit_limit=_decimal(row.get("CreditLimit")) or Decimal(0),
                hold=row.get("Frozen") == YES,
                hold_reason=_text(row.get("FrozenRemarks")) if row.get("Frozen") == YES else "",
                as_of=started,
            )
            for row in rows
        )

    # --- order status and documents -------------------------------------------------------------------------

    def _changed(self, set_name: str, select: str, window: datetime, where: str = "") -> list[dict[str, Any]]:
        """Documents of ``set_name`` changed since ``window`` (a day or so: a list is fine)."""
        # Documents carry UpdateDate/UpdateTime from the moment they are added.
        condition = f"({self.delta_filter(window, created=False)})" + (f" and {where}" if where else "")
        return list(self._collection(set_name, {"$select": select, "$filter": condition, "$orderby": "DocEntry"}))

    def _by_entry(self, set_name: str, entries: Iterable[int], select: str) -> dict[int, dict[str, Any]]:
        """Documents by DocEntry, a few keys per request."""
        keys = sorted(set(entries))
        found: dict[int, dict[str, Any]] = {}
        for at in range(0, len(keys), KEYS_PER_REQUEST):
            where = " or ".join(f"DocEntry eq {key}" for key in keys[at : at + KEYS_PER_REQUEST])
            for row in self._collection(set_name, {"$select": select, "$filter": where}):
                found[int(row["DocEntry"])] = row
        return found

    def _read_order_status(self, window: datetime, started: datetime) -> Iterator[ErpOrderStatus]:
        orders = {
            int(row["DocEntry"]): row
            for row in self._changed("Orders", ORDER_FIELDS, window, "NumAtCard ne null")
            if row.get("NumAtCard")
        }
        # A delivery or invoice moves an order on without always touching the order itself.
        chain = _Chain(self, orders)
        deliveries = self._changed("DeliveryNotes", "DocEntry,Cancelled,DocumentLines", window)
        invoices = self._changed("Invoices", "DocEntry,Cancelled,DocumentLines", window)
        chain.resolve(deliveries + invoices)
        invoiced = {entry for row in invoices if row.get("Cancelled") != YES for entry in chain.orders_of(row)}
        for row in (*deliveries, *invoices):
            orders.update({entry: chain.orders[entry] for entry in chain.orders_of(row) if entry in chain.orders})
        by_reference: dict[str, dict[str, Any]] = {}
        for row in orders.values():
            reference = _text(row.get("NumAtCard"))
            known = by_reference.get(reference)
            # NumAtCard is not unique in SAP: the live order speaks for the reference, not an old cancelled one.
            if reference and (known is None or known.get("Cancelled") == YES):
                by_reference[reference] = row
        return iter(
            [
                ErpOrderStatus(
                    reference=reference,
                    state=_order_state(row, int(row["DocEntry"]) in invoiced),
                    document_number=_text(row.get("DocNum")),
                    document_id=str(row["DocEntry"]),
                )
                for reference, row in sorted(by_reference.items())
            ]
        )

    def _documents(self, kind: DocumentKind, window: datetime) -> Iterator[ErpDocument]:
        rows = self._changed(DOCUMENT_SETS[kind], DOCUMENT_FIELDS, window)
        # A cancelled document was never issued; SAP's cancellation document of it is no document of the dealer's.
        rows = [row for row in rows if row.get("Cancelled") != YES and row.get("CancelStatus") != CANCELLATION]
        chain = _Chain(self)
        chain.resolve(rows)
        for row in rows:
            origins = chain.orders_of(row)
            order = chain.orders.get(origins[0]) if origins else None
            gross = _decimal(row.get("DocTotal"))
            vat = _decimal(row.get("VatSum"))
            yield ErpDocument(
                kind=kind,
                number=_text(row.get("DocNum")),
                customer_code=_text(row.get("CardCode")),
                issued_on=_date(row.get("DocDate")),
                order_reference=_text(order.get("NumAtCard") if order else row.get("NumAtCard")),
                currency=_text(row.get("DocCurrency")) or "TRY",
                net=None if gross is None or vat is None else gross - vat,
                vat=vat,
                gross=gross,
                due_on=_date(row.get("DocDueDate")) if kind == DocumentKind.INVOICE else None,
                tracking_number=_text(row.get("TrackingNumber")),
                related_number=chain.related_number(row),
            )

    def _read_delivery(self, window: datetime, started: datetime) -> Iterator[ErpDocument]:
        return self._documents(DocumentKind.DELIVERY, window)

    def _read_invoice(self, window: datetime, started: datetime) -> Iterator[ErpDocument]:
        return self._documents(DocumentKind.INVOICE, window)

    def _read_credit_memo(self, window: datetime, started: datetime) -> Iterator[ErpDocument]:
        return self._documents(DocumentKind.CREDIT_MEMO, window)

    # --- the customer's account ------------------------------------------------------------------------------

    def _read_ledger(self, since: datetime | None, started: datetime) -> Iterator[ErpLedgerEntry]:
        """Every A/R invoice, credit memo and customer payment (a full read), or those changed since ``since``.
        The first page of each set is fetched now, so an unreachable Service Layer fails the read, not the feed."""
        sources = []
        for set_name, prefix, kind, sign in LEDGER_DOCUMENTS:
            query = {"$select": LEDGER_FIELDS, "$orderby": "DocEntry"}
            if since is not None:
                query["$filter"] = self.delta_filter(since, created=False)
            sources.append((self._collection(set_name, query), partial(self._ledger_document, prefix, kind, sign)))
        where, select = "DocType eq 'rCustomer'", PAYMENT_FIELDS
        if self.payment_delta == "update":
            select += ",UpdateDate,UpdateTime"
        if since is not None:
            if self.payment_delta == "update":
                where += f" and ({self.delta_filter(since, created=False)})"
            else:
                local = since.astimezone(self.zone) if since.tzinfo else since
                where += f" and DocDate ge '{(local - self.lookback).strftime('%Y-%m-%d')}'"
        payments = self._collection("IncomingPayments", {"$select": select, "$filter": where, "$orderby": "DocEntry"})
        sources.append((payments, self._ledger_payment))

        def records() -> Iterator[ErpLedgerEntry]:
            for rows, entries in sources:
                for row in rows:
                    if _text(row.get("CardCode")):
                        yield from entries(row)

        return records()

    def _stamp(self, row: Mapping[str, Any]) -> datetime | None:
        """When SAP last changed ``row`` (``UpdateDate`` and ``UpdateTime`` on the company's clock)."""
        day, clock = _text(row.get("UpdateDate"))[:10], _text(row.get("UpdateTime")) or "00:00:00"
        if not day:
            return None
        try:
            return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=self.zone)
        except ValueError:
            return None

    def _ledger_document(self, prefix: str, kind: LedgerKind, sign: int, row: Mapping[str, Any]):
        """An invoice (``sign`` 1) or credit memo (-1) on the customer's account; a cancelled one with its reversal."""
        if row.get("CancelStatus") == CANCELLATION:
            return
        total = _decimal(row.get("DocTotal")) or Decimal(0)
        paid = _decimal(row.get("PaidToDate")) or Decimal(0)
        cancelled = row.get("Cancelled") == YES
        number = _text(row.get("DocNum"))
        entry = ErpLedgerEntry(
            entry_id=f"{prefix}:{row['DocEntry']}",
            customer_code=_text(row.get("CardCode")),
            posted_on=_date(row.get("DocDate")),
            kind=kind,
            amount=sign * total,
            currency=_text(row.get("DocCurrency")) or "TRY",
            document_number=number,
            due_on=_date(row.get("DocDueDate")) if kind == LedgerKind.INVOICE else None,
            description=_text(row.get("Comments"))[:255],
            open_amount=Decimal(0) if cancelled else sign * min(max(total - paid, Decimal(0)), total),
            updated_at=self._stamp(row),
        )
        yield entry
        if cancelled:
            yield _reversal(entry, self._stamp(row))

    def _ledger_payment(self, row: Mapping[str, Any]):
        """A customer's incoming payment: the sum of its means of payment, as a credit. Open: what it did not apply
        to invoices (unknown when it also applied other documents); later reconciliations in SAP are not seen."""
        total = (_decimal(row.get("CashSum")) or Decimal(0)) + (_decimal(row.get("TransferSum")) or Decimal(0))
        total += sum((_decimal(check.get("CheckSum")) or Decimal(0)) for check in row.get("PaymentChecks") or [])
        total += sum((_decimal(card.get("CreditSum")) or Decimal(0)) for card in row.get("PaymentCreditCards") or [])
        applied_rows = row.get("PaymentInvoices") or []
        cancelled = row.get("Cancelled") == YES
        if cancelled:
            unapplied: Decimal | None = Decimal(0)
        elif all(applied.get("InvoiceType", "it_Invoice") in ("it_Invoice", INVOICE_TYPE) for applied in applied_rows):
            applied = sum((_decimal(applied.get("SumApplied")) or Decimal(0)) for applied in applied_rows)
            unapplied = -min(max(total - applied, Decimal(0)), total)
        else:
            unapplied = None
        entry = ErpLedgerEntry(
            entry_id=f"rct:{row['DocEntry']}",
            customer_code=_text(row.get("CardCode")),
            posted_on=_date(row.get("DocDate")),
            kind=LedgerKind.COLLECTION,
            amount=-total,
            currency=_text(row.get("DocCurrency")) or "TRY",
            document_number=_text(row.get("DocNum")),
            description=_text(row.get("Remarks"))[:255],
            open_amount=unapplied,
            updated_at=self._stamp(row),
        )
        yield entry
        if cancelled:
            yield _reversal(entry, self._stamp(row))

    # --- open orders ----------------------------------------------------------------------------------------

    def open_orders(self) -> Iterator[ErpOpenOrder]:
        """Sales orders open and not cancelled, then approval drafts of orders carrying a reference (the portal's
        orders waiting for approval; a closed draft became the order). Both first pages are fetched now."""
        where = f"DocumentStatus eq '{OPEN}' and Cancelled eq 'tNO'"
        select = OPEN_ORDER_FIELDS
        orders = self._collection("Orders", {"$select": select, "$filter": where, "$orderby": "DocEntry"})
        drafts = self._collection(
            "Drafts",
            {
                "$select": select,
                "$filter": f"{where} and DocObjectCode eq 'oOrders' and NumAtCard ne null",
                "$orderby": "DocEntry",
            },
        )

        def records() -> Iterator[ErpOpenOrder]:
            for rows, draft in ((orders, False), (drafts, True)):
                for row in rows:
                    if row.get("Cancelled") == YES or row.get("DocumentStatus", OPEN) != OPEN:
                        continue
                    yield ErpOpenOrder(
                        document_number="" if draft else _text(row.get("DocNum")),
                        customer_code=_text(row.get("CardCode")),
                        reference=_text(row.get("NumAtCard")),
                        gross=_decimal(row.get("DocTotal")),
                        currency=_text(row.get("DocCurrency")) or "TRY",
                    )

        return records()

    # --- live lookups ----------------------------------------------------------------------------------------

    def live_stock(self, product_codes: Iterable[str]) -> list[ErpStock]:
        """Current stock of the given items in every warehouse (zero rows included: "none now" is an answer)."""
        if Capability.LIVE_STOCK not in self.capabilities:
            raise NotImplementedError("Live lookups are switched off for this SAP B1 connection.")
        codes = sorted({code for code in product_codes if code})
        now = datetime.now(UTC)
        stock = []
        for at in range(0, len(codes), KEYS_PER_REQUEST):
            where = " or ".join(f"ItemCode eq {quote_literal(code)}" for code in codes[at : at + KEYS_PER_REQUEST])
            rows = self._collection("Items", {"$select": "ItemCode,ItemWarehouseInfoCollection", "$filter": where})
            for row in rows:
                for info in row.get("ItemWarehouseInfoCollection") or []:
                    on_hand = _decimal(info.get("InStock")) or Decimal(0)
                    committed = _decimal(info.get("Committed")) or Decimal(0)
                    stock.append(ErpStock(row["ItemCode"], info["WarehouseCode"], on_hand, committed, as_of=now))
        return stock

    def live_balance(self, customer_code: str) -> ErpBalance:
        if Capability.LIVE_BALANCE not in self.capabilities:
            raise NotImplementedError("Live lookups are switched off for this SAP B1 connection.")
        path = f"BusinessPartners({quote(quote_literal(customer_code), safe=QUERY_SAFE)})"
        row = self._json(
            self._call("GET", path, query={"$select": "CardCode,Currency,CurrentAccountBalance,OpenOrdersBalance"})
        )
        return ErpBalance(
            customer_code=row["CardCode"],
            balance=_decimal(row.get("CurrentAccountBalance")) or Decimal(0),
            currency=_text(row.get("Currency")) or "TRY",
            open_orders=_decimal(row.get("OpenOrdersBalance")),
            as_of=datetime.now(UTC),
        )

    # --- orders --------------------------------------------------------------------------------------------

    def _find_order(self, reference: str) -> dict[str, Any] | None:
        """The order carrying ``reference``, else an approval draft of it (see ``order_push``), else None."""
        query = {
            "$select": "DocEntry,DocNum,Cancelled,DocumentStatus",
            "$filter": f"NumAtCard eq {quote_literal(reference)}",
            "$orderby": "DocEntry",
        }
        rows = list(self._collection("Orders", query))
        # NumAtCard is not unique in SAP: prefer the live document when an old one was cancelled.
        live = [row for row in rows if row.get("Cancelled") != YES]
        if live or rows:
            return (live or rows)[0]
        drafts = [row for row in self._collection("Drafts", query) if row.get("Cancelled") != YES]
        drafts = [row for row in drafts if row.get("DocumentStatus") != CLOSED]  # a closed draft became the order
        return {**drafts[0], "draft": True} if drafts else None

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        row = self._find_order(reference)
        return None if row is None else _ack(reference, row)

    def _items_of(self, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
        codes = sorted(set(codes))
        select = "ItemCode,InventoryUOM,SalesUnit,UoMGroupEntry,ManageBatchNumbers,ManageSerialNumbers,Valid,Frozen"
        found = {}
        for at in range(0, len(codes), KEYS_PER_REQUEST):
            where = " or ".join(f"ItemCode eq {quote_literal(code)}" for code in codes[at : at + KEYS_PER_REQUEST])
            found.update(
                {row["ItemCode"]: row for row in self._collection("Items", {"$select": select, "$filter": where})}
            )
        return found

    def _order_lines(self, order: ErpOrder) -> list[dict[str, Any]]:
        """The order's lines as SAP takes them, or PermanentError naming every line SAP would refuse."""
        items = self._items_of(line.product_code for line in order.lines)
        units = {code.casefold(): entry for entry, code in self._unit_codes().items()}
        groups: dict[int, dict[str, Any]] | None = None
        problems, lines = [], []
        for line in order.lines:
            item = items.get(line.product_code)
            if item is None:
                problems.append(f"line {line.line_no}: SAP has no item {line.product_code}")
                continue
            if not self.allow_batch_items and YES in (item.get("ManageBatchNumbers"), item.get("ManageSerialNumbers")):
                problems.append(
                    f"line {line.line_no}: item {line.product_code} is managed by batches or serial numbers in SAP; "
                    "this connection does not take portal orders for such items (allow_batch_managed_orders)"
                )
                continue
            row: dict[str, Any] = {"ItemCode": line.product_code, "Quantity": line.quantity}
            if item.get("UoMGroupEntry") in (None, -1):
                own = _text(item.get("InventoryUOM") or item.get("SalesUnit"))
                if line.unit and own and line.unit.casefold() != own.casefold():
                    problems.append(
                        f"line {line.line_no}: item {line.product_code} is sold in {own} only, not {line.unit}"
                    )
                    continue
            else:
                if groups is None:
                    groups = self._unit_groups()
                group = groups.get(int(item["UoMGroupEntry"])) or {}
                entry = units.get(line.unit.casefold())
                allowed = {
                    int(d["AlternateUoM"])
                    for d in group.get("UoMGroupDefinitionCollection") or []
                    if d.get("Active", YES) == YES
                }
                if entry not in allowed:
                    problems.append(
                        f"line {line.line_no}: unit {line.unit} is not in the unit group {group.get('Code', '?')} "
                        f"of item {line.product_code}"
                    )
                    continue
                row["UoMEntry"] = entry
            row.update(self._line_price(line))
            group_code = self.vat_groups.get(line.vat_rate.normalize())
            if group_code:
                row["VatGroup"] = group_code
            if self.order_warehouse:
                row["WarehouseCode"] = self.order_warehouse
            lines.append(row)
        if problems:
            raise PermanentError(f"SAP B1 cannot take order {order.reference}: " + "; ".join(problems))
        return lines

    @staticmethod
    def _line_price(line) -> dict[str, Any]:
        """List price and discount when they give exactly the dealer's net price (SAP rounds the discounted price
        to cents, as the portal does); the net price as it is otherwise."""
        if line.list_price and line.discount_percent:
            discounted = line.list_price * (1 - line.discount_percent / 100)
            if discounted.quantize(Decimal("0.01"), ROUND_HALF_UP) == line.unit_price:
                return {"UnitPrice": line.list_price, "DiscountPercent": line.discount_percent}
        return {"UnitPrice": line.unit_price}

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        existing = self._find_order(order.reference)
        if existing is not None:
            return _ack(order.reference, existing)
        body = {
            "CardCode": order.customer_code,
            "NumAtCard": order.reference,
            "DocDate": order.ordered_on.isoformat(),
            "DocDueDate": (order.requested_on or order.ordered_on).isoformat(),
            "DocumentLines": self._order_lines(order),
        }
        if order.note:
            body["Comments"] = order.note[:254]
        try:
            created = self._json(self._call("POST", "Orders", body=body, write=True))
        except PermanentError as exc:
            if exc.code != NOT_FOUND:
                raise
            # An approval procedure kept the order as a draft and SAP reports that as "not found".
            draft = self._find_order(order.reference)
            if draft is None:
                raise
            logger.info("SAP B1 keeps order %s as draft %s awaiting approval", order.reference, draft["DocEntry"])
            return _ack(order.reference, draft)
        return _ack(order.reference, created)

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        if cancel.document_id and not cancel.document_id.startswith("draft:"):
            entry = cancel.document_id
            row = self._json(
                self._call(
                    "GET", f"Orders({int(entry)})", query={"$select": "DocEntry,DocNum,Cancelled,DocumentStatus"}
                )
            )
        else:
            row = self._find_order(cancel.reference)
            if row is None:
                raise PermanentError(f"SAP B1 holds no order with reference {cancel.reference!r}")
        if row.get("draft"):
            raise PermanentError(
                f"Order {cancel.reference} waits for approval in SAP B1 as draft {row['DocEntry']}; "
                "reject the draft there (a draft cannot be cancelled through the Service Layer)."
            )
        ack = ErpAck(cancel.reference, str(row["DocEntry"]), _text(row.get("DocNum")))
        if row.get("Cancelled") == YES:
            return ack  # cancelled before (a retry after an unanswered cancel): nothing left to do
        self._call("POST", f"Orders({int(row['DocEntry'])})/Cancel", write=True)
        return ack

    # --- collections and refunds ---------------------------------------------------------------------------

    def payment_lookup(self, reference: str) -> ErpAck | None:
        field = self.payment_reference_field
        query = {"$select": "DocEntry,DocNum,Cancelled", "$filter": f"{field} eq {quote_literal(reference)}"}
        rows = [row for row in self._collection("IncomingPayments", query) if row.get("Cancelled") != YES]
        return ErpAck(reference, str(rows[0]["DocEntry"]), _text(rows[0].get("DocNum"))) if rows else None

    def _invoice(self, customer_code: str, number: str, select: str) -> dict[str, Any]:
        try:
            doc_num = int(number)
        except ValueError:
            raise PermanentError(f"{number!r} is not an SAP B1 invoice number") from None
        where = f"DocNum eq {doc_num} and CardCode eq {quote_literal(customer_code)}"
        rows = list(self._collection("Invoices", {"$select": select, "$filter": where}))
        live = [row for row in rows if row.get("Cancelled") != YES]
        if not live:
            raise PermanentError(f"SAP B1 has no invoice {number} of customer {customer_code}")
        return live[0]

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        existing = self.payment_lookup(payment.reference)
        if existing is not None:
            return existing
        account = self.payment_accounts.get(payment.method) or self.payment_accounts.get("*")
        if not account:
            raise PermanentError(
                f"No G/L account for payment method {payment.method!r}: add it to the connection's payment_accounts"
            )
        applied, left = [], payment.amount
        for number in payment.invoice_numbers:
            if left <= 0:
                break
            invoice = self._invoice(payment.customer_code, number, "DocEntry,DocNum,DocTotal,PaidToDate,Cancelled")
            due = (_decimal(invoice.get("DocTotal")) or 0) - (_decimal(invoice.get("PaidToDate")) or 0)
            if due <= 0:
                continue  # paid meanwhile: the money stays on account
            share = min(due, left)
            applied.append({"DocEntry": int(invoice["DocEntry"]), "SumApplied": share, "InvoiceType": "it_Invoice"})
            left -= share
        body: dict[str, Any] = {
            "CardCode": payment.customer_code,
            "DocDate": payment.received_on.isoformat(),
            "TransferSum": payment.amount,
            "TransferAccount": account,
            "TransferDate": payment.received_on.isoformat(),
            self.payment_reference_field: payment.reference,
            "Remarks": (payment.description or f"Portal {payment.reference}")[:254],
            "JournalRemarks": f"Portal {payment.reference}"[:50],
            "PaymentInvoices": applied,
        }
        if payment.currency:
            body["DocCurrency"] = payment.currency
        created = self._json(self._call("POST", "IncomingPayments", body=body, write=True))
        return ErpAck(payment.reference, str(created["DocEntry"]), _text(created.get("DocNum")))

    def credit_memo_lookup(self, reference: str) -> ErpAck | None:
        query = {"$select": "DocEntry,DocNum,Cancelled", "$filter": f"NumAtCard eq {quote_literal(reference)}"}
        rows = [row for row in self._collection("CreditNotes", query) if row.get("Cancelled") != YES]
        return ErpAck(reference, str(rows[0]["DocEntry"]), _text(rows[0].get("DocNum"))) if rows else None

    def credit_memo_push(self, memo: ErpCreditMemo) -> ErpAck:
        """A refund of the whole invoice copies its open lines (goods back, linked line by line); a partial refund
        is a service credit memo for the amount on ``refund_account``, referring to the invoice."""
        existing = self.credit_memo_lookup(memo.reference)
        if existing is not None:
            return existing
        if not memo.invoice_number:
            raise PermanentError(f"Refund {memo.reference} names no invoice; SAP B1 credit memos refer to one")
        invoice = self._invoice(
            memo.customer_code, memo.invoice_number, "DocEntry,DocNum,DocTotal,VatSum,Cancelled,DocumentLines"
        )
        total = _decimal(invoice.get("DocTotal")) or Decimal(0)
        if memo.amount <= 0 or memo.amount > total:
            raise PermanentError(f"Refund {memo.amount} does not fit invoice {memo.invoice_number} of {total}")
        body: dict[str, Any] = {
            "CardCode": memo.customer_code,
            "NumAtCard": memo.reference,
            "DocDate": memo.issued_on.isoformat(),
            "Comments": (memo.reason or f"Refund of invoice {memo.invoice_number}")[:254],
        }
        open_lines = [
            line for line in invoice.get("DocumentLines") or [] if line.get("LineStatus", OPEN) == OPEN
        ]  # fmt: skip
        whole = all(
            _decimal(line.get("RemainingOpenQuantity")) == _decimal(line.get("Quantity")) for line in open_lines
        )
        if memo.amount == total and open_lines and whole:
            body["DocumentLines"] = [
                {"BaseType": INVOICE_TYPE, "BaseEntry": int(invoice["DocEntry"]), "BaseLine": line["LineNum"]}
                for line in open_lines
            ]
        else:
            if not self.refund_account:
                raise PermanentError(
                    f"Refund {memo.reference} is part of invoice {memo.invoice_number}: a partial refund needs the "
                    "connection's refund_account (the G/L account of the service credit memo)"
                )
            lines = invoice.get("DocumentLines") or []
            first = lines[0] if lines else {}
            line: dict[str, Any] = {
                "ItemDescription": f"Refund, invoice {memo.invoice_number}"[:100],
                "AccountCode": self.refund_account,
                # Entered gross: SAP takes the VAT out of it, so the memo totals exactly what was refunded.
                "PriceAfterVAT": memo.amount,
            }
            if first.get("VatGroup"):
                line["VatGroup"] = first["VatGroup"]
            body["DocType"] = "dDocument_Service"
            body["DocumentLines"] = [line]
            body["DocumentReferences"] = [
                {
                    "RefDocEntr": int(invoice["DocEntry"]),
                    "RefDocNum": invoice.get("DocNum"),
                    "RefObjType": "rot_SalesInvoice",
                }
            ]
        created = self._json(self._call("POST", "CreditNotes", body=body, write=True))
        return ErpAck(memo.reference, str(created["DocEntry"]), _text(created.get("DocNum")))


class _Chain:
    """Walks copied lines back to the orders they came from: a delivery line names its order line (BaseType 17),
    an invoice line an order or delivery line, a credit memo line an invoice or delivery line. Base documents are
    fetched by key in batches and kept for the read."""

    SETS = {ORDER_TYPE: "Orders", DELIVERY_TYPE: "DeliveryNotes", INVOICE_TYPE: "Invoices"}

    def __init__(self, adapter: SapB1Adapter, orders: Mapping[int, dict[str, Any]] | None = None) -> None:
        self.adapter = adapter
        self.docs: dict[int, dict[int, dict[str, Any]]] = {kind: {} for kind in self.SETS}
        self.docs[ORDER_TYPE].update(orders or {})

    @property
    def orders(self) -> dict[int, dict[str, Any]]:
        return self.docs[ORDER_TYPE]

    @staticmethod
    def bases(row: Mapping[str, Any]) -> list[tuple[int, int]]:
        found = []
        for line in row.get("DocumentLines") or []:
            kind, entry = line.get("BaseType"), line.get("BaseEntry")
            if kind in _Chain.SETS and entry is not None and (int(kind), int(entry)) not in found:
                found.append((int(kind), int(entry)))
        return found

    def resolve(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Fetch every base document up the chain of ``rows`` (at most three levels: credit memo → invoice →
        delivery → order)."""
        pending = list(rows)
        for _level in range(3):
            wanted: dict[int, set[int]] = {}
            for row in pending:
                for kind, entry in self.bases(row):
                    if entry not in self.docs[kind]:
                        wanted.setdefault(kind, set()).add(entry)
            if not wanted:
                return
            pending = []
            for kind, entries in wanted.items():
                select = ORDER_FIELDS if kind == ORDER_TYPE else "DocEntry,DocNum,NumAtCard,DocumentLines"
                found = self.adapter._by_entry(self.SETS[kind], entries, select)
                self.docs[kind].update(found)
                pending.extend(found.values())

    def orders_of(self, row: Mapping[str, Any], depth: int = 0) -> list[int]:
        """DocEntries of the orders ``row`` derives from, first line first."""
        found: list[int] = []
        for kind, entry in self.bases(row):
            if kind == ORDER_TYPE:
                candidates = [entry]
            elif depth < 3 and entry in self.docs[kind]:
                candidates = self.orders_of(self.docs[kind][entry], depth + 1)
            else:
                candidates = []
            found.extend(c for c in candidates if c not in found)
        return found

    def related_number(self, row: Mapping[str, Any]) -> str:
        """The number of the document ``row`` was copied from when that was not the order: the invoice a credit
        memo corrects, the delivery an invoice bills."""
        for kind, entry in self.bases(row):
            if kind != ORDER_TYPE and entry in self.docs[kind]:
                return _text(self.docs[kind][entry].get("DocNum"))
        return ""


def _order_state(row: Mapping[str, Any], invoiced: bool) -> ErpOrderState:
    """An order's state from its lines: how much left (delivered, or invoiced straight from the order) and whether
    an invoice was seen for it."""
    if row.get("Cancelled") == YES:
        return ErpOrderState.CANCELLED
    lines = row.get("DocumentLines") or []
    delivered = sum(
        (_decimal(line.get("Quantity")) or Decimal(0)) - (_decimal(line.get("RemainingOpenQuantity")) or 0)
        for line in lines
    )
    still_open = any(
        line.get("LineStatus", OPEN) == OPEN and (_decimal(line.get("RemainingOpenQuantity")) or 0) > 0
        for line in lines
    )
    if delivered <= 0:
        return ErpOrderState.CLOSED if row.get("DocumentStatus") == CLOSED else ErpOrderState.OPEN
    if still_open and row.get("DocumentStatus") != CLOSED:
        return ErpOrderState.PARTIALLY_SHIPPED
    return ErpOrderState.INVOICED if invoiced else ErpOrderState.SHIPPED


def _reversal(entry: ErpLedgerEntry, stamp: datetime | None) -> ErpLedgerEntry:
    """The reversal of a cancelled document's entry: the opposite amount under the same number and text (the portal
    names the kind), dated when SAP last changed the document (the cancellation), nothing left open on either."""
    return ErpLedgerEntry(
        entry_id=f"{entry.entry_id}:cancel",
        customer_code=entry.customer_code,
        posted_on=stamp.date() if stamp is not None else entry.posted_on,
        kind=LedgerKind.ADJUSTMENT,
        amount=-entry.amount,
        currency=entry.currency,
        document_number=entry.document_number,
        description=entry.description,
        open_amount=Decimal(0),
        updated_at=stamp,
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _ack(reference: str, row: Mapping[str, Any]) -> ErpOrderAck:
    if row.get("draft"):
        # Waiting for approval in SAP: no order number yet; the draft's entry keeps the export idempotent.
        return ErpOrderAck(reference, f"draft:{row['DocEntry']}", "", ErpOrderState.OPEN)
    if row.get("Cancelled") == YES:
        state = ErpOrderState.CANCELLED
    elif row.get("DocumentStatus") == "bost_Close":
        state = ErpOrderState.CLOSED
    else:
        state = ErpOrderState.OPEN
    return ErpOrderAck(reference, str(row["DocEntry"]), _text(row.get("DocNum")), state)


def _special_price(
    code: str,
    card: str,
    item: str,
    price: Any,
    discount: Any,
    currency: Any,
    follows_list: bool,
    *,
    valid_from: date | None = None,
    valid_to: date | None = None,
    min_quantity: Decimal = Decimal(1),
) -> ErpCustomerPrice:
    percent = _decimal(discount) or Decimal(0)
    if follows_list and percent:
        kind, value, currency = "discount", percent, ""
    else:
        kind, value, currency = "fixed_price", _decimal(price) or Decimal(0), _text(currency) or "TRY"
    return ErpCustomerPrice(
        code=code[:64],
        customer_code=card,
        kind=kind,
        value=value,
        product_code=item,
        currency=currency,
        min_quantity=min_quantity,
        valid_from=valid_from,
        valid_to=valid_to,
        note="SAP B1 special price",
    )


def _item_units(
    row: Mapping[str, Any], groups: Mapping[int, Mapping[str, Any]], units: Mapping[int, str]
) -> tuple[str, tuple[ErpProductUnit, ...]]:
    """An item's inventory unit and its other units with their factor to it. Stock is counted in the inventory
    unit, so that is the portal's base unit; a unit without a code is left out."""
    manual = _text(row.get("InventoryUOM") or row.get("SalesUnit"))
    group = groups.get(row.get("UoMGroupEntry"))
    if group is None:
        return manual, ()
    per_base = {}
    for definition in group.get("UoMGroupDefinitionCollection") or []:
        if definition.get("Active", YES) != YES:
            continue
        alternate = _decimal(definition.get("AlternateQuantity")) or Decimal(1)
        per_base[int(definition["AlternateUoM"])] = (_decimal(definition.get("BaseQuantity")) or Decimal(1)) / alternate
    inventory = row.get("InventoryUoMEntry")
    if inventory in (None, -1):
        inventory = group.get("BaseUoM")
    inventory_factor = per_base.get(inventory, Decimal(1))
    packs = tuple(
        ErpProductUnit(unit=units[entry], factor=_decimal(factor / inventory_factor))
        for entry, factor in per_base.items()
        if entry != inventory and units.get(entry)
    )
    return units.get(inventory) or manual, packs


def _address(row: Mapping[str, Any]) -> ErpAddress:
    name = _text(row.get("AddressName"))
    return ErpAddress(
        code=name,
        name=name,
        line1=_text(row.get("Street")),
        city=_text(row.get("City")),
        kind="billing" if row.get("AddressType") == "bo_BillTo" else "shipping",
        district=_text(row.get("County")),
        postal_code=_text(row.get("ZipCode")),
        country=_text(row.get("Country")) or "TR",
    )


__all__ = ["SapB1Adapter", "quote_literal"]
