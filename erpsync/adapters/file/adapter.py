"""The file adapter: the ERP exchanges CSV and XML files with the portal through drop folders.

Inbound, the ERP writes one file per export into ``{root}/inbound/{entity}/``; each file is one feed.
Outbound, the portal writes one XML document per order, cancellation, payment or credit memo into
``{root}/outbound/{kind}/`` and keeps a copy in ``{root}/outbound/sent/{kind}/``: the ERP's import job takes
files away from the first folder, the second is how the portal knows what it already handed over. The
exchange format is documented for integrators in ``docs/file-exchange.md``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

from erpsync.adapters.base import (
    Capability,
    ConnectionCheck,
    ErpAck,
    ErpAdapter,
    ErpCancel,
    ErpCreditMemo,
    ErpNewCustomer,
    ErpOrder,
    ErpOrderAck,
    ErpPayment,
    ErpQuote,
    ErpShipTo,
    Feed,
    FeedError,
    OutcomeUnknownError,
    RetryableError,
)
from erpsync.adapters.file.config import FileSettings
from erpsync.adapters.file.csvfeed import csv_line_digests, line_digests_supported, read_csv, read_csv_digested
from erpsync.adapters.file.feed import FileFeed
from erpsync.adapters.file.layout import ENTITIES, OUTBOUND_KINDS, Layout, write_atomic
from erpsync.adapters.file.media import media_feed
from erpsync.adapters.file.outbound import check_reference, render
from erpsync.adapters.file.scan import Scan, scan
from erpsync.adapters.file.schema import SCHEMAS
from erpsync.adapters.file.values import ValueFormat
from erpsync.adapters.file.xmlfeed import read_xml

logger = logging.getLogger(__name__)


class FileAdapter(ErpAdapter):
    """Drop-folder exchange. Settings: see ``erpsync.adapters.file.config``; refused with
    ``ImproperlyConfigured`` when the adapter is built."""

    key = "file"
    settings_class = FileSettings
    capabilities = frozenset(
        {
            Capability.UNITS,
            Capability.CATEGORIES,
            Capability.BRANDS,
            Capability.PRODUCTS,
            Capability.WAREHOUSES,
            Capability.STOCK,
            Capability.PRICE_LISTS,
            Capability.PRICES,
            Capability.CUSTOMER_PRICES,
            Capability.CUSTOMERS,
            Capability.BALANCES,
            Capability.CREDIT,
            Capability.ORDER_STATUS,
            Capability.DOCUMENTS,
            Capability.LEDGER,
            Capability.ORDER_PUSH,
            Capability.QUOTES,
            Capability.SHIP_TO,
            Capability.CUSTOMER_PUSH,
            Capability.ORDER_CANCEL,
            Capability.ORDER_LOOKUP,
            Capability.PAYMENT_PUSH,
            Capability.CREDIT_MEMO_PUSH,
            Capability.PRODUCT_MEDIA,
        }
    )

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        self.config = self.options
        self.layout = Layout(self.config.root)

    # --- checks ---

    def test_connection(self) -> ConnectionCheck:
        """OK when the root exists and the portal can write to it: creates missing folders of the layout and
        reports the files waiting per entity. Never raises for an unreachable root: it says so."""
        root = self.config.root
        if not root.is_dir():
            return ConnectionCheck(False, f"The drop folder {root} does not exist or is not a folder.")
        try:
            for folder in self.layout.all_dirs():
                folder.mkdir(parents=True, exist_ok=True)
            for folder in (self.layout.inbound, self.layout.outbound):
                # A dot-name the ERP ignores; removed on close.
                with tempfile.NamedTemporaryFile(dir=folder, prefix=".portal-probe-", suffix=".tmp") as probe:
                    probe.write(b"probe")
                    probe.flush()
            waiting = {entity: len(self.layout.waiting_files(entity)) for entity in ENTITIES}
            outbound = {kind: len(list(self.layout.outbound_dir(kind).glob("*.xml"))) for kind in OUTBOUND_KINDS}
        except OSError as exc:
            return ConnectionCheck(False, f"The drop folder {root} is not usable: {exc}", details={"root": str(root)})
        total = sum(waiting.values())
        return ConnectionCheck(
            True,
            f"The drop folder {root} is reachable and writable; {total} inbound file(s) waiting.",
            details={"root": str(root), "waiting": waiting, "outbound_waiting": outbound},
        )

    # --- reading ---

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        """One ``FileFeed`` per file waiting in ``inbound/{entity}/``, in name order. ``since`` and ``full``
        change nothing: files carry no delta cursor, and each file is read whole. Refuses an unknown entity with
        ``ValueError`` and an unreachable root with ``RetryableError``, both at call time. ``product_media`` is one
        feed of every file waiting in ``inbound/images/`` and ``inbound/documents/`` (``erpsync.adapters.file.media``).
        """
        if entity == "product_media":
            self._require_root()
            feed = media_feed(
                self.layout,
                image_max_bytes=django_settings.B2B_PRODUCT_IMAGE_MAX_BYTES,
                document_max_bytes=django_settings.B2B_PRODUCT_DOCUMENT_MAX_BYTES,
                complete=self.config.media_snapshot,
            )
            return iter([feed] if feed else [])
        if entity not in SCHEMAS:
            raise ValueError(f"The file adapter cannot read {entity!r}; it reads {', '.join(ENTITIES)}.")
        self._require_root()
        try:
            paths = self.layout.waiting_files(entity)
        except FileNotFoundError:
            paths = []
        except OSError as exc:
            raise RetryableError(f"Cannot list {self.layout.entity_dir(entity)}: {exc}") from exc
        return (feed for path in paths if (feed := self._feed(entity, path)) is not None)

    def _feed(self, entity: str, path: Path) -> FileFeed | None:
        options = self.config.entities[entity]
        common = {"entity": entity, "source": path.name, "complete": options.snapshot, "path": path}
        try:
            size = path.stat().st_size
            if size > self.config.max_file_bytes:
                error = FeedError(
                    f"the file has {size} bytes, more than the limit of {self.config.max_file_bytes}",
                    source=path.name,
                )
                return FileFeed(records=_failing(error), **common)
            found = scan(path, options.encoding, xml=path.suffix.lower() == ".xml")
        except FileNotFoundError:  # taken away since the listing
            return None
        except OSError as exc:
            return FileFeed(records=_failing(FeedError(f"cannot read the file: {exc}", source=path.name)), **common)
        feed = FileFeed(records=self._records(entity, path, found), digest=found.digest, **common)
        if path.suffix.lower() != ".xml" and line_digests_supported(found) and _newline_ended(path):
            feed.digests_reader = partial(self._line_digests, entity, path, found)
            feed.records_reader = partial(self._line_records, entity, path, found)
        return feed

    def _line_digests(self, entity: str, path: Path, found: Scan, salt: bytes) -> Iterator[int]:
        options = self.config.entities[entity]
        salt += self._format_salt(entity)
        try:
            yield from csv_line_digests(path, schema=SCHEMAS[entity], options=options, scan=found, salt=salt)
        except OSError as exc:
            raise FeedError(f"cannot read the file: {exc}", source=path.name) from exc

    def _line_records(
        self, entity: str, path: Path, found: Scan, salt: bytes, keep: bytearray | None
    ) -> Iterator[tuple[int, Any]]:
        options = self.config.entities[entity]
        fmt = ValueFormat(
            decimal_mark=options.decimal_mark or ",", date_formats=options.date_formats, zone=self.config.zone
        )
        try:
            yield from read_csv_digested(
                path,
                source=path.name,
                schema=SCHEMAS[entity],
                options=options,
                fmt=fmt,
                scan=found,
                salt=salt + self._format_salt(entity),
                keep=keep,
            )
        except OSError as exc:
            raise FeedError(f"cannot read the file: {exc}", source=path.name) from exc

    def _format_salt(self, entity: str) -> bytes:
        """How this connection reads the entity's files (delimiter, decimal mark, dates, zone, column names): part
        of every record's digest, so a change of reading rules reads every record again."""
        options = self.config.entities[entity]
        return repr(
            (
                options.delimiter,
                options.decimal_mark,
                tuple(options.date_formats),
                str(self.config.zone),
                sorted((key, options.header_for(key)) for key in SCHEMAS[entity].field_keys()),
            )
        ).encode()

    def _records(self, entity: str, path: Path, found: Scan) -> Iterator[Any]:
        options = self.config.entities[entity]
        xml = path.suffix.lower() == ".xml"
        fmt = ValueFormat(
            decimal_mark=options.decimal_mark or ("." if xml else ","),
            date_formats=options.date_formats,
            zone=self.config.zone,
        )
        schema = SCHEMAS[entity]
        try:
            if xml:
                yield from read_xml(
                    path, source=path.name, schema=schema, fmt=fmt, scan=found, max_depth=self.config.max_xml_depth
                )
            else:
                yield from read_csv(path, source=path.name, schema=schema, options=options, fmt=fmt, scan=found)
        except OSError as exc:
            raise FeedError(f"cannot read the file: {exc}", source=path.name) from exc

    # --- writing ---

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        """Writes ``outbound/orders/{reference}.xml`` unless the portal handed this reference over before (then
        nothing is written: the ERP must not get the order twice). Refuses an unsafe reference or a value XML
        cannot carry with ``PermanentError``; an unreachable or unwritable folder with ``RetryableError``;
        a failure after the document was handed over with ``OutcomeUnknownError``."""
        self._deliver("orders", order.reference, order)
        return self._order_ack(order.reference)

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        """The order's acknowledgement when the portal handed it over (ledger or still waiting in outbound)."""
        return self._order_ack(reference) if self._handed_over("orders", check_reference(reference)) else None

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        """Writes ``outbound/cancellations/{reference}.xml``, once per reference (see ``order_push``)."""
        self._deliver("cancellations", cancel.reference, cancel)
        return self._ack(cancel.reference)

    def quote_push(self, quote: ErpQuote) -> ErpOrderAck:
        """Writes ``outbound/quotes/{reference}.xml``, once per reference (see ``order_push``)."""
        self._deliver("quotes", quote.reference, quote)
        return self._order_ack(quote.reference)

    def quote_lookup(self, reference: str) -> ErpOrderAck | None:
        return self._order_ack(reference) if self._handed_over("quotes", check_reference(reference)) else None

    def quote_cancel(self, cancel: ErpCancel) -> ErpAck:
        """Writes ``outbound/quote_cancellations/{reference}.xml``, once per reference (see ``order_push``)."""
        self._deliver("quote_cancellations", cancel.reference, cancel)
        return self._ack(cancel.reference)

    def ship_to_push(self, ship_to: ErpShipTo) -> ErpAck:
        """Writes ``outbound/ship_tos/{reference}.xml``, once per reference (see ``order_push``). The reference is
        the address's code: the ERP files the address under it, and later orders name it."""
        self._deliver("ship_tos", ship_to.reference, ship_to)
        return ErpAck(reference=ship_to.reference, document_id=ship_to.reference)

    def ship_to_lookup(self, ship_to: ErpShipTo) -> ErpAck | None:
        if not self._handed_over("ship_tos", check_reference(ship_to.reference)):
            return None
        return ErpAck(reference=ship_to.reference, document_id=ship_to.reference)

    def customer_push(self, customer: ErpNewCustomer) -> ErpAck:
        """Writes ``outbound/customers/{code}.xml``, once per customer code (see ``order_push``): the ERP creates the
        account under that code, which the portal binds the dealer to (its customer file sends it back)."""
        self._deliver("customers", customer.code, customer)
        return ErpAck(reference=customer.reference, document_id=customer.code)

    def customer_lookup(self, code: str) -> ErpAck | None:
        if not self._handed_over("customers", check_reference(code)):
            return None
        return ErpAck(reference=code, document_id=code)

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        """Writes ``outbound/payments/{reference}.xml``, once per reference (see ``order_push``)."""
        self._deliver("payments", payment.reference, payment)
        return self._ack(payment.reference)

    def payment_lookup(self, reference: str) -> ErpAck | None:
        return self._ack(reference) if self._handed_over("payments", check_reference(reference)) else None

    def credit_memo_push(self, memo: ErpCreditMemo) -> ErpAck:
        """Writes ``outbound/credit_memos/{reference}.xml``, once per reference (see ``order_push``)."""
        self._deliver("credit_memos", memo.reference, memo)
        return self._ack(memo.reference)

    def credit_memo_lookup(self, reference: str) -> ErpAck | None:
        return self._ack(reference) if self._handed_over("credit_memos", check_reference(reference)) else None

    @staticmethod
    def _order_ack(reference: str) -> ErpOrderAck:
        return ErpOrderAck(reference=reference, document_id=f"file:{reference}")

    @staticmethod
    def _ack(reference: str) -> ErpAck:
        return ErpAck(reference=reference, document_id=f"file:{reference}")

    def _require_root(self) -> None:
        try:
            reachable = self.config.root.is_dir()
        except OSError:
            reachable = False
        if not reachable:
            raise RetryableError(
                f"The drop folder {self.config.root} is not reachable (missing, not a folder, or the share is not "
                "mounted)."
            )

    def _deliver(self, kind: str, reference: str, record: Any) -> None:
        check_reference(reference)
        data = render(kind, record)  # refuses bad content before anything touches the disk
        if self._handed_over(kind, reference):
            return
        final = self.layout.outbound_dir(kind) / f"{reference}.xml"
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(final, data)
        except OSError as exc:
            raise RetryableError(f"Cannot write {final}: {exc}") from exc
        # The ledger comes second: were it first, a crash in between would claim a document the ERP never got.
        ledger = self.layout.sent_dir(kind) / f"{reference}.xml"
        try:
            ledger.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(ledger, data)
        except OSError as exc:
            raise OutcomeUnknownError(
                f"Wrote {final} but could not record it in {ledger.parent}: {exc}. Look the reference up before "
                "sending again."
            ) from exc

    def _handed_over(self, kind: str, reference: str) -> bool:
        """Whether ``reference`` was handed to the ERP: in the ledger, or still in the outbound folder (then the
        ledger is completed, best effort). Raises ``RetryableError`` when the folders cannot be checked."""
        self._require_root()
        ledger = self.layout.sent_dir(kind) / f"{reference}.xml"
        final = self.layout.outbound_dir(kind) / f"{reference}.xml"
        try:
            if ledger.is_file():
                return True
            if not final.is_file():
                return False
            data = final.read_bytes()
        except FileNotFoundError:  # the ERP took the file between the two checks
            return ledger.is_file()
        except OSError as exc:
            raise RetryableError(f"Cannot check {ledger} and {final}: {exc}") from exc
        try:
            ledger.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(ledger, data)
        except OSError as exc:
            logger.warning("Found %s but could not record it in %s: %s", final, ledger.parent, exc)
        return True


def _newline_ended(path: Path) -> bool:
    """Whether the file's rows end in LF or CR LF (not a lone CR, which only the whole-file reader splits on)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    return head.count(b"\r") == head.count(b"\r\n")


def _failing(error: FeedError) -> Iterator[Any]:
    """Records that fail as soon as they are read: the engine rejects the feed and the file goes to error/."""
    raise error
    yield  # pragma: no cover - makes this a generator, so the error surfaces on reading, not on building
