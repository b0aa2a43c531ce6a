"""The profile adapters: every read a named, parametrised query the company's integrator writes into the connection's
profile (``erpsync.adapters.profile.settings``), every write a Nebim ``Post`` or an ETA order.

- ``NebimAdapter`` (key ``nebim``): Nebim V3 through its Integrator service; reads by ``RunProc``/``RunQuery``,
  writes by ``Post`` of a ``ModelType`` (order 5, cancel 34, collection 91/92/98). Before every order it runs the
  profile's ``order_lookup`` read for the portal's number, which it writes into ``reference_field``; a new dealer
  goes as a customer (``ModelType`` 2) once the ``customer_lookup`` read has not found its code.
- ``EtaAdapter`` (key ``eta``): ETA:SQL (or any ERP whose database the portal may read) by SQL statements, run
  read-only through ``erpsync.sqlchecks``; orders go as files for ETA's transfer module (``mode`` ``file``, the
  default) or into ``SIPFIS``/``SIPHAR`` in one transaction (``mode`` ``sql``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import (
    Capability,
    ConnectionCheck,
    ErpAck,
    ErpAdapter,
    ErpCancel,
    ErpDocumentLine,
    ErpError,
    ErpNewCustomer,
    ErpOrder,
    ErpOrderAck,
    ErpOrderState,
    ErpPayment,
    Feed,
    FeedError,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.file.outbound import SAFE_REFERENCE, check_reference
from erpsync.adapters.file.writer import drop
from erpsync.adapters.profile import etafile
from erpsync.adapters.profile.columns import RECORDS, column_problems, columns, has_lines, to_line, to_record
from erpsync.adapters.profile.nebim import NebimClient
from erpsync.adapters.profile.settings import SINCE, ProfileSettings, delta_reads
from erpsync.sqlchecks import StatementRefused, bind
from erpsync.sqlchecks.drivers import DatabaseFailed, run, run_in_transaction

logger = logging.getLogger(__name__)

READ_CAPABILITIES = {entity: ErpAdapter.readable[entity] for entity in RECORDS if entity in ErpAdapter.readable}


@dataclass(frozen=True)
class ReadTest:
    """What "test this read" shows: the columns the read returned, its first rows, and what is wrong with them."""

    read: str
    columns: list[str]
    rows: list[dict[str, Any]]
    problems: list[str]


class ProfileAdapter(ErpAdapter):
    """What both transports share: the profile, the reads by name, the records built from the contract's columns."""

    settings_class = ProfileSettings
    transport: ClassVar[str] = ""
    write_capabilities: ClassVar[Mapping[str, frozenset[Capability]]] = {}

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        self.profile = self.options.profile
        if self.profile["transport"] != self.transport:
            raise ImproperlyConfigured(
                f"{self.key} adapter: the profile's transport is {self.profile['transport']!r}, not {self.transport!r}."
            )
        self.reads: dict[str, dict[str, Any]] = dict(self.profile.get("reads", {}))
        self.writes: dict[str, dict[str, Any]] = dict(self.profile.get("writes", {}))
        # The reads that take the delta's start; with none, every import reads in full.
        self.delta_reads = delta_reads(self.profile) & set(READ_CAPABILITIES)
        self.zone = self.options.timezone

    @classmethod
    def connection_capabilities(cls, common, options) -> frozenset[Capability]:
        """What this connection's profile can do: a read or a write the profile does not name is never asked for
        (a Nebim profile without a ``customer`` write creates no customer accounts); changes-only reads when a read
        binds ``:since``."""
        profile = options.profile
        caps = {READ_CAPABILITIES[e] for e in profile.get("reads", {}) if e in READ_CAPABILITIES}
        for write in profile.get("writes", {}):
            caps |= cls.write_capabilities.get(write, frozenset())
        if delta_reads(profile) & set(READ_CAPABILITIES):
            caps.add(Capability.DELTA)
        return frozenset(caps) & cls.capabilities

    def can_read(self, entity: str) -> bool:
        return entity in self.reads and entity in READ_CAPABILITIES

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        readable = [e for e in READ_CAPABILITIES if e in self.reads]
        if entity not in ErpAdapter.readable or entity not in readable:
            self.refuse_unreadable(entity, readable, who=self.key)
        started = datetime.now(UTC)
        delta = since is not None and not full and entity in self.delta_reads
        source = f"{self.key}:{entity}" + (f"?since={since.isoformat()}" if delta else "")
        rows = self.rows(entity, {"since": self.server_time(since) if delta else None})
        # The watermark is when the read started (the portal's clock): a row changed while it ran is read again
        # by the next delta, and the engine's overlap covers the ERP's clock and its late commits.
        yield Feed(
            entity=entity,
            source=source,
            records=_records(entity, rows, source),
            complete=not delta,
            watermark=started,
        )

    def server_time(self, moment: datetime) -> datetime:
        """``moment`` as the ERP server's wall clock (no zone): how its ``LastUpdatedDate`` columns hold it."""
        if moment.tzinfo is None:
            return moment
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def rows(self, read: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The read's rows as contract column name → value; a required column the answer lacks is refused, named."""
        raw, names = self._run(read, self.reads[read], parameters)
        problems = [p for p in column_problems(read, names) if p.startswith("missing")]
        if problems and raw:
            raise PermanentError(f"{self.key} profile: read {read!r} {'; '.join(problems)}.")
        return raw

    def test_read(self, read: str, *, limit: int = 5) -> ReadTest:
        """Run one read of the profile and say what it gave: "test this read" in the admin."""
        if read not in self.reads:
            return ReadTest(read, [], [], [f"the profile has no read {read!r}."])
        parameters = {"since": None, "reference": "B2B-TEST-0"}
        try:
            rows, names = self._run(read, self.reads[read], parameters)
        except (ErpError, ImproperlyConfigured) as exc:
            return ReadTest(read, [], [], [str(exc)])
        return ReadTest(read, names, rows[:limit], column_problems(read, names))

    def test_reads(self) -> list[ReadTest]:
        """``test_read`` of every read of the profile, in the profile's order."""
        return [self.test_read(read) for read in self.reads]

    def _run(self, read: str, spec: Mapping[str, Any], parameters: Mapping[str, Any]):
        raise NotImplementedError

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        rows = self.rows("order_lookup", {"reference": reference})
        mine = [row for row in rows if str(row.get("reference") or "").strip() == reference]
        if not mine:
            return None
        row = mine[0]
        state = row.get("state")
        return ErpOrderAck(
            reference=reference,
            document_id=str(row["document_id"]).strip(),
            document_number=str(row.get("document_number") or "").strip(),
            state=ErpOrderState(str(state).strip().lower()) if state else ErpOrderState.OPEN,
        )

    def test_connection(self) -> ConnectionCheck:
        try:
            detail = self._check()
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"{self.key}: not usable: {exc}")
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("profile connection check failed")
            return ConnectionCheck(False, f"{self.key} check failed: {type(exc).__name__}: {exc}")
        return ConnectionCheck(True, f"{self.key}: connected ({detail}); {len(self.reads)} reads in the profile.")

    def _check(self) -> str:
        raise NotImplementedError


