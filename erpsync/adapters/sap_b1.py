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
  a rate it does not list leaves the item's own sales VAT group in charge.

Credentials: ``username`` and ``password``.

Session: one HTTP session per adapter; it logs in on first use and keeps the ``B1SESSION``/``ROUTEID`` cookies.
When the Service Layer answers 401 (code 301, the session timed out) it logs in again once, under a lock so
parallel callers open one new session, and replays the request.

Watermark: the Service Layer does not tell its own time, so a feed's ``watermark`` is the portal's clock when the
read started; ``delta_overlap_seconds`` covers clock skew and changes committed while the read was running.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from django.core.exceptions import ImproperlyConfigured
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from erpsync.adapters.base import (
    Capability,
    ConnectionCheck,
    ErpAck,
    ErpAdapter,
    ErpAddress,
    ErpBalance,
    ErpCancel,
    ErpCredit,
    ErpCustomer,
    ErpError,
    ErpOrder,
    ErpOrderAck,
    ErpOrderState,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpStock,
    ErpWarehouse,
    Feed,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)

logger = logging.getLogger(__name__)

YES = "tYES"
INVALID_SESSION = 301
# Characters left as they are in query values; the rest (spaces, non-ASCII letters) is percent-encoded.
QUERY_SAFE = ",'()=:*$/"
ENTITIES = ("product", "warehouse", "stock", "price_list", "price", "customer", "balance", "credit")
DELTA_ENTITIES = frozenset({"product", "customer"})

ITEM_FIELDS = (
    "ItemCode,ItemName,ForeignName,InventoryUOM,SalesUnit,SalesVATGroup,BarCode,ManageBatchNumbers,Valid,Frozen"
)
PARTNER_FIELDS = (
    "CardCode,CardName,FederalTaxID,EmailAddress,Phone1,Currency,PriceListNum,PayTermsGrpCode,"
    "SalesPersonCode,Valid,BPAddresses"
)


def quote_literal(value: str) -> str:
    """``value`` as an OData string literal: single quotes inside are doubled."""
    return "'" + value.replace("'", "''") + "'"


def _decimal(value: Any) -> Decimal | None:
    """A JSON number as a Decimal without float noise or needless trailing zeros (``100.0`` → ``100``)."""
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise PermanentError(f"Expected a number, got {value!r}") from None
    number = number.normalize()
    return number.quantize(Decimal(1)) if number.as_tuple().exponent > 0 else number


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _code(value: Any) -> str:
    """A numeric SAP code as text; -1 and empty mean "none"."""
    return "" if value in (None, "", -1) else str(value)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


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


