from datetime import date
from decimal import Decimal

import pytest

from dealers.models import AccountEntry, Dealer
from dealers.tests.factories import DealerFactory
from erpsync.adapters.base import ErpLedgerEntry
from erpsync.importers import sync_import
from erpsync.models import SyncIssue

pytestmark = pytest.mark.django_db
D = Decimal


def entry(entry_id, amount, kind="invoice", customer="C1", posted_on=date(2026, 3, 1), **kw):
    return ErpLedgerEntry(entry_id, customer, posted_on, kind, D(amount), **kw)


def run(erp, records, complete=False):
    erp.publish("ledger", records, complete=complete)
    return sync_import(connection=erp.connection, entity="ledger")


def test_movements_land_on_the_dealer_and_update_in_place(memory_erp):
    dealer = DealerFactory(code="C1")
    first = run(
        memory_erp,
        [
            entry("J1", "0", kind="opening", posted_on=date(2026, 1, 1)),
            entry("J2", "1200.00", document_number="F-1", due_on=date(2026, 3, 31), open_amount=D("200.00")),
            entry("J3", "-1000.00", kind="collection", description="EFT"),
        ],
    )
    assert (first.created, first.failed) == (3, 0)
    assert list(AccountEntry.objects.filter(dealer=dealer).order_by("erp_id").values_list("erp_id", "amount")) == [
        ("J1", D("0.00")),
        ("J2", D("1200.00")),
        ("J3", D("-1000.00")),
    ]
    assert Dealer.objects.get(pk=dealer.pk).ledger_as_of is not None
    again = run(memory_erp, [entry("J2", "1200.00", document_number="F-1", due_on=date(2026, 3, 31), open_amount=D(0))])
    assert (again.created, again.updated) == (0, 1)
    assert AccountEntry.objects.get(erp_id="J2").open_amount == D("0.00")
    assert AccountEntry.objects.count() == 3  # a feed of changes removes nothing


def test_a_complete_ledger_removes_movements_the_erp_no_longer_holds(memory_erp):
    DealerFactory(code="C1")
    run(memory_erp, [entry("J1", "100"), entry("J2", "50")])
    result = run(memory_erp, [entry("J1", "100")], complete=True)
    assert result.deactivated == 1
    assert list(AccountEntry.objects.values_list("erp_id", flat=True)) == ["J1"]


def test_refused_movements_say_why(memory_erp):
    DealerFactory(code="C1", currency="TRY")
    result = run(
        memory_erp,
        [
            entry("J1", "100", customer="NOPE"),
            entry("J2", "100", currency="USD"),
            entry("J3", "-100", kind="invoice"),
            entry("J4", "100", kind="payment"),
            entry("J5", "100", open_amount=D("150")),
            entry("J6", "100"),
        ],
    )
    assert result.created == 1 and result.failed == 5
    codes = dict(SyncIssue.objects.filter(entity="ledger").values_list("external_id", "code"))
    assert codes == {
        "J1": "unknown_customer",
        "J2": "currency_mismatch",
        "J3": "wrong_sign",
        "J4": "unknown_kind",
        "J5": "invalid_open_amount",
    }