class NebimAdapter(ProfileAdapter):
    """Nebim V3 through the Integrator. Not built: credit memos sent to Nebim, quotes."""

    key = "nebim"
    transport = "nebim"
    capabilities = frozenset(READ_CAPABILITIES.values()) | {
        Capability.DELTA,
        Capability.ORDER_PUSH,
        Capability.ORDER_LOOKUP,
        Capability.ORDER_CANCEL,
        Capability.PAYMENT_PUSH,
        Capability.CUSTOMER_PUSH,
    }
    write_capabilities = {
        "order": frozenset({Capability.ORDER_PUSH, Capability.ORDER_LOOKUP}),
        "cancel": frozenset({Capability.ORDER_CANCEL}),
        "payment": frozenset({Capability.PAYMENT_PUSH}),
        "customer": frozenset({Capability.CUSTOMER_PUSH}),
    }
    outbox_concurrency = 1

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        o = self.options
        self.reference_field = o.reference_field
        self.office_code, self.warehouse_code = o.office_code, o.warehouse_code
        self.client = NebimClient(
            base_url=o.base_url,
            mode=o.session_mode,
            placement=o.token_placement,
            database=o.database_name,
            user_group=o.user_group_code,
            user=self.credentials.get("username", ""),
            password=self.credentials.get("password", ""),
            timeout=o.timeout_seconds,
            page_size=o.page_size,
        )

    def close(self) -> None:
        self.client.disconnect()

    def _check(self) -> str:
        info = self.client.connect()
        return f"user {info.get('UserName')} of {info.get('DatabaseName') or '?'}"

    def _run(self, read, spec, parameters):
        if "proc" in spec:
            values = {name: _parameter(value, parameters) for name, value in spec.get("parameters", {}).items()}
            raw = self.client.run_proc(spec["proc"], values)
        else:
            criteria = spec.get("criteria", "")
            if ":reference" in criteria:  # a code, quoted as Nebim's criteria text wants it
                criteria = criteria.replace(":reference", _quoted(str(parameters["reference"])))
            since = parameters.get("since")
            if since is not None and spec.get("delta_criteria"):  # changes only: the read's own condition, added
                condition = SINCE.sub(_quoted(_parameter(":since", parameters)), spec["delta_criteria"])
                criteria = f"({criteria}) AND ({condition})" if criteria.strip() else condition
            raw = self.client.run_query(spec["query"], criteria)
        mapping = spec["columns"]
        present = set().union(*(row.keys() for row in raw)) if raw else set(mapping.values())
        names = [contract for contract, site in mapping.items() if site in present]
        return [{contract: row.get(site) for contract, site in mapping.items()} for row in raw], names

    # --- writes ---
    def _fields(self, write: str) -> dict[str, Any]:
        spec = self.writes.get(write)
        if spec is None:
            raise PermanentError(f"nebim profile has no {write!r} write.")
        return dict(spec.get("fields", {}))

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        fields = self._fields("order")
        limit = 30 if self.reference_field == "DocumentNumber" else 200
        if not order.reference or len(order.reference) > limit:
            raise PermanentError(f"Reference {order.reference!r} does not fit Nebim's {self.reference_field}.")
        found = self.order_lookup(order.reference)
        if found is not None:
            return found
        model = {
            "ModelType": self.writes["order"]["model_type"],
            "CustomerCode": order.customer_code,
            "OfficeCode": self.office_code,
            "WarehouseCode": self.warehouse_code,
            "OrderDate": order.ordered_on.isoformat(),
            "IsCompleted": True,
            "IsSalesViaInternet": True,
            "DocumentNumber": order.po_number[:30],
            "Description": (order.note or "")[:200],
            "Lines": [
                {
                    "ItemCode": line.product_code,
                    "Qty1": line.quantity,
                    "PriceVI": (line.unit_price * (1 + line.vat_rate / 100)).quantize(Decimal("0.0001")),
                    "LDisRate1": line.discount_percent,
                    "LineDescription": line.description[:200],
                }
                for line in order.lines
            ],
            **fields,
        }
        model[self.reference_field] = order.reference
        answer = self.client.post(model)
        number = str(answer.get("OrderNumber") or "")
        if not number:  # saved but its number not said: the look-up says what Nebim holds
            found = self.order_lookup(order.reference)
            if found is None:
                raise RetryableError(f"Nebim saved order {order.reference} without a number the look-up finds.")
            return found
        return ErpOrderAck(order.reference, number, number)

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        fields = self._fields("cancel")
        rows = [
            r
            for r in self.rows("order_lookup", {"reference": cancel.reference})
            if str(r.get("reference") or "").strip() == cancel.reference
        ]
        if not rows:
            raise PermanentError(f"Nebim holds no order {cancel.reference}; nothing to cancel.")
        number = str(rows[0]["document_id"]).strip()
        if all(str(r.get("state") or "").lower() == ErpOrderState.CANCELLED for r in rows):
            return ErpAck(cancel.reference, number, number)
        lines = [
            {"LineID": r["line_id"], "Qty1": r.get("quantity"), **fields.get("Line", {})}
            for r in rows
            if r.get("line_id")
        ]
        if not lines:
            raise PermanentError("the profile's order_lookup read gives no line_id: Nebim cancels order lines.")
        model = {"ModelType": self.writes["cancel"]["model_type"], "OrderNumber": number, "Lines": lines}
        model.update({k: v for k, v in fields.items() if k != "Line"})
        self.client.post(model)
        return ErpAck(cancel.reference, number, number)

    def payment_lookup(self, reference: str) -> ErpAck | None:
        rows = [
            r
            for r in self.rows("payment_lookup", {"reference": reference})
            if str(r.get("reference") or "").strip() == reference
        ]
        if not rows:
            return None
        return ErpAck(reference, str(rows[0]["document_id"]).strip(), str(rows[0].get("document_number") or "").strip())

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        fields = self._fields("payment")
        found = self.payment_lookup(payment.reference)
        if found is not None:
            return found
        model_type = self.writes["payment"]["model_type"]
        line_fields = fields.pop("Line", {})
        day = payment.received_on.isoformat()
        if model_type == 91:
            model = {
                "CurrAccCode": payment.customer_code,
                "CurrAccTypeCode": 3,
                "PaymentDate": day,
                "DocCurrencyCode": payment.currency,
                "Lines": [{"Amount": payment.amount, **line_fields}],
            }
        elif model_type == 92:
            model = {
                "CurrAccCode": payment.customer_code,
                "CurrAccTypeCode": 3,
                "DocumentDate": day,
                "Lines": [{"CreditAmount": payment.amount, "DebitAmount": 0, "DueDate": day, **line_fields}],
            }
        else:
            model = {
                "DocumentDate": day,
                "Lines": [
                    {
                        "CurrAccTypeCode": 3,
                        "CurrAccCode": payment.customer_code,
                        "Amount": payment.amount,
                        **line_fields,
                    }
                ],
            }
        model.update(
            {"ModelType": model_type, "OfficeCode": self.office_code, "Description": payment.reference, **fields}
        )
        answer = self.client.post(model)
        number = str(answer.get("DocumentNumber") or answer.get("RefNumber") or "")
        if not number:
            found = self.payment_lookup(payment.reference)
            if found is None:
                raise RetryableError(f"Nebim saved collection {payment.reference} without a number the look-up finds.")
            return found
        return ErpAck(payment.reference, number, number)

    # --- new customers (ModelType 2) ---
    def customer_lookup(self, code: str) -> ErpAck | None:
        """The customer with ``CurrAccCode`` = ``code``, by the profile's ``customer_lookup`` read (blocked ones
        too: they exist)."""
        if "customer_lookup" not in self.reads:
            raise PermanentError("nebim profile has no 'customer_lookup' read.")
        for row in self.rows("customer_lookup", {"reference": code}):
            if str(row.get("code") or "").strip() == code:
                return ErpAck(code, code)
        return None

    def customer_push(self, customer: ErpNewCustomer) -> ErpAck:
        """A wholesale customer (``Post`` of ``ModelType`` 2, the fields of Nebim's ``Toptan Müşteri_2`` sample) under
        the dealer's code, after the ``customer_lookup`` read found none. V3 updates a customer posted again under a
        code it holds, so the look-up first is what keeps an account staff keyed in from being overwritten."""
        fields = self._fields("customer")
        code = customer.code.strip()
        if not code or len(code) > 30:
            raise PermanentError(f"Customer code {code!r} does not fit Nebim's CurrAccCode (1 to 30 characters).")
        found = self.customer_lookup(code)
        if found is not None:
            return ErpAck(customer.reference, found.document_id)
        answer = self.client.post(self._customer_model(customer, code, fields))
        made = str(answer.get("CurrAccCode") or "").strip()
        if made:
            return ErpAck(customer.reference, made)
        found = self.customer_lookup(code)  # saved, its code not said: the look-up says what V3 holds
        if found is None:
            raise RetryableError(f"Nebim saved customer {code} without a code the look-up finds.")
        return ErpAck(customer.reference, found.document_id)

    def _customer_model(self, customer: ErpNewCustomer, code: str, fields: dict[str, Any]) -> dict[str, Any]:
        tax = customer.tax_number.strip()
        office = customer.tax_office.strip()
        model: dict[str, Any] = {
            "ModelType": self.writes["customer"]["model_type"],
            "CurrAccCode": code,
            "CurrAccDescription": customer.title.strip()[:100],
            "OfficeCode": self.office_code,
            "CurrencyCode": customer.currency,
            "CustomerTypeCode": 0,  # wholesale
            "TaxNumber": tax[:20],
        }
        if len(tax) == 11 and tax.isdigit():  # a TC identity number: a sole proprietor
            model["IdentityNum"] = tax
        if office.isdigit() and len(office) <= 10:  # V3 takes a tax office by its code only
            model["TaxOfficeCode"] = office
        address = customer.address
        address_fields = fields.pop("PostalAddress", {})
        if address is not None:
            place = " ".join(p for p in (address.postal_code, address.district, address.city) if p)
            text = ", ".join(p for p in (address.line1, address.line2, place) if p)
            postal = {"AddressTypeCode": "2", "CountryCode": address.country or "TR", "Address": text[:200]}
            model["PostalAddresses"] = [{**postal, **address_fields}]
        phone = customer.phone or (address.phone if address is not None else "")
        communications = [
            {"CommunicationTypeCode": kind, "CommAddress": value[:60]}
            for kind, value in ((3, customer.email.strip()), (1, phone.strip()))
            if value
        ]
        if communications:
            model["Communications"] = communications
        model.update(fields)
        return model


