"""The SAP Business One adapter reads a customer's account (invoices, credit memos, incoming payments) and the open
orders, against the Service Layer simulator; one test imports the ledger into the portal and checks that the
statement adds up to the balance SAP reports."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Sum

from dealers.models import AccountEntry, Dealer
from erpsync.adapters.base import (
    Capability,
    ErpLedgerEntry,
    ErpOpenOrder,
    PermanentError,
    RetryableError,
)
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncRun
from erpsync.simulators import SapB1Simulator
from erpsync.tests.test_sap_b1_adapter import make, records

D = Decimal
ISTANBUL = ZoneInfo("Europe/Istanbul")
START = datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def sim():
    """Three customers and a few items; the company clock stands still at ``START`` until a test moves it."""
    with SapB1Simulator(items=6, customers=3) as simulator:
        simulator.set_time(START)
        yield simulator


@pytest.fixture
def adapter(sim):
    with make(sim, read_retries=0, delta_overlap_seconds=0) as adapter:
        yield adapter


def money(value) -> Decimal:
    return D(str(value)).quantize(D("0.01"))


def ordered(sim, customer: str = "C0001", reference: str = "B2B-1", **lines: float) -> dict:
    rows = [{"ItemCode": code, "Quantity": quantity, "WarehouseCode": "01"} for code, quantity in lines.items()]
    return sim.create(
        "Orders", {"CardCode": customer, "NumAtCard": reference, "DocDueDate": "2026-03-10", "DocumentLines": rows}
    )


def invoiced(sim, customer: str = "C0001", reference: str = "B2B-1", **lines: float) -> dict:
    order = ordered(sim, customer, reference, **(lines or {"A0001": 2, "A0002": 1}))
    return sim.invoice(order["DocEntry"], base_type=17, DocDueDate="2026-04-01", Comments="Mart faturası")


def paid(sim, customer: str, amount: float, invoice: dict | None = None, **header) -> dict:
    payment = {"CardCode": customer, "TransferSum": amount, "TransferAccount": "102.01", **header}
    if invoice is not None:
        payment["PaymentInvoices"] = [{"DocEntry": invoice["DocEntry"], "SumApplied": amount}]
    return sim.create("IncomingPayments", payment)


def ledger(adapter, customer: str | None = None, **kwargs) -> dict[str, ErpLedgerEntry]:
    entries = {entry.entry_id: entry for entry in records(adapter, "ledger", **kwargs)}
    return {key: entry for key, entry in entries.items() if customer is None or entry.customer_code == customer}


def balance_of(sim, customer: str) -> Decimal:
    return money(sim.company.business_partners[customer]["CurrentAccountBalance"])


# --- what is read ---------------------------------------------------------------------------------------------


def test_documents_and_payments_are_signed_movements_with_what_is_still_open(adapter, sim):
    invoice = invoiced(sim)
    note = sim.credit_note(invoice["DocEntry"], {1: 1})
    payment = paid(sim, "C0001", 50, invoice, Remarks="EFT")
    on_account = paid(sim, "C0001", 30)
    total, credit = money(invoice["DocTotal"]), money(note["DocTotal"])

    entries = ledger(adapter, "C0001")

    assert set(entries) == {
        f"inv:{invoice['DocEntry']}",
        f"crn:{note['DocEntry']}",
        f"rct:{payment['DocEntry']}",
        f"rct:{on_account['DocEntry']}",
    }
    bill = entries[f"inv:{invoice['DocEntry']}"]
    assert (bill.kind, bill.amount, bill.open_amount) == ("invoice", total, total - credit - 50)
    assert (bill.document_number, bill.posted_on, str(bill.due_on)) == (
        str(invoice["DocNum"]),
        START.date(),
        "2026-04-01",
    )
    assert (bill.description, bill.currency) == ("Mart faturası", "TRY")
    assert bill.updated_at == START.replace(tzinfo=ISTANBUL)
    memo = entries[f"crn:{note['DocEntry']}"]
    assert (memo.kind, memo.amount, memo.open_amount, memo.due_on) == ("credit_memo", -credit, D(0), None)
    receipt = entries[f"rct:{payment['DocEntry']}"]
    assert (receipt.kind, receipt.amount, receipt.open_amount, receipt.description) == ("collection", -50, 0, "EFT")
    assert receipt.document_number == str(payment["DocNum"])
    assert entries[f"rct:{on_account['DocEntry']}"].open_amount == D(-30)  # nothing applied: all of it on account
    assert sum(entry.amount for entry in entries.values()) == balance_of(sim, "C0001")


def test_a_cancelled_invoice_nets_to_zero_and_sap_cancellation_documents_are_not_read_twice(adapter, sim):
    kept = invoiced(sim, reference="B2B-1")
    cancelled = invoiced(sim, reference="B2B-2", A0006=3)
    sim.clock.advance(timedelta(days=1, hours=2))
    with sim.company.lock:
        sim.company.action("Invoices", cancelled["DocEntry"], "Cancel")
        # SAP 9 and later books the cancellation as a document of its own; the adapter's reversal stands for it.
        reversal = copy.deepcopy(sim.company.invoices[cancelled["DocEntry"]])
        reversal.update(DocEntry=99, DocNum=9999, Cancelled="tNO", CancelStatus="csCancellation")
        sim.company.invoices[99] = reversal

    entries = ledger(adapter, "C0001")

    key = f"inv:{cancelled['DocEntry']}"
    assert set(entries) == {f"inv:{kept['DocEntry']}", key, f"{key}:cancel"}
    original, undone = entries[key], entries[f"{key}:cancel"]
    assert (original.amount, original.open_amount) == (money(cancelled["DocTotal"]), 0)
    assert (undone.kind, undone.amount, undone.open_amount) == ("adjustment", -original.amount, 0)
    assert (undone.posted_on, undone.document_number) == ((START + timedelta(days=1)).date(), original.document_number)
    assert sum(entry.amount for entry in entries.values()) == balance_of(sim, "C0001") == money(kept["DocTotal"])
    # Neither is an invoice the dealer was issued.
    issued = records(adapter, "invoice", since=START.replace(tzinfo=ISTANBUL) - timedelta(hours=1))
    assert [document.number for document in issued] == [str(kept["DocNum"])]


def test_a_cancelled_payment_is_reversed_and_the_invoice_owes_again(adapter, sim):
    invoice = invoiced(sim)
    payment = paid(sim, "C0001", 40, invoice)
    with sim.company.lock:
        sim.company.action("IncomingPayments", payment["DocEntry"], "Cancel")

    entries = ledger(adapter, "C0001")

    assert entries[f"rct:{payment['DocEntry']}:cancel"].amount == D(40)
    assert entries[f"inv:{invoice['DocEntry']}"].open_amount == money(invoice["DocTotal"])
    assert sum(entry.amount for entry in entries.values()) == balance_of(sim, "C0001")


def test_delta_picks_up_a_payment_added_later_and_the_invoice_it_settles(adapter, sim):
    invoice = invoiced(sim)
    invoiced(sim, "C0002", reference="B2B-2")
    first = list(adapter.read("ledger", full=True))
    assert first[0].complete and len(list(first[0].records)) == 2

    since = START.replace(tzinfo=ISTANBUL) + timedelta(hours=1)
    sim.clock.advance(timedelta(hours=2))
    payment = paid(sim, "C0001", 25, invoice)

    (feed,) = adapter.read("ledger", since=since)
    changed = {entry.entry_id: entry for entry in feed.records}

    assert not feed.complete and "since=" in feed.source
    assert set(changed) == {f"inv:{invoice['DocEntry']}", f"rct:{payment['DocEntry']}"}
    assert changed[f"inv:{invoice['DocEntry']}"].open_amount == money(invoice["DocTotal"]) - 25


def test_payments_of_the_lookback_window_come_with_every_delta(sim):
    payment = paid(sim, "C0001", 10, DocDate="2026-02-20")
    since = START.replace(tzinfo=ISTANBUL) + timedelta(hours=1)
    with make(sim, delta_overlap_seconds=0, status_lookback_days=15) as by_date:
        assert set(ledger(by_date, since=since)) == {f"rct:{payment['DocEntry']}"}
        with sim.company.lock:
            sim.company.action("IncomingPayments", payment["DocEntry"], "Cancel")
        assert set(ledger(by_date, since=since)) == {f"rct:{payment['DocEntry']}", f"rct:{payment['DocEntry']}:cancel"}
    with make(sim, delta_overlap_seconds=0, status_lookback_days=5) as by_date:
        assert ledger(by_date, since=since) == {}


def test_incoming_payments_are_never_read_by_update_stamps(sim, adapter):
    """The Service Layer's Payment has no UpdateDate/UpdateTime: a filter on them is refused, and the adapter's
    delta never sends one (the setting that asked for it is refused)."""
    ledger(adapter, since=START.replace(tzinfo=ISTANBUL))
    response = requests.get(
        sim.base_url + "IncomingPayments?$filter=UpdateDate ge '2026-01-01'", cookies=adapter._http.cookies, timeout=5
    )
    assert response.status_code == 400 and "UpdateDate" in response.text
    sent = [path for method, path in sim.stats.requests if path.startswith("IncomingPayments")]
    assert sent and all("UpdateDate" not in path for path in sent)
    with pytest.raises(ImproperlyConfigured, match="'payment_delta'"):
        make(sim, payment_delta="update")


def test_suppliers_payments_stay_out(adapter, sim):
    sim.create("IncomingPayments", {"CardCode": "V0001", "DocType": "rSupplier", "TransferSum": 5})
    assert ledger(adapter) == {}


# --- failures ---------------------------------------------------------------------------------------------------


def test_an_erp_error_answer_fails_the_read_with_the_contracts_error(adapter, sim):
    sim.faults.error("IncomingPayments", status=500)
    with pytest.raises(RetryableError):
        list(adapter.read("ledger"))
    sim.faults.error("Invoices", status=400)
    with pytest.raises(PermanentError):
        list(adapter.read("ledger"))
    sim.faults.error("Orders", status=503)
    with pytest.raises(RetryableError):
        list(adapter.open_orders())


def test_payment_delta_setting_is_checked(sim):
    with pytest.raises(ImproperlyConfigured, match="'payment_delta'"):
        make(sim, payment_delta="sometimes")


# --- open orders --------------------------------------------------------------------------------------------------


def test_open_orders_are_the_open_ones_and_drafts_waiting_for_approval(adapter, sim):
    assert adapter.supports(Capability.OPEN_ORDERS) and adapter.supports(Capability.LEDGER)
    still_open = ordered(sim, reference="B2B-OPEN", A0001=2)
    typed_in = sim.create(
        "Orders",
        {"CardCode": "C0002", "DocDueDate": "2026-03-10", "DocumentLines": [{"ItemCode": "A0002", "Quantity": 1}]},
    )
    closed = ordered(sim, reference="B2B-CLOSED", A0001=1)
    cancelled = ordered(sim, reference="B2B-CANCELLED", A0001=1)
    delivered = ordered(sim, reference="B2B-DELIVERED", A0002=1)
    with sim.company.lock:
        sim.company.action("Orders", closed["DocEntry"], "Close")
        sim.company.action("Orders", cancelled["DocEntry"], "Cancel")
        sim.company.approval_required = True
    sim.deliver(delivered["DocEntry"])
    draft = ordered(sim, reference="B2B-DRAFT", A0001=1)

    found = list(adapter.open_orders())

    assert found == [
        ErpOpenOrder(str(still_open["DocNum"]), "C0001", "B2B-OPEN", money(still_open["DocTotal"]), "TRY"),
        ErpOpenOrder(str(typed_in["DocNum"]), "C0002", "", money(typed_in["DocTotal"]), "TRY"),
        ErpOpenOrder("", "C0001", "B2B-DRAFT", money(draft["DocTotal"]), "TRY"),
    ]


# --- into the portal -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_imported_statement_adds_up_to_the_balance_sap_reports(sim, monkeypatch):
    monkeypatch.setenv("SAPLEDGER_USERNAME", "manager")
    monkeypatch.setenv("SAPLEDGER_PASSWORD", "1234")
    connection = ErpConnection.objects.create(
        code="sap",
        name="SAP Business One",
        adapter="sap_b1",
        is_default=True,
        credentials_ref="SAPLEDGER",
        settings={"base_url": sim.base_url, "company_db": sim.company_db, "timeout_seconds": 5, "read_retries": 0},
    )
    invoice = invoiced(sim)
    sim.credit_note(invoice["DocEntry"], {0: 1})
    paid(sim, "C0001", 20, invoice)
    paid(sim, "C0001", 15)
    cancelled = invoiced(sim, reference="B2B-2", A0006=1)
    with sim.company.lock:
        sim.company.action("Invoices", cancelled["DocEntry"], "Cancel")
    second = invoiced(sim, "C0002", reference="B2B-3", A0005=1)
    paid(sim, "C0002", second["DocTotal"], second)

    for entity in ("price_list", "customer", "balance", "ledger"):
        run = sync_import(connection=connection, entity=entity, full=True)
        assert run.status == SyncRun.Status.SUCCEEDED, (entity, run.summary)

    for dealer in Dealer.objects.filter(code__in=["C0001", "C0002", "C0003"]):
        statement = AccountEntry.objects.filter(dealer=dealer).aggregate(total=Sum("amount"))["total"] or D(0)
        assert statement == dealer.erp_balance == balance_of(sim, dealer.code), dealer.code
    assert AccountEntry.objects.filter(dealer__code="C0001").count() == 6
    assert Dealer.objects.get(code="C0001").erp_balance != 0
