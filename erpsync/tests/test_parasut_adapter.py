"""The Paraşüt adapter against the simulator: one test per fault switch (never a second invoice, offer or collection),
tokens renewed once when many workers find them expired, a failed renewal that asks for a person, the company's
rate limit held by several processes at once, offers, cancellation rules and the demo company's awkward shapes."""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connections

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import (  # noqa: E402
    Capability,
    ErpCancel,
    ErpOrderState,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.parasut import ParasutAdapter  # noqa: E402
from erpsync.models import ApiToken  # noqa: E402
from erpsync.rate_budget import rate_budget_in_use  # noqa: E402
from erpsync.simulators.parasut import ParasutSimulator  # noqa: E402
from erpsync.tests.contract import sample_order, sample_payment  # noqa: E402
from erpsync.tests.test_contract_parasut import ParasutErpSide, adapter_for  # noqa: E402
from erpsync.token_store import token_problem, token_read  # noqa: E402

INVOICES = "/115/sales_invoices"


@pytest.fixture
def sim():
    with ParasutSimulator(rate_limit=0) as simulator:
        yield simulator
        assert simulator.violations == []


@pytest.fixture
def side(sim):
    return ParasutErpSide(sim)


def invoices_for(sim: ParasutSimulator, reference: str) -> list:
    return [row for row in sim.company.tables["sales_invoices"].values() if row.attributes.get("order_no") == reference]


def push_until_done(adapter, order):
    """What the outbox does: look the order up, push it, and after an unknown outcome try again."""
    for _attempt in range(3):
        try:
            return adapter.order_lookup(order.reference) or adapter.order_push(order)
        except RetryableError:
            continue
    raise AssertionError("never pushed")


# -- fault switches: never twice ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_latency_is_waited_out(sim, side):
    sim.faults.latency(INVOICES, seconds=0.3, method="POST")
    with side.make_adapter() as adapter:
        ack = adapter.order_push(sample_order())
    assert len(invoices_for(sim, ack.reference)) == 1


@pytest.mark.django_db
def test_5xx_on_create_is_retryable_and_the_retry_makes_one_invoice(sim, side):
    sim.faults.error(INVOICES, status=502, method="POST")
    with side.make_adapter() as adapter:
        with pytest.raises(RetryableError) as caught:
            adapter.order_push(sample_order())
        assert not isinstance(caught.value, (OutcomeUnknownError, PermanentError))
        push_until_done(adapter, sample_order())
    assert len(invoices_for(sim, sample_order().reference)) == 1


@pytest.mark.django_db
def test_5xx_on_a_read_is_tried_again(sim, side):
    sim.faults.error("/115/warehouses", status=503, method="GET")
    with adapter_for(sim, read_retries=1, rate_limit=1000) as adapter:
        feeds = list(adapter.read("warehouse"))
    assert list(feeds[0].records) == []
    assert sim.stats.count("GET", "/115/warehouses") == 2


@pytest.mark.django_db
def test_429_is_waited_out_and_sent_again_once(sim, side):
    sim.faults.throttle(INVOICES, retry_after=1, method="POST")
    started = time.monotonic()
    with adapter_for(sim, customer_code="tax_number", rate_limit=1000) as adapter:
        adapter.order_push(sample_order())
    assert time.monotonic() - started >= 1
    assert len(invoices_for(sim, sample_order().reference)) == 1
    assert sim.stats.count("POST", INVOICES) == 2


@pytest.mark.django_db
def test_expired_token_is_renewed_with_the_refresh_token_and_the_request_sent_again(sim, side):
    with side.make_adapter() as adapter:
        adapter.order_lookup("B2B-X")
        sim.faults.add("expire_token", INVOICES, method="POST")
        adapter.order_push(sample_order())
    assert sim.token_grants == ["password", "refresh_token"]
    assert len(invoices_for(sim, sample_order().reference)) == 1
    assert token_read(adapter.token_key).refresh_token in sim.refresh_tokens()


@pytest.mark.django_db
def test_reset_before_the_answer_is_outcome_unknown_and_the_lookup_prevents_a_second_invoice(sim, side):
    sim.faults.reset(INVOICES, method="POST")
    with side.make_adapter() as adapter:
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(sample_order())
        ack = push_until_done(adapter, sample_order())
    assert ack.document_id.startswith("sales_invoices/")
    assert len(invoices_for(sim, sample_order().reference)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("document", ["sales_invoice", "sales_offer"])
def test_applied_then_dropped_is_found_not_created_again(sim, side, document):
    sim.faults.drop_response(f"/115/{document}s", method="POST", mode="timeout", seconds=1.5)
    with adapter_for(
        sim, customer_code="tax_number", order_document=document, timeout_seconds=0.5, rate_limit=1000
    ) as adapter:
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(sample_order())
        found = adapter.order_lookup(sample_order().reference)
        again = adapter.order_push(sample_order())
    assert found is not None and again.document_id == found.document_id
    table = sim.company.tables[f"{document}s"]
    assert [row.attributes["order_no"] for row in table.values()] == [sample_order().reference]


@pytest.mark.django_db
def test_payment_applied_then_dropped_is_found_not_paid_twice(sim, side):
    payment = side.sample_write("payments")
    sim.faults.drop_response(f"{INVOICES}/*/payments", method="POST")
    with side.make_adapter() as adapter:
        with pytest.raises(OutcomeUnknownError):
            adapter.payment_push(payment)
        found = adapter.payment_lookup(payment.reference)
        again = adapter.payment_push(payment)
    assert found == again
    assert side.received("payments") == [payment.reference]


@pytest.mark.django_db
def test_422_validation_error_is_permanent_with_its_title_and_detail(sim, side):
    sim.faults.refuse(
        INVOICES, method="POST", status=422, code=0, message="Validation Failed", body="Kalemler boş olamaz"
    )
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="Validation Failed: Kalemler boş olamaz"):
        adapter.order_push(sample_order())
    assert invoices_for(sim, sample_order().reference) == []


@pytest.mark.django_db
def test_unknown_product_is_refused_before_anything_is_sent(sim, side):
    order = sample_order()
    order = dataclasses.replace(order, lines=(dataclasses.replace(order.lines[0], product_code="YOK-1"),))
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="YOK-1"):
        adapter.order_push(order)
    assert sim.stats.count("POST") == 1  # the token only