def _records(entity: str, rows: list[dict[str, Any]], source: str) -> list[Any]:
    """The rows as records; a value that cannot be read refuses the feed (nothing of it applied), naming the row.
    A document read returning lines gives one document per ``number``, its lines from its rows in their order."""
    records = []
    lines: dict[str, list[ErpDocumentLine]] = {}
    with_lines = bool(rows) and has_lines(entity, rows[0])
    for number, row in enumerate(rows, start=1):
        try:
            record = to_record(entity, row, source=source)
            line = to_line(row, source=source) if with_lines else None
        except PermanentError as exc:
            raise FeedError(f"row {number}: {exc}", source=source, line=number) from None
        if not with_lines:
            records.append(record)
            continue
        if record.number not in lines:
            lines[record.number] = []
            records.append(record)
        if line is not None:
            lines[record.number].append(line)
    if with_lines:
        records = [dataclasses.replace(r, lines=tuple(lines[r.number])) for r in records]
    return records


def _quoted(text: str) -> str:
    """A value as a literal of Nebim's criteria text."""
    return "'" + text.replace("'", "''") + "'"


def _parameter(value: str, parameters: Mapping[str, Any]) -> str:
    """A procedure parameter's value: a text as is, ``:since``/``:reference`` the call's value (every value is a
    string to Nebim; no date is an empty string)."""
    if not value.startswith(":"):
        return value
    given = parameters.get(value[1:])
    if given is None:
        return ""
    return given.strftime("%Y-%m-%d %H:%M:%S") if isinstance(given, datetime) else str(given)


