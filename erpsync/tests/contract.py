"""The contract every ERP adapter passes against its simulator.

An adapter's test module subclasses ``AdapterContract`` and provides an ``erp`` fixture returning its own
``ErpSide``: the ERP's end of a connection, which the test controls (a drop folder, a local HTTP simulator, a
scratch database). Nothing else is adapter-specific::

    class TestSapB1Contract(AdapterContract):
        @pytest.fixture
        def erp(self, tmp_path):
            return SapB1ErpSide(tmp_path)

This module is not collected by itself (its name does not start with ``test_``); register it for assertion
rewriting in the module that imports it (``pytest.register_assert_rewrite``).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from catalog.tests.media_files import MINIMAL_PDF, image_bytes
from erpsync.adapters.base import (
    Capability,
    DocumentKind,
    ErpAck,
    ErpAdapter,
    ErpAddress,
    ErpBalance,
    ErpBrand,
    ErpCancel,
    ErpCategory,
    ErpCredit,
    ErpCreditMemo,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpLedgerEntry,
    ErpNewCustomer,
    ErpOpenOrder,
    ErpOrder,
    ErpOrderAck,
    ErpOrderLine,
    ErpOrderState,
    ErpOrderStatus,
    ErpPayment,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductMedia,
    ErpProductUnit,
    ErpQuote,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    Feed,
    MediaKind,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)

UNAVAILABLE = "unavailable"
TIMEOUT_AFTER_APPLY = "timeout_after_apply"
# The ERP creates a customer account but the answer never arrives (``Capability.CUSTOMER_PUSH``).
CUSTOMER_TIMEOUT_AFTER_APPLY = "customer_timeout_after_apply"
ISTANBUL = timezone(timedelta(hours=3))
STAMP = datetime(2026, 3, 1, 14, 30, tzinfo=ISTANBUL)


def canonical(value: Decimal | None) -> Decimal | None:
    """A Decimal without trailing zeros, so ``1250.50`` and ``1250.5`` also sort alike."""
    if value is None:
        return None
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


class ErpSide(abc.ABC):
    """The ERP's end of a connection in tests: a simulator the test controls and the adapter talks to.

    Records are published in the simulator's native form (files for the file adapter, rows or service
    entities for others). A subclass implements the abstract methods; the others have defaults it may
    override (which failures it can simulate, how records are normalised before comparing)."""

    failures: ClassVar[frozenset[str]] = frozenset({UNAVAILABLE})

    @abc.abstractmethod
    def make_adapter(self) -> ErpAdapter:
        """A fresh adapter connected to this side."""

    @abc.abstractmethod
    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        """The ERP exports ``records`` of ``entity`` (a full snapshot when ``complete``)."""

    @abc.abstractmethod
    def received(self, kind: str) -> list[str]:
        """References of the documents of ``kind`` ("orders", "cancellations", "payments", "credit_memos", "quotes",
        "quote_cancellations") the ERP holds, one entry per document: a reference listed twice means a duplicate.
        For "customers": the codes of the customer accounts the portal created (not those the side keyed in)."""

    @abc.abstractmethod
    def consume(self) -> None:
        """The ERP imports what the portal sent, as its own import job would (files are taken away…)."""

    def simulate(self, failure: str) -> None:
        """From now on, behave as ``failure`` says: "unavailable" (the ERP cannot be reached at all),
        "timeout_after_apply" (the ERP applies a write but the answer never arrives)."""
        raise NotImplementedError(failure)

    def supports_failure(self, failure: str) -> bool:
        return failure in self.failures

    def received_orders(self) -> list[str]:
        return self.received("orders")

    def expected_complete(self, entity: str) -> bool:
        """Whether a full read of ``entity`` comes back as a complete snapshot from this side."""
        return True

    def normalise(self, entity: str, record: Any) -> Any:
        """``record`` as this ERP can carry it (drop fields it does not store, round to its precision), so
        published and read records compare equal. Identity by default."""
        return record

    def samples(self, entity: str) -> list[Any]:
        """Records of ``entity`` to publish; Turkish letters, decimals and nested records included."""
        return list(SAMPLES[entity])

    def sample_write(self, kind: str) -> Any:
        """The payment or credit memo to push for ``kind`` ("payments", "credit_memos"); an ERP whose credit memos
        must name one of its own invoices sets that invoice up here."""
        return sample_payment() if kind == "payments" else sample_credit_memo()

    def sample_customer(self) -> ErpNewCustomer:
        """The new customer account to create (``Capability.CUSTOMER_PUSH``)."""
        return sample_new_customer()

    def sample_quote(self) -> ErpQuote:
        """The quote to push (``Capability.QUOTES``)."""
        return sample_quote()

    def invalid_order(self) -> ErpOrder:
        """An order this ERP refuses permanently (by default: a reference no ERP can key on)."""
        return dataclasses.replace(sample_order(), reference="../../etc/passwd")

    def publish_open_orders(self) -> tuple[set[str], set[str]]:
        """Key in orders carrying references (as the ERP's own users would): some left open, others cancelled or
        closed. Returns (references of the open ones, references of the others). A side that cannot raises
        NotImplementedError and the test is skipped."""
        raise NotImplementedError


def sample_order(reference: str = "B2B-2026-000123") -> ErpOrder:
    line = ErpOrderLine(
        line_no=1,
        product_code="ÇAY-001",
        quantity=Decimal("12"),
        unit="KOLI",
        unit_price=Decimal("1250.50"),
        vat_rate=Decimal("20"),
        description="Çaykur Rize Turist ığüşöç",
    )
    return ErpOrder(
        reference=reference,
        customer_code="120.01.001",
        ordered_on=date(2026, 3, 1),
        currency="TRY",
        payment_method="open_account",
        lines=(line, dataclasses.replace(line, line_no=2, quantity=Decimal("1.5"), unit="KG")),
        net=Decimal("16881.75"),
        vat=Decimal("3376.35"),
        gross=Decimal("20258.10"),
        po_number="PO-77",
        requested_on=date(2026, 3, 5),
        delivery_address="Atatürk Cad. No:1 Şişli İstanbul",
        note="Kapıda teslim",
    )


def sample_quote(reference: str = "Q2026-000123-2") -> ErpQuote:
    """A quote's second version, on the contract's order lines at quoted prices."""
    order = sample_order()
    return ErpQuote(
        reference=reference,
        customer_code=order.customer_code,
        quoted_on=date(2026, 3, 1),
        valid_until=date(2026, 3, 15),
        currency="TRY",
        lines=order.lines,
        net=order.net,
        vat=order.vat,
        gross=order.gross,
        terms="Teslim 5 iş günü, vade 30 gün",
        note="Şantiye için özel fiyat",
    )


def sample_new_customer(code: str = "120.01.900") -> ErpNewCustomer:
    """A dealer registered in the portal: Turkish letters in the title and address, a TCKN-length tax number."""
    return ErpNewCustomer(
        reference="dealer:900",
        code=code,
        title="Şahin Yapı Malzemeleri İnş. San. ve Tic. Ltd. Şti.",
        tax_number="12345678950",
        tax_office="Çankaya",
        email="muhasebe@sahinyapi.example",
        phone="+90 312 000 00 00",
        currency="TRY",
        address=ErpAddress(
            code="",
            name="Merkez",
            line1="Gazi Mustafa Kemal Blv. No:12/3",
            city="Ankara",
            kind="billing",
            district="Çankaya",
            postal_code="06570",
            phone="+90 312 000 00 00",
            is_default=True,
        ),
    )


def sample_payment(reference: str = "PAY-2026-0001") -> ErpPayment:
    return ErpPayment(
        reference=reference,
        customer_code="120.01.001",
        amount=Decimal("5000.00"),
        currency="TRY",
        received_on=date(2026, 3, 2),
        method="card",
        description="Sanal POS tahsilatı",
        order_reference="B2B-2026-000123",
    )


def sample_credit_memo(reference: str = "CM-2026-0001") -> ErpCreditMemo:
    return ErpCreditMemo(
        reference=reference,
        customer_code="120.01.001",
        amount=Decimal("250.75"),
        currency="TRY",
        issued_on=date(2026, 3, 3),
        invoice_number="GIB2026000000042",
        reason="Hasarlı ürün iadesi",
    )


_ADDRESS = ErpAddress(
    code="MERKEZ",
    name="Merkez Ofis",
    line1="Büyükdere Cad. No:1",
    city="İstanbul",
    kind="billing",
    district="Şişli",
    postal_code="34394",
    phone="+90 212 000 00 00",
    is_default=True,
)

SAMPLES: dict[str, tuple[Any, ...]] = {
    "unit": (ErpUnit("AD", "Adet", "Piece"), ErpUnit("KG", "Kilogram", "Kilogram", decimals=3)),
    "category": (
        ErpCategory("GIDA", "Gıda"),
        ErpCategory("ICECEK", "İçecek", "Beverages", parent_code="GIDA", active=False),
    ),
    "brand": (ErpBrand("CAYKUR", "Çaykur"), ErpBrand("ULKER", "Ülker")),
    "product": (
        ErpProduct(
            code="ÇAY-001",
            name="Rize Turist Çayı 1 kg ğüşıöç ĞÜŞİÖÇ",
            unit="AD",
            name_en="Rize tea",
            vat_rate=Decimal("20"),
            tax_code="KDV20",
            barcode="8690000000005",
            category_code="ICECEK",
            brand_code="CAYKUR",
            description='Siyah çay; "özel" harman',
            min_order_qty=Decimal("1.5"),
            order_multiple=Decimal("0.250"),
            batch_managed=True,
            units=(
                ErpProductUnit("KOLI", Decimal("12"), "8690000000012"),
                ErpProductUnit("PAKET", Decimal("6"), sellable=False),
            ),
            updated_at=STAMP,
        ),
        ErpProduct(code="BISK-9", name="Bisküvi", unit="KG", active=False),
    ),
    "warehouse": (ErpWarehouse("IST", "İstanbul Depo"), ErpWarehouse("ANK", "Ankara", sellable=False)),
    "stock": (
        ErpStock("ÇAY-001", "IST", Decimal("1234567.125"), Decimal("12"), as_of=STAMP),
        ErpStock("BISK-9", "ANK", Decimal("-3")),
    ),
    "price_list": (
        ErpPriceList(
            "BAYI", "Bayi Fiyatı", vat_included=True, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31)
        ),
        ErpPriceList("USD", "Dolar Liste", currency="USD", supersedes="ESKI", active=False),
    ),
    "price": (
        ErpPrice("BAYI", "ÇAY-001", Decimal("1250.50")),
        ErpPrice("BAYI", "ÇAY-001", Decimal("1200"), unit="KOLI", min_quantity=Decimal("10")),
    ),
    "agreement": (
        ErpCustomerPrice("AGR-1", "120.01.001", "discount", Decimal("7.5"), brand_code="CAYKUR", note="Yıllık"),
        ErpCustomerPrice(
            "AGR-2", "120.01.001", "fixed_price", Decimal("99.90"), product_code="BISK-9", valid_to=date(2026, 6, 30)
        ),
    ),
    "customer": (
        ErpCustomer(
            code="120.01.001",
            title="Öztürk Gıda Ltd. Şti.",
            tax_number="1234567890",
            tax_office="Şişli",
            email="muhasebe@ozturk.example",
            price_list_code="BAYI",
            payment_terms_days=60,
            addresses=(_ADDRESS, dataclasses.replace(_ADDRESS, code="DEPO", kind="shipping", is_default=False)),
            updated_at=STAMP,
        ),
        ErpCustomer(code="120.01.002", title="Çiğdem Market", tax_number="99999999999", active=False),
    ),
    "balance": (
        ErpBalance("120.01.001", Decimal("15000.40"), open_orders=Decimal("2000"), as_of=STAMP),
        ErpBalance("120.01.002", Decimal("-120.5")),
    ),
    "credit": (
        ErpCredit("120.01.001", Decimal("100000"), as_of=STAMP),
        ErpCredit("120.01.002", Decimal("0"), hold=True, hold_reason="Vadesi geçmiş borç"),
    ),
    "order_status": (
        ErpOrderStatus("B2B-2026-000123", ErpOrderState.PARTIALLY_SHIPPED, "SIP-42", "42", STAMP, "Kısmi sevk"),
        ErpOrderStatus("B2B-2026-000124", ErpOrderState.CANCELLED),
    ),
    "delivery": (
        ErpDocument(
            DocumentKind.DELIVERY,
            "IRS-2026-1",
            "120.01.001",
            date(2026, 3, 4),
            order_reference="B2B-2026-000123",
            carrier="Yurtiçi Kargo",
            tracking_number="123456",
            tracking_url="https://kargo.example/t/123456",
        ),
    ),
    "invoice": (
        ErpDocument(
            DocumentKind.INVOICE,
            "GIB2026000000042",
            "120.01.001",
            date(2026, 3, 4),
            net=Decimal("16881.75"),
            vat=Decimal("3376.35"),
            gross=Decimal("20258.10"),
            due_on=date(2026, 5, 3),
            e_invoice_uuid="5f0c6c9e-0000-4000-8000-000000000042",
            updated_at=STAMP,
        ),
    ),
    "credit_memo": (
        ErpDocument(
            DocumentKind.CREDIT_MEMO,
            "IADE-7",
            "120.01.001",
            date(2026, 3, 6),
            gross=Decimal("250.75"),
            related_number="GIB2026000000042",
        ),
    ),
    "ledger": (
        ErpLedgerEntry(
            "JE-1001",
            "120.01.001",
            date(2026, 3, 4),
            "invoice",
            Decimal("20258.10"),
            document_number="GIB2026000000042",
            due_on=date(2026, 5, 3),
            description="Satış faturası",
            open_amount=Decimal("20258.10"),
            updated_at=STAMP,
        ),
        ErpLedgerEntry("JE-1002", "120.01.001", date(2026, 3, 6), "credit_memo", Decimal("-250.75")),
    ),
    # Bytes as the ERP holds them; the portal checks them on import, not the adapter.
    "product_media": (
        ErpProductMedia("KBL-3X2.5", MediaKind.IMAGE, "", content=image_bytes("PNG", size=(40, 30)), position=1),
        ErpProductMedia("KBL-3X2.5", MediaKind.IMAGE, "", content=image_bytes("JPEG", size=(30, 40)), position=2),
        ErpProductMedia(
            "KBL-3X2.5",
            MediaKind.DOCUMENT,
            "",
            content=MINIMAL_PDF,
            title="Teknik föy",
            language="tr",
            document_kind="datasheet",
        ),
    ),
}

WRITES: dict[str, tuple[Capability, str]] = {
    "orders": (Capability.ORDER_PUSH, "order"),
    "payments": (Capability.PAYMENT_PUSH, "payment"),
    "credit_memos": (Capability.CREDIT_MEMO_PUSH, "credit_memo"),
}


def _sort_key(record: Any) -> tuple[str, ...]:
    return tuple(str(getattr(record, item.name)) for item in dataclasses.fields(record))


def _records(feeds: Iterable[Feed]) -> list[Any]:
    return [record for feed in feeds for record in feed.records]


class AdapterContract:
    """The tests every adapter passes. Subclasses provide the ``erp`` fixture."""

    @pytest.fixture
    def erp(self) -> ErpSide:
        raise NotImplementedError("Provide an `erp` fixture returning this adapter's ErpSide.")

    @pytest.fixture
    def adapter(self, erp: ErpSide):
        with erp.make_adapter() as adapter:
            yield adapter

    # --- capabilities ---

    def test_declared_capabilities_have_working_methods(self, adapter: ErpAdapter) -> None:
        methods = {
            Capability.ORDER_PUSH: "order_push",
            Capability.ORDER_CANCEL: "order_cancel",
            Capability.ORDER_LOOKUP: "order_lookup",
            Capability.PAYMENT_PUSH: "payment_push",
            Capability.CREDIT_MEMO_PUSH: "credit_memo_push",
            Capability.LIVE_STOCK: "live_stock",
            Capability.LIVE_BALANCE: "live_balance",
            Capability.OPEN_ORDERS: "open_orders",
        }
        for capability, name in methods.items():
            overridden = getattr(type(adapter), name) is not getattr(ErpAdapter, name)
            assert overridden == adapter.supports(capability), f"{capability} declared {adapter.supports(capability)}"
        if adapter.supports(Capability.PAYMENT_PUSH):
            assert type(adapter).payment_lookup is not ErpAdapter.payment_lookup
        if adapter.supports(Capability.CREDIT_MEMO_PUSH):
            assert type(adapter).credit_memo_lookup is not ErpAdapter.credit_memo_lookup
        for name in ("customer_push", "customer_lookup"):
            overridden = getattr(type(adapter), name) is not getattr(ErpAdapter, name)
            assert overridden == adapter.supports(Capability.CUSTOMER_PUSH), f"{name}: customer push declared or not"
        for name in ("quote_push", "quote_lookup", "quote_cancel"):
            overridden = getattr(type(adapter), name) is not getattr(ErpAdapter, name)
            assert overridden == adapter.supports(Capability.QUOTES), f"{name}: quotes declared or not"
        assert type(adapter).test_connection is not ErpAdapter.test_connection
        assert adapter.key, "an adapter names its key"

    # --- reading ---

    @pytest.mark.parametrize("entity", sorted(ErpAdapter.readable))
    def test_published_records_read_back_equal(self, erp: ErpSide, adapter: ErpAdapter, entity: str) -> None:
        if not adapter.can_read(entity):
            pytest.skip(f"{type(adapter).__name__} does not read {entity}")
        published = erp.samples(entity)
        complete = erp.expected_complete(entity)
        erp.publish(entity, published, complete=complete)

        feeds = list(adapter.read(entity, full=True))

        assert feeds, f"no feed for {entity}"
        assert {feed.entity for feed in feeds} == {entity}
        assert {feed.complete for feed in feeds} == {complete}
        assert all(feed.source for feed in feeds)
        read = [erp.normalise(entity, record) for record in _records(feeds)]
        expected = [erp.normalise(entity, record) for record in published]
        assert sorted(read, key=_sort_key) == sorted(expected, key=_sort_key)

    def test_open_orders_list_what_the_erp_holds_open(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        if not adapter.supports(Capability.OPEN_ORDERS):
            pytest.skip(f"{type(adapter).__name__} does not list open orders")
        try:
            still_open, finished = erp.publish_open_orders()
        except NotImplementedError:
            pytest.skip("this side cannot key in orders")

        listed = list(adapter.open_orders())

        assert all(isinstance(item, ErpOpenOrder) for item in listed)
        references = {item.reference for item in listed}
        assert still_open <= references, f"open orders missing: {still_open - references}"
        assert not finished & references, f"listed though not open: {finished & references}"
        mine = [item for item in listed if item.reference in still_open]
        assert all(item.document_number and item.customer_code and item.currency for item in mine)

    @pytest.mark.parametrize("entity", ["no_such_entity", "order"])
    def test_unknown_entity_is_refused(self, adapter: ErpAdapter, entity: str) -> None:
        with pytest.raises(ValueError, match=entity):
            list(adapter.read(entity))

    def test_entity_it_cannot_read_is_refused(self, adapter: ErpAdapter) -> None:
        unreadable = [entity for entity in ErpAdapter.readable if not adapter.can_read(entity)]
        if not unreadable:
            pytest.skip("reads every entity")
        with pytest.raises(ValueError, match=unreadable[0]):
            list(adapter.read(unreadable[0]))

    # --- writing ---

    def _require(self, adapter: ErpAdapter, capability: Capability) -> None:
        if not adapter.supports(capability):
            pytest.skip(f"{type(adapter).__name__} does not declare {capability}")

    def test_order_push_then_lookup_finds_it(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        self._require(adapter, Capability.ORDER_PUSH)
        order = sample_order()

        ack = adapter.order_push(order)

        assert isinstance(ack, ErpOrderAck)
        assert ack.reference == order.reference
        assert ack.document_id
        if adapter.supports(Capability.ORDER_LOOKUP):
            found = adapter.order_lookup(order.reference)
            assert found is not None
            assert (found.reference, found.document_id) == (ack.reference, ack.document_id)
        erp.consume()
        assert erp.received_orders() == [order.reference]

    def test_order_lookup_of_unknown_reference_is_none(self, adapter: ErpAdapter) -> None:
        self._require(adapter, Capability.ORDER_LOOKUP)
        adapter.order_push(sample_order("B2B-KNOWN"))
        assert adapter.order_lookup("B2B-NEVER-SENT") is None

    def test_order_consumed_by_erp_is_still_found_and_not_sent_twice(self, erp: ErpSide, adapter: ErpAdapter):
        self._require(adapter, Capability.ORDER_LOOKUP)
        order = sample_order()
        first = adapter.order_push(order)
        erp.consume()

        assert adapter.order_lookup(order.reference) is not None
        again = adapter.order_push(order)

        erp.consume()
        assert again.document_id == first.document_id
        assert erp.received_orders() == [order.reference]

    def test_order_cancel(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        self._require(adapter, Capability.ORDER_CANCEL)
        order = sample_order()
        adapter.order_push(order)

        ack = adapter.order_cancel(ErpCancel(order.reference, reason="Müşteri vazgeçti"))

        assert isinstance(ack, ErpAck)
        assert ack.reference == order.reference
        erp.consume()
        assert erp.received("cancellations") == [order.reference]

    @pytest.mark.parametrize("kind", ["payments", "credit_memos"])
    def test_push_then_lookup_and_no_duplicate(self, erp: ErpSide, adapter: ErpAdapter, kind: str) -> None:
        capability, name = WRITES[kind]
        self._require(adapter, capability)
        push, lookup = getattr(adapter, f"{name}_push"), getattr(adapter, f"{name}_lookup")
        document = erp.sample_write(kind)

        ack = push(document)
        assert isinstance(ack, ErpAck)
        assert ack.reference == document.reference
        assert lookup(document.reference) == ack
        assert lookup("NEVER-SENT-1") is None
        erp.consume()
        assert lookup(document.reference) == ack
        push(document)
        erp.consume()
        assert erp.received(kind) == [document.reference]

    def test_quote_push_lookup_cancel_and_no_duplicate(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        self._require(adapter, Capability.QUOTES)
        quote = erp.sample_quote()

        ack = adapter.quote_push(quote)

        assert isinstance(ack, ErpOrderAck)
        assert (ack.reference, bool(ack.document_id)) == (quote.reference, True)
        found = adapter.quote_lookup(quote.reference)
        assert found is not None and (found.reference, found.document_id) == (ack.reference, ack.document_id)
        assert adapter.quote_lookup("Q2026-000123-9") is None
        erp.consume()
        assert adapter.quote_push(quote).document_id == ack.document_id  # found again, not sent twice
        erp.consume()
        assert erp.received("quotes") == [quote.reference]
        assert erp.received("orders") == []  # a quote is not an order

        cancelled = adapter.quote_cancel(ErpCancel(quote.reference, document_id=found.document_id, reason="İptal"))

        assert isinstance(cancelled, ErpAck) and cancelled.reference == quote.reference
        erp.consume()
        assert erp.received("quote_cancellations") == [quote.reference]

    def test_customer_push_then_lookup_finds_it_and_no_duplicate(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        self._require(adapter, Capability.CUSTOMER_PUSH)
        customer = erp.sample_customer()
        assert adapter.customer_lookup(customer.code) is None

        ack = adapter.customer_push(customer)

        assert isinstance(ack, ErpAck) and ack.document_id
        found = adapter.customer_lookup(customer.code)
        assert found is not None and found.document_id == ack.document_id
        assert adapter.customer_lookup("120.99.998") is None
        erp.consume()
        assert adapter.customer_lookup(customer.code).document_id == ack.document_id
        assert adapter.customer_push(customer).document_id == ack.document_id  # found, not created again
        erp.consume()
        assert erp.received("customers") == [customer.code]

    def test_customer_outcome_unknown_then_lookup_finds_it(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        self._require(adapter, Capability.CUSTOMER_PUSH)
        if not erp.supports_failure(CUSTOMER_TIMEOUT_AFTER_APPLY):
            pytest.skip("the simulator cannot lose the answer to a new customer")
        customer = erp.sample_customer()
        erp.simulate(CUSTOMER_TIMEOUT_AFTER_APPLY)

        with pytest.raises(OutcomeUnknownError):
            adapter.customer_push(customer)

        found = adapter.customer_lookup(customer.code)
        assert found is not None and found.document_id
        assert adapter.customer_push(customer).document_id == found.document_id
        erp.consume()
        assert erp.received("customers") == [customer.code]

    def test_unavailable_erp_is_retryable(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        if not erp.supports_failure(UNAVAILABLE):
            pytest.skip("the simulator cannot be made unavailable")
        erp.simulate(UNAVAILABLE)
        if adapter.supports(Capability.ORDER_PUSH):
            with pytest.raises(RetryableError) as caught:
                adapter.order_push(sample_order())
            assert not isinstance(caught.value, PermanentError)
        if adapter.supports(Capability.ORDER_LOOKUP):
            with pytest.raises(RetryableError):
                adapter.order_lookup("B2B-1")
        readable = [entity for entity in ErpAdapter.readable if adapter.can_read(entity)]
        if readable:
            with pytest.raises(RetryableError):
                list(adapter.read(readable[0]))

    def test_outcome_unknown_then_lookup_finds_the_document(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        if not erp.supports_failure(TIMEOUT_AFTER_APPLY):
            pytest.skip("the simulator cannot lose answers")
        self._require(adapter, Capability.ORDER_LOOKUP)
        order = sample_order()
        erp.simulate(TIMEOUT_AFTER_APPLY)

        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(order)

        found = adapter.order_lookup(order.reference)
        assert found is not None
        assert found.reference == order.reference
        erp.consume()
        assert erp.received_orders() == [order.reference]

    def test_refused_content_is_permanent(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        self._require(adapter, Capability.ORDER_PUSH)
        with pytest.raises(PermanentError):
            adapter.order_push(erp.invalid_order())
        erp.consume()
        assert erp.received_orders() == []

    # --- checks ---

    def test_connection_ok(self, adapter: ErpAdapter) -> None:
        check = adapter.test_connection()
        assert check.ok, check.message
        assert check.message

    def test_connection_not_ok_when_unavailable(self, erp: ErpSide, adapter: ErpAdapter) -> None:
        if not erp.supports_failure(UNAVAILABLE):
            pytest.skip("the simulator cannot be made unavailable")
        erp.simulate(UNAVAILABLE)
        check = adapter.test_connection()
        assert not check.ok
        assert check.message


__all__ = [
    "CUSTOMER_TIMEOUT_AFTER_APPLY",
    "SAMPLES",
    "TIMEOUT_AFTER_APPLY",
    "UNAVAILABLE",
    "AdapterContract",
    "ErpSide",
    "sample_credit_memo",
    "sample_new_customer",
    "sample_order",
    "sample_payment",
    "sample_quote",
]