def _not_sent(exc: requests.RequestException) -> bool:
    """Whether the request certainly never reached the server (no connection could be made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, NameResolutionError, ConnectTimeoutError))


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
        }
    )

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        options = self.settings
        base_url = options.get("base_url")
        if not base_url or not isinstance(base_url, str):
            raise ImproperlyConfigured("SAP B1 adapter: settings need 'base_url', the Service Layer's …/b1s/v1/ URL.")
        base_url = base_url if base_url.endswith("/") else base_url + "/"
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ImproperlyConfigured(f"SAP B1 adapter: 'base_url' must be an http(s) URL, got {base_url!r}.")
        if not parts.path.endswith("/b1s/v1/"):
            raise ImproperlyConfigured(
                f"SAP B1 adapter: 'base_url' must end with /b1s/v1/ (the v1 Service Layer), got {base_url!r}."
            )
        self.base_url = base_url
        self.company_db = options.get("company_db")
        if not self.company_db or not isinstance(self.company_db, str):
            raise ImproperlyConfigured("SAP B1 adapter: settings need 'company_db', the company database name.")
        self.verify_tls = options.get("verify_tls", True)
        if not isinstance(self.verify_tls, bool):
            raise ImproperlyConfigured(f"SAP B1 adapter: 'verify_tls' must be true or false, got {self.verify_tls!r}.")
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
        value = self.settings.get(name, default)
        valid = isinstance(value, (int, float)) and not isinstance(value, bool)
        valid = valid and (value >= 0 if zero else value > 0) and (not whole or float(value).is_integer())
        if not valid:
            kind = "whole number" if whole else "number"
            raise ImproperlyConfigured(f"SAP B1 adapter: {name!r} must be a positive {kind}, got {value!r}.")
        return value

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
            if _not_sent(exc):
                raise RetryableError(f"SAP B1 is not reachable ({method} {where}): {exc}") from exc
            if write:
                raise OutcomeUnknownError(
                    f"SAP B1 did not answer {method} {where}; it may have applied it: {type(exc).__name__}"
                ) from exc
            raise RetryableError(f"SAP B1 did not answer {method} {where}: {type(exc).__name__}") from exc

    def _error(self, response: requests.Response, *, write: bool) -> ErpError:
        status = response.status_code
        code, message = _error_of(response)
        text = f"SAP B1 answered {status}" + (f" ({code})" if code else "") + (f": {message}" if message else "")
        details = {"status": status}
        if status == 429:
            return RetryableError(text, retry_after=_retry_after(response), code=code, details=details)
        if status >= 500 or status in (408, 409, 412, 423):
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
        """A request with the session, re-login once on an expired session, and errors mapped. ``path`` is
        relative to the base URL (a nextLink fits as it is)."""
        url = urljoin(self.base_url, path)
        if query:
            url += ("&" if "?" in url else "?") + "&".join(f"{k}={quote(v, safe=QUERY_SAFE)}" for k, v in query.items())
        for attempt in (1, 2):
            generation = self._session()
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

    def delta_filter(self, since: datetime) -> str:
        """Rows changed at or after ``since`` (less the overlap) on the company's clock. Date and time are separate
        columns, so a later day counts whatever its time of day."""
        local = since if since.tzinfo is None else since.astimezone(self.zone).replace(tzinfo=None)
        local -= self.delta_overlap
        day, clock = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        return f"UpdateDate gt '{day}' or (UpdateDate eq '{day}' and UpdateTime ge '{clock}')"

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

    def _read_product(self, since: datetime | None, started: datetime) -> Iterator[ErpProduct]:
        rows = self._items(ITEM_FIELDS, since)
        return (
            ErpProduct(
                code=row["ItemCode"],
                name=_text(row.get("ItemName")),
                unit=_text(row.get("InventoryUOM") or row.get("SalesUnit")),
                name_en=_text(row.get("ForeignName")),
                tax_code=_text(row.get("SalesVATGroup")),
                barcode=_text(row.get("BarCode")),
                batch_managed=row.get("ManageBatchNumbers") == YES,
                active=row.get("Valid", YES) == YES and row.get("Frozen") != YES,
            )
            for row in rows
        )

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

    # --- orders --------------------------------------------------------------------------------------------

    def _find_order(self, reference: str) -> dict[str, Any] | None:
        query = {
            "$select": "DocEntry,DocNum,Cancelled,DocumentStatus",
            "$filter": f"NumAtCard eq {quote_literal(reference)}",
            "$orderby": "DocEntry",
        }
        rows = list(self._collection("Orders", query))
        # NumAtCard is not unique in SAP: prefer the live document when an old one was cancelled.
        live = [row for row in rows if row.get("Cancelled") != YES]
        return (live or rows or [None])[0]

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        row = self._find_order(reference)
        return None if row is None else _ack(reference, row)

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        existing = self._find_order(order.reference)
        if existing is not None:
            return _ack(order.reference, existing)
        lines = []
        for line in order.lines:
            row: dict[str, Any] = {
                "ItemCode": line.product_code,
                "Quantity": line.quantity,
                "UnitPrice": line.unit_price,
            }
            group = self.vat_groups.get(line.vat_rate.normalize())
            if group:
                row["VatGroup"] = group
            if self.order_warehouse:
                row["WarehouseCode"] = self.order_warehouse
            lines.append(row)
        body = {
            "CardCode": order.customer_code,
            "NumAtCard": order.reference,
            "DocDate": order.ordered_on.isoformat(),
            "DocDueDate": (order.requested_on or order.ordered_on).isoformat(),
            "DocumentLines": lines,
        }
        if order.note:
            body["Comments"] = order.note[:254]
        created = self._json(self._call("POST", "Orders", body=body, write=True))
        return _ack(order.reference, created)

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        if cancel.document_id:
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
        ack = ErpAck(cancel.reference, str(row["DocEntry"]), _text(row.get("DocNum")))
        if row.get("Cancelled") == YES:
            return ack  # cancelled before (a retry after an unanswered cancel): nothing left to do
        self._call("POST", f"Orders({int(row['DocEntry'])})/Cancel", write=True)
        return ack


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _ack(reference: str, row: Mapping[str, Any]) -> ErpOrderAck:
    if row.get("Cancelled") == YES:
        state = ErpOrderState.CANCELLED
    elif row.get("DocumentStatus") == "bost_Close":
        state = ErpOrderState.CLOSED
    else:
        state = ErpOrderState.OPEN
    return ErpOrderAck(reference, str(row["DocEntry"]), _text(row.get("DocNum")), state)


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
