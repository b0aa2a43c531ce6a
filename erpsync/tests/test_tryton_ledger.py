"""The Tryton adapter reads a customer's account (the receivable lines of posted entries) and the open sales, against
a real Tryton server; one test imports the ledger into the portal and checks that each statement adds up to the
receivable Tryton reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from dealers.models import AccountEntry, Dealer
from erpsync.adapters.base import Capability, ErpCancel, ErpOpenOrder, PermanentError, RetryableError
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncRun
from erpsync.tests.test_tryton_adapter import make, order, payment, records
from erpsync.tests.tryton_seed import PORTAL_KEY
from erpsync.tests.tryton_server import FaultProxy, StaffClient, ship

D = Decimal


@pytest.fixture
def fresh(tryton_server):
    """A copy of the seeded company of its own, its staff, and an adapter (taking payments) behind a fault relay."""
    database = tryton_server.database("catalog")
    proxy = FaultProxy(tryton_server.port)
    staff = StaffClient(tryton_server.url, database)
    adapter = make(
        proxy.url,
        database,
        sellable_warehouses=["IST"],
        reference_prefix="B2B-",
        payment_journal="CASH",
        payment_account="1.1.1",
        delta_overlap_seconds=0,
    )
    yield adapter, staff, proxy
    adapter.close()
    staff.close()
    proxy.close()


def ledger(adapter, **kwargs) -> dict[str, list]:
    """The movements read, per customer, in the order Tryton keeps its lines."""
    entries: dict[str, list] = {}
    for entry in records(adapter, "ledger", **kwargs):
        entries.setdefault(entry.customer_code, []).append(entry)
    return entries


def balances(adapter) -> dict[str, Decimal]:
    return {balance.customer_code: balance.balance for balance in records(adapter, "balance")}


def partly_paid(staff: StaffClient, amount: Decimal) -> tuple[int, int]:
    """The cashier books ``amount`` received from 120.01.001 and adds it to the seeded invoice as a payment (Tryton's
    partial payment: nothing is reconciled until the invoice is paid in full). Returns (invoice, payment line)."""
    party = staff.id_of("party.party", code="120.01.001")
    invoice = staff.one("account.invoice", [["party", "=", party]], ["account"])
    move = staff.create(
        "account.move",
        {
            "journal": staff.id_of("account.journal", code="CASH"),
            "date": date.today(),
            "description": "Havale",
            "lines": [
                [
                    "create",
                    [
                        {"account": staff.id_of("account.account", code="1.1.1"), "debit": amount, "credit": D(0)},
                        {"account": invoice["account"], "party": party, "debit": D(0), "credit": amount},
                    ],
                ]
            ],
        },
    )
    staff.click("account.move", move, "post")
    line = staff.one("account.move.line", [["move", "=", move], ["party", "=", party]])["id"]
    staff.write("account.invoice", invoice["id"], {"payment_lines": [["add", [line]]]})
    return invoice["id"], line


def credit_note(staff: StaffClient, amount: Decimal, description: str = "Hasarlı ürün iadesi") -> int:
    party = staff.id_of("party.party", code="120.01.001")
    configuration = staff.read("account.configuration", 1, ["default_account_receivable"])
    category = staff.one("product.category", [["code", "=", "TICARI"]], ["account_revenue"])
    line = {"quantity": -1, "unit_price": amount, "account": category["account_revenue"], "description": "İade"}
    note = staff.create(
        "account.invoice",
        {
            "type": "out",
            "party": party,
            "invoice_address": staff.read("party.party", party, ["addresses"])["addresses"][0],
            "account": configuration["default_account_receivable"],
            "journal": staff.id_of("account.journal", code="REV"),
            "description": description,
            "lines": [["create", [line]]],
        },
    )
    staff.click("account.invoice", note, "post")
    return note


# --- what is read -----------------------------------------------------------------------------------------------


def test_movements_add_up_to_the_receivable_tryton_reports(fresh):
    adapter, staff, _proxy = fresh
    assert adapter.supports(Capability.LEDGER) and adapter.supports(Capability.OPEN_ORDERS)
    invoice, paid_line = partly_paid(staff, D("1000"))
    note = credit_note(staff, D("250.75"))
    adapter.payment_push(payment(amount=D("500"), reference="PAY-ON-ACCOUNT"))

    entries = ledger(adapter)

    assert set(entries) == {"120.01.001", "120.01.002"}
    first = {entry.kind: entry for entry in entries["120.01.001"] if entry.entry_id != f"aml:{paid_line}"}
    bill = first["invoice"]
    number = staff.read("account.invoice", invoice, ["number"])["number"]
    assert (bill.amount, bill.open_amount, bill.document_number, bill.currency) == (D("3720"), D("2720"), number, "TRY")
    assert bill.due_on == bill.posted_on  # the seed's terms: cash
    (receipt,) = [entry for entry in entries["120.01.001"] if entry.entry_id == f"aml:{paid_line}"]
    assert (receipt.kind, receipt.amount, receipt.open_amount, receipt.description) == (
        "collection",
        -1000,
        0,
        "Havale",
    )
    memo = first["credit_memo"]
    assert (memo.amount, memo.open_amount, memo.description) == (D("-250.75"), D("-250.75"), "Hasarlı ürün iadesi")
    assert memo.document_number == staff.read("account.invoice", note, ["number"])["number"]
    on_account = first["collection"]
    assert (on_account.amount, on_account.open_amount, on_account.posted_on) == (D("-500"), D("-500"), date.today())
    # The second customer's invoice was paid in full at the till: both lines reconciled, nothing open.
    settled = {entry.kind: entry for entry in entries["120.01.002"]}
    assert set(settled) == {"invoice", "collection"}
    assert settled["invoice"].amount == -settled["collection"].amount == D("231")
    assert settled["invoice"].open_amount == settled["collection"].open_amount == 0
    assert settled["invoice"].description == "Peşin satış"

    owed = balances(adapter)
    for customer, movements in entries.items():
        assert sum(entry.amount for entry in movements) == owed[customer], customer
    assert owed["120.01.001"] == D("3720") - 1000 - D("250.75") - 500


def test_a_delta_reads_new_lines_and_the_invoice_lines_a_payment_changed(fresh):
    adapter, staff, _proxy = fresh
    (full,) = adapter.read("ledger", full=True)
    assert full.complete and len(list(full.records)) == 3
    since = datetime.now(UTC) - timedelta(seconds=1)

    invoice, paid_line = partly_paid(staff, D("700"))

    (feed,) = adapter.read("ledger", since=since)
    changed = {entry.entry_id: entry for entry in feed.records}
    assert not feed.complete and "since=" in feed.source
    lines_to_pay = staff.read("account.invoice", invoice, ["lines_to_pay"])["lines_to_pay"]
    assert set(changed) == {f"aml:{paid_line}", *(f"aml:{line}" for line in lines_to_pay)}
    assert changed[f"aml:{lines_to_pay[0]}"].open_amount == D("3020")


def test_draft_entries_stay_off_the_statement(fresh):
    adapter, staff, _proxy = fresh
    party = staff.id_of("party.party", code="120.01.001")
    receivable = staff.read("account.configuration", 1, ["default_account_receivable"])["default_account_receivable"]
    staff.create(
        "account.move",
        {
            "journal": staff.id_of("account.journal", code="CASH"),
            "date": date.today(),
            "lines": [
                [
                    "create",
                    [
                        {"account": staff.id_of("account.account", code="1.1.1"), "debit": D(10), "credit": D(0)},
                        {"account": receivable, "party": party, "debit": D(0), "credit": D(10)},
                    ],
                ]
            ],
        },
    )
    assert sum(entry.amount for entry in ledger(adapter)["120.01.001"]) == D("3720")


# --- open orders -------------------------------------------------------------------------------------------------


def test_open_orders_are_sales_still_to_carry_out(fresh):
    adapter, staff, _proxy = fresh
    quoted = adapter.order_push(order("B2B-QUOTED"))
    confirmed = adapter.order_push(order("B2B-CONFIRMED"))
    staff.click("sale.sale", int(confirmed.document_id), "confirm")
    adapter.order_push(order("B2B-CANCELLED"))
    adapter.order_cancel(ErpCancel("B2B-CANCELLED"))
    invoiced = adapter.order_push(order("B2B-INVOICED"))
    staff.click("sale.sale", int(invoiced.document_id), "confirm")
    ship(staff, int(invoiced.document_id))
    for bill in staff.read("sale.sale", int(invoiced.document_id), ["invoices"])["invoices"]:
        staff.click("account.invoice", bill, "post")
    phone = int(adapter.order_push(order("TEL-55")).document_id)  # taken on the phone: not the portal's reference
    staff.create("sale.sale", {"party": staff.id_of("party.party", code="120.01.002"), "invoice_address": 3})
    # A portal order left as a draft (a connection whose order_state is draft): no number yet, but open.
    customer = staff.read("party.party", staff.id_of("party.party", code="120.01.001"), ["addresses"])
    staff.create(
        "sale.sale",
        {"party": customer["id"], "reference": "B2B-DRAFT", "invoice_address": customer["addresses"][0]},
    )

    found = {item.document_number: item for item in adapter.open_orders()}

    sales = {row["id"]: row for row in staff.search("sale.sale", [], ["number", "total_amount", "state"])}
    numbers = {sales[int(quoted.document_id)]["number"], sales[phone]["number"], confirmed.document_number}
    assert set(found) == {*numbers, ""}
    assert found[""].reference == "B2B-DRAFT"
    assert found[confirmed.document_number] == ErpOpenOrder(
        confirmed.document_number, "120.01.001", "B2B-CONFIRMED", sales[int(confirmed.document_id)]["total_amount"]
    )
    assert found[sales[phone]["number"]].reference == ""  # not the portal's: its reference lacks the prefix


def test_an_erp_error_answer_fails_the_read_with_the_contracts_error(fresh):
    adapter, _staff, proxy = fresh
    adapter.company()  # the user's context is asked once; the failures below are the reads' own
    proxy.answer_instead(503, b"<p>busy</p>", {"Retry-After": "2"})
    with pytest.raises(RetryableError):
        list(adapter.read("ledger"))
    proxy.answer_instead(403, b"<p>Forbidden</p>")
    with pytest.raises(PermanentError):
        list(adapter.open_orders())


# --- into the portal ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_imported_statements_add_up_to_the_receivables(tryton_server, monkeypatch):
    database = tryton_server.database("catalog")
    monkeypatch.setenv("TRYTON_LEDGER_KEY", PORTAL_KEY)
    connection = ErpConnection.objects.create(
        code="tryton",
        name="Tryton",
        adapter="tryton",
        is_default=True,
        credentials_ref="TRYTON_LEDGER",
        settings={"base_url": tryton_server.url, "database": database, "timeout_seconds": 20},
    )
    staff = StaffClient(tryton_server.url, database)
    try:
        partly_paid(staff, D("1200"))
        credit_note(staff, D("99.90"))
    finally:
        staff.close()

    for entity in ("price_list", "customer", "balance", "ledger"):
        run = sync_import(connection=connection, entity=entity, full=True)
        assert run.status == SyncRun.Status.SUCCEEDED, (entity, run.summary)

    dealers = Dealer.objects.filter(code__in=["120.01.001", "120.01.002"])
    assert dealers.count() == 2
    for dealer in dealers:
        statement = AccountEntry.objects.filter(dealer=dealer).aggregate(total=Sum("amount"))["total"]
        assert statement == dealer.erp_balance, dealer.code
    assert Dealer.objects.get(code="120.01.001").erp_balance == D("3720") - 1200 - D("99.90")
    assert AccountEntry.objects.get(dealer__code="120.01.001", kind="invoice").open_amount == D("2520")