# -- tokens ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_four_workers_finding_the_token_expired_renew_it_once(sim, side):
    """Four threads, each with its own database connection (as separate processes would have), find the access
    token expired at once: one refresh, and the stored refresh token is the one Paraşüt still accepts."""
    with side.make_adapter() as first:
        first.read("warehouse")
        list(next(iter(first.read("warehouse"))).records)
    sim.expire_tokens()
    errors = []

    def work() -> None:
        try:
            with side.make_adapter() as adapter:
                list(next(iter(adapter.read("warehouse"))).records)
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sim.token_grants == ["password", "refresh_token"]
    stored = token_read(first.token_key)
    assert sim.refresh_tokens() == {stored.refresh_token}
    assert ApiToken.objects.get().access_token != stored.access_token  # encrypted at rest


@pytest.mark.django_db
def test_a_refused_refresh_and_sign_in_asks_a_person_and_says_why(sim, side):
    with side.make_adapter() as adapter:
        adapter.order_lookup("B2B-X")
    sim._refresh_tokens.clear()  # revoked in Paraşüt
    sim.expire_tokens()
    with adapter_for(sim, rate_limit=1000) as adapter:
        adapter.oauth["password"] = "changed-in-parasut"
        with pytest.raises(PermanentError, match="refused to sign in") as caught:
            list(next(iter(adapter.read("warehouse"))).records)
    assert caught.value.code == "needs_authorisation"
    assert "refused to sign in" in token_problem(adapter.token_key)


@pytest.mark.django_db
def test_without_a_password_a_refused_refresh_asks_to_authorise_again(sim, side):
    with side.make_adapter() as adapter:
        adapter.order_lookup("B2B-X")
    sim._refresh_tokens.clear()
    sim.expire_tokens()
    with side.make_adapter() as adapter:
        adapter.oauth["password"] = ""
        with pytest.raises(PermanentError, match="authorise the portal again"):
            adapter.order_lookup("B2B-X")