class EtaAdapter(ProfileAdapter):
    """ETA:SQL by statements on its SQL Server database (read-only), orders as transfer files or into SIPFIS/SIPHAR.
    The table layout is reverse-engineered by third parties (unverified; docs/profile-adapter.md)."""

    key = "eta"
    transport = "sql"
    capabilities = frozenset(READ_CAPABILITIES.values()) | {
        Capability.DELTA,
        Capability.ORDER_PUSH,
        Capability.ORDER_LOOKUP,
    }
    write_capabilities = {"order": frozenset({Capability.ORDER_PUSH, Capability.ORDER_LOOKUP})}

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        self.url = self.credentials.get("sql_url", "")
        self.dialect = self.profile["dialect"]
        self.timeout_ms = int(self.settings.get("sql_timeout_ms", 2000))
        self.write_timeout_ms = self.options.sql_write_timeout_ms
        self.order_mode = self.writes.get("order", {}).get("mode", "file")
        self.outbound = Path(self.options.outbound_folder) if self.options.outbound_folder else None

    def _check(self) -> str:
        if not self.url:
            raise ImproperlyConfigured("no database URL: set <REF>_SQL_URL.")
        try:
            run(self.url, "SELECT 1", [], timeout_ms=self.timeout_ms)
        except DatabaseFailed as exc:
            raise RetryableError(f"the database cannot be read: {exc}") from None
        return f"{self.dialect} database reached"

    def _run(self, read, spec, parameters):
        if not self.url:
            raise ImproperlyConfigured("eta adapter: no database URL (<REF>_SQL_URL).")
        try:
            sql, args = bind(spec["sql"], self.dialect, parameters)
            result = run(self.url, sql, args, timeout_ms=self.timeout_ms)
        except StatementRefused as exc:
            raise PermanentError(f"eta profile: read {read!r}: {exc}") from None
        except DatabaseFailed as exc:
            raise RetryableError(f"eta: read {read!r} failed: {exc}") from None
        return [dict(zip(result.columns, row, strict=True)) for row in result.rows], result.columns

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        found = super().order_lookup(reference)
        waiting = self.order_mode == "file" and self.outbound is not None and SAFE_REFERENCE.fullmatch(reference)
        if found is None and waiting and (self.outbound / etafile.file_name(reference)).exists():
            return ErpOrderAck(reference, reference, "")  # handed over, not imported by ETA yet
        return found

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        check_reference(order.reference)
        found = self.order_lookup(order.reference)
        if found is not None:
            return found
        if self.order_mode == "file":
            if self.outbound is None:
                raise ImproperlyConfigured("eta adapter: outbound_folder is not set.")
            drop(self.outbound, etafile.file_name(order.reference), etafile.render(order))
            return ErpOrderAck(order.reference, order.reference, "")
        return self._order_into_tables(order)

    def _order_into_tables(self, order: ErpOrder) -> ErpOrderAck:
        spec = self.writes["order"]
        header = etafile.header_values(order)
        try:
            number = run_in_transaction(
                self.url,
                self.dialect,
                spec["number"],
                spec["header"],
                spec["line"],
                header,
                [etafile.line_values(order, line) for line in order.lines],
                timeout_ms=self.write_timeout_ms,
            )
        except StatementRefused as exc:
            raise PermanentError(f"eta profile: order write: {exc}") from None
        except DatabaseFailed as exc:  # one transaction: nothing stays when it fails
            raise RetryableError(f"eta: the order could not be written: {exc}") from None
        return ErpOrderAck(order.reference, order.reference, str(number))


__all__ = ["EtaAdapter", "NebimAdapter", "ProfileAdapter", "ReadTest", "columns"]