# -- the rate limit, shared by processes ---------------------------------------------------------------------------


def _process_reads(base_url: str, company_id: int, credentials: dict, count: int, errors) -> None:
    connections.close_all()
    try:
        with ParasutAdapter(
            settings={"base_url": base_url, "company_id": company_id, "throttle_retries": 0}, credentials=credentials
        ) as adapter:
            for _ in range(count):
                adapter._call("GET", "warehouses", query={"page[size]": 1})
    except Exception as exc:
        errors.put(repr(exc))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_three_workers_and_the_web_process_together_stay_within_10_requests_in_10_seconds():
    with ParasutSimulator(rate_limit=10, rate_window=10) as sim:
        credentials = {
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
            "username": sim.username,
            "password": sim.password,
        }
        with adapter_for(sim, throttle_retries=0) as web:
            web._call("GET", "warehouses", query={"page[size]": 1})  # the token, shared from now on
        connections.close_all()
        context = multiprocessing.get_context("fork")
        errors = context.Queue()
        workers = [
            context.Process(target=_process_reads, args=(sim.root_url, sim.company_id, credentials, 5, errors))
            for _ in range(3)
        ]
        for worker in workers:
            worker.start()
        with adapter_for(sim, throttle_retries=0) as web:  # the web process, at the same time
            for _ in range(5):
                web._call("GET", "warehouses", query={"page[size]": 1})
        for worker in workers:
            worker.join(timeout=120)
        assert [worker.exitcode for worker in workers] == [0, 0, 0]
        assert errors.empty(), errors.get()
        assert len(sim.accepted) == 21
        assert sim.throttled == 0
        assert sim.most_in_window() <= 10
        assert sim.violations == []
        assert rate_budget_in_use(web.budget_key, window=10.5) >= 1


# -- offers, cancellation, shapes -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_order_as_an_offer_is_rejected_on_cancel_and_still_found(sim, side):
    with adapter_for(sim, customer_code="tax_number", order_document="sales_offer", rate_limit=1000) as adapter:
        ack = adapter.order_push(sample_order())
        adapter.order_cancel(ErpCancel(ack.reference, ack.document_id))
        found = adapter.order_lookup(ack.reference)
        adapter.order_cancel(ErpCancel(ack.reference, ack.document_id))  # again: nothing left to do
    assert ack.document_id.startswith("sales_offers/")
    assert found.state == ErpOrderState.CANCELLED
    (offer,) = sim.company.tables["sales_offers"].values()
    assert offer.attributes["status"] == "rejected"
    assert offer.attributes["net_total"] == pytest.approx(float(Decimal("1250.50") * Decimal("13.5") * Decimal("1.2")))


@pytest.mark.django_db
def test_an_invoice_with_a_collection_is_not_cancelled(sim, side):
    payment = side.sample_write("payments")
    with side.make_adapter() as adapter:
        adapter.payment_push(payment)
        with pytest.raises(PermanentError, match="Tahsilatı olan fatura iptal edilemez"):
            adapter.order_cancel(ErpCancel(payment.order_reference))


@pytest.mark.django_db
def test_a_payment_without_an_open_invoice_is_refused(sim, side):
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="no open invoice"):
        adapter.payment_push(sample_payment())


@pytest.mark.django_db
def test_the_demo_companys_awkward_shapes_are_read():
    with ParasutSimulator(rate_limit=0, demo=True) as sim, adapter_for(sim, rate_limit=1000) as adapter:
        products = {p.code: p for feed in adapter.read("product") for p in feed.records}
        prices = [p for feed in adapter.read("price") for p in feed.records]
        customers = [c for feed in adapter.read("customer") for c in feed.records]
        stock = [s for feed in adapter.read("stock") for s in feed.records]
        invoices = [d for feed in adapter.read("invoice", full=True) for d in feed.records]
        ledger = [e for feed in adapter.read("ledger", since=None) for e in feed.records]
        assert sim.violations == []
    assert any(code.startswith("#") for code in products)  # keyed in without a code
    assert products["ARŞ-01"].active is False
    assert len(products["UZN-İSİM"].name) > 150
    assert {p.price_list_code for p in prices} == {"LIST-TRY", "LIST-USD", "LIST-EUR"}
    assert "Tedarikçi Metal San." not in {c.title for c in customers}
    assert any(not c.tax_number and not c.email for c in customers)
    assert any(s.on_hand < 0 for s in stock)
    assert "HZM-MONTAJ" not in {s.product_code for s in stock}  # a service: no stock
    assert sorted(bool(d.e_invoice_uuid) for d in invoices) == [False, True]
    assert sorted(e.kind for e in ledger) == ["collection", "collection", "invoice", "invoice"]


def test_refunds_only_when_the_company_uses_refund_invoices_and_never_deliveries(sim):
    with adapter_for(sim) as off, adapter_for(sim, refunds=True) as on:
        assert not off.supports(Capability.CREDIT_MEMO_PUSH)
        assert on.supports(Capability.CREDIT_MEMO_PUSH)
    assert Capability.DELTA not in ParasutAdapter.capabilities
    assert "delivery" not in ParasutAdapter.readable


@pytest.mark.django_db
def test_an_old_invoice_beyond_the_lookup_pages_is_still_not_made_twice(sim, side):
    with side.make_adapter() as adapter:
        first = adapter.order_push(sample_order())
        with sim.company.lock:
            for number in range(110):  # the company invoices on: the portal's invoice sinks below 4 pages
                side._invoice(f"B2B-OTHER-{number}", date(2026, 3, 2))
        before = sim.stats.count("GET", INVOICES)
        assert adapter.order_lookup(sample_order().reference) is None
        assert sim.stats.count("GET", INVOICES) - before == 4
        again = adapter.order_push(sample_order())
    assert again.document_id == first.document_id
    assert len(invoices_for(sim, sample_order().reference)) == 1


@pytest.mark.django_db
def test_an_invoice_sent_as_an_e_invoice_is_not_cancelled_and_the_reason_is_kept(sim, side):
    with side.make_adapter() as adapter:
        ack = adapter.order_push(sample_order())
        (invoice,) = invoices_for(sim, ack.reference)
        sim.company.issue_e_document(invoice, "e_archives")
        with pytest.raises(PermanentError, match="e-Fatura/e-Arşiv olarak gönderilmiş fatura iptal edilemez"):
            adapter.order_cancel(ErpCancel(ack.reference, ack.document_id))
    assert invoice.attributes["item_type"] == "invoice"


@pytest.mark.django_db
def test_a_customer_owing_in_liras_and_dollars_has_one_balance_the_total_in_liras(sim, side):
    with sim.company.lock:
        sim.company._move_balance(side.customer, "USD", Decimal("120"))  # owes 120 dollars
        side._invoice("B2B-TRY", date(2026, 3, 1), price=1000)  # 1,200 liras
    with side.make_adapter() as adapter:
        (balance,) = [b for feed in adapter.read("balance") for b in feed.records]
    assert (balance.customer_code, balance.currency) == ("120.01.001", "TRY")
    assert balance.balance == Decimal("120") * Decimal("38.5") + Decimal("1200")


@pytest.mark.django_db
def test_invoices_carry_their_details_as_lines(sim, side):
    with side.make_adapter() as adapter:
        today = sim.company.current_date()
        ack = adapter.order_push(dataclasses.replace(sample_order(), ordered_on=today))
        records = [record for feed in adapter.read("invoice", full=True) for record in feed.records]
    (invoice,) = [record for record in records if record.order_reference == ack.reference]
    assert [(line.line_no, line.description, line.quantity) for line in invoice.lines] == [
        (1, "Çaykur Rize Turist ığüşöç", Decimal("12")),
        (2, "Çaykur Rize Turist ığüşöç", Decimal("1.5")),
    ]
    first = invoice.lines[0]
    assert (first.unit_price, first.vat_rate, first.vat) == (Decimal("1250.50"), Decimal("20"), None)
    assert sum(line.net for line in invoice.lines) == invoice.net
