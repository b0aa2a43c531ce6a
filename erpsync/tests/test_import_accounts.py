from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from catalog.models import DealerAgreement
from dealers.models import Dealer, DealerAddress, DealerChange, DealerDocument, PaymentTerms, SalesRep
from dealers.tests.factories import DealerFactory, _valid_vkn
from erpsync.adapters.base import (
    DocumentKind,
    ErpAddress,
    ErpBalance,
    ErpCredit,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpOrderState,
    ErpOrderStatus,
    ErpPriceList,
)
from erpsync.importers import sync_import
from erpsync.importers.documents import path_to
from erpsync.models import ExternalRef, SyncIssue
from orders.models import StockReservation
from orders.services import cart_line_add
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, make_shop, place

pytestmark = pytest.mark.django_db
D = Decimal


def customer(code, n, **kw):
    address = ErpAddress("A1", "Merkez", "Atatürk Cad. 1", "İstanbul", is_default=True)
    values = {
        "title": f"Bayi {code}",
        "tax_number": _valid_vkn(n),
        "payment_terms_code": "30G",
        "payment_terms_days": 30,
        "sales_rep_code": "PL1",
        "sales_rep_name": "Ayşe",
        "addresses": (address,),
    }
    return ErpCustomer(code=code, **{**values, **kw})


def run(erp, entity, records, **kw):
    erp.publish(entity, records, **{k: v for k, v in kw.items() if k == "complete"})
    return sync_import(connection=erp.connection, entity=entity)


def test_customers_land_with_terms_rep_address_and_price_list(memory_erp):
    run(memory_erp, "price_list", [ErpPriceList("L1", "Bayi")])
    result = run(memory_erp, "customer", [customer("C1", 1, price_list_code="L1"), customer("C2", 2, parent_code="C1")])
    assert (result.created, result.failed) == (2, 0)
    c1, c2 = Dealer.objects.get(code="C1"), Dealer.objects.get(code="C2")
    assert c1.price_list.code == "L1" and c1.payment_terms.days == 30 and c1.sales_rep.name == "Ayşe"
    assert c2.parent == c1
    assert DealerAddress.objects.get(dealer=c1).line1 == "Atatürk Cad. 1"
    assert PaymentTerms.objects.count() == 1 and SalesRep.objects.count() == 1
    again = run(memory_erp, "customer", [customer("C1", 1, price_list_code="L1"), customer("C2", 2, parent_code="C1")])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_customer_matched_by_tax_number_never_by_name_and_bound(memory_erp):
    existing = DealerFactory(code="OLD-1", tax_number=_valid_vkn(7), title="Same Name Ltd")
    DealerFactory(code="OTHER", tax_number=_valid_vkn(8), title="Bayi NEW-1")
    result = run(memory_erp, "customer", [customer("NEW-1", 7)])
    assert (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.title == "Bayi NEW-1" and existing.code == "OLD-1"
    assert ExternalRef.objects.get(entity="customer", external_id="NEW-1").local_id == existing.pk


def test_customer_without_valid_tax_number_is_refused_and_quarantined(memory_erp):
    run(memory_erp, "customer", [customer("C1", 1)])
    result = run(memory_erp, "customer", [customer("C1", 1, tax_number="1234567891"), customer("C3", 3, tax_number="")])
    assert result.failed == 2 and result.deactivated == 0
    assert Dealer.objects.get(code="C1").status == Dealer.Status.QUARANTINED
    assert set(SyncIssue.objects.values_list("external_id", "code")) == {
        ("C1", "invalid_tax_number"),
        ("C3", "missing_tax_number"),
    }


def test_two_new_accounts_with_one_tax_number_are_both_held(memory_erp):
    result = run(memory_erp, "customer", [customer("C1", 5), customer("C2", 5)])
    assert result.created == 0 and not Dealer.objects.exists()
    assert SyncIssue.objects.filter(code="duplicate_tax_number").count() == 2


def test_missing_customer_is_deactivated_not_deleted(memory_erp):
    run(memory_erp, "customer", [customer("C1", 1), customer("C2", 2)])
    result = run(memory_erp, "customer", [customer("C1", 1)])
    assert result.deactivated == 1
    assert Dealer.objects.get(code="C2").status == Dealer.Status.INACTIVE


def test_balance_and_credit_overwrite_with_audit(memory_erp):
    dealer = DealerFactory(code="C1", credit_limit=D("1000"))
    as_of = timezone.now() - timedelta(minutes=5)
    run(
        memory_erp,
        "balance",
        [ErpBalance("C1", D("250.50"), open_orders=D("100"), as_of=as_of), ErpBalance("X", D("1"))],
    )
    run(memory_erp, "credit", [ErpCredit("C1", D("5000"), hold=True, hold_reason="Overdue", as_of=as_of)])
    dealer.refresh_from_db()
    assert (dealer.erp_balance, dealer.erp_open_orders, dealer.erp_balance_as_of) == (D("250.50"), D("100"), as_of)
    assert (dealer.credit_limit, dealer.credit_hold, dealer.credit_hold_reason) == (D("5000"), True, "Overdue")
    change = DealerChange.objects.get(dealer=dealer, field="credit_limit")
    assert (D(change.old_value), D(change.new_value), change.source) == (D("1000"), D("5000"), "erp")
    assert DealerChange.objects.filter(dealer=dealer, field="credit_hold").exists()
    assert SyncIssue.objects.get().code == "unknown_customer"


def test_negative_credit_limit_is_refused(memory_erp):
    DealerFactory(code="C1", credit_limit=D("1000"))
    result = run(memory_erp, "credit", [ErpCredit("C1", D("-1"))])
    assert result.failed == 1 and Dealer.objects.get(code="C1").credit_limit == D("1000")


def test_agreements_by_erp_code_and_deactivated_when_gone(memory_erp):
    dealer, product = make_shop()
    rows = [
        ErpCustomerPrice("AG1", dealer.code, "discount", D("5"), product_code=product.sku),
        ErpCustomerPrice("AG2", dealer.code, "fixed_price", D("80"), product_code=product.sku, currency="TRY"),
        ErpCustomerPrice("AG3", dealer.code, "discount", D("150"), product_code=product.sku),
    ]
    result = run(memory_erp, "agreement", rows)
    assert (result.created, result.failed) == (2, 1)
    result = run(memory_erp, "agreement", rows[:1])
    assert result.deactivated == 1
    assert not DealerAgreement.objects.get(code="AG2").is_active


def placed_order():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    return place(buyer), product


def test_order_status_walks_the_transition_map(memory_erp):
    order, _ = placed_order()
    result = run(
        memory_erp, "order_status", [ErpOrderStatus(order.number, ErpOrderState.SHIPPED, document_number="SO-9")]
    )
    order.refresh_from_db()
    assert result.updated == 1 and order.status == S.SHIPPED and order.erp_document_number == "SO-9"
    walk = list(order.status_changes.order_by("pk").values_list("to_status", flat=True))
    assert walk[-3:] == [S.SENT_TO_ERP, S.CONFIRMED, S.SHIPPED]
    # An older report arriving late changes nothing.
    result = run(memory_erp, "order_status", [ErpOrderStatus(order.number, ErpOrderState.OPEN)])
    order.refresh_from_db()
    assert result.unchanged == 1 and order.status == S.SHIPPED


def test_the_reason_the_dealer_reads_is_in_the_portals_language_whoever_runs_the_import(memory_erp, settings):
    settings.LANGUAGE_CODE = "tr"
    order, _ = placed_order()
    with translation.override("en"):  # an operator's command, or the worker, speaking English
        run(memory_erp, "order_status", [ErpOrderStatus(order.number, ErpOrderState.SHIPPED)])
    reasons = set(order.status_changes.filter(source="erp").values_list("reason", flat=True))
    with translation.override("tr"):
        assert reasons == {translation.gettext("Reported by the ERP.")} != {"Reported by the ERP."}


def test_order_status_for_unknown_or_cancelled_order_is_an_issue(memory_erp):
    order, _ = placed_order()
    from orders.services import order_transition

    order_transition(order=order, to_status=S.CANCELLED)
    run(
        memory_erp, "order_status", [ErpOrderStatus(order.number, ErpOrderState.SHIPPED), ErpOrderStatus("P-0", "open")]
    )
    assert set(SyncIssue.objects.values_list("code", flat=True)) == {"status_conflict", "unknown_order"}


def test_path_to():
    assert path_to(S.APPROVED, S.IN_FULFILMENT) == [S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT]
    assert path_to(S.SHIPPED, S.CONFIRMED) is None
    assert path_to(S.CONFIRMED, S.CONFIRMED) == []


def test_documents_land_linked_to_dealer_and_order(memory_erp):
    order, _ = placed_order()
    code = order.dealer.code
    delivery = ErpDocument(
        DocumentKind.DELIVERY,
        "IRS-1",
        code,
        date(2026, 11, 20),
        order_reference=order.number,
        carrier="Aras",
        tracking_number="123",
        tracking_url="https://kargo.example/123",
    )
    run(memory_erp, "delivery", [delivery])
    invoice = ErpDocument(
        DocumentKind.INVOICE, "FTR-1", code, date(2026, 11, 21), gross=D("240"), due_on=date(2026, 12, 21)
    )
    result = run(
        memory_erp, "invoice", [invoice, ErpDocument(DocumentKind.INVOICE, "FTR-2", "NOPE", date(2026, 11, 21))]
    )
    assert (result.created, result.failed) == (1, 1)
    doc = DealerDocument.objects.get(number="IRS-1")
    assert doc.order == order and doc.tracking_url.endswith("/123")
    result = run(memory_erp, "invoice", [invoice])
    assert result.unchanged == 1


def test_reservations_are_released_once_stock_is_newer_than_the_erp_confirmation(memory_erp):
    from erpsync.adapters.base import ErpStock

    order, product = placed_order()
    assert StockReservation.objects.filter(order=order, released_at__isnull=True).exists()
    run(memory_erp, "order_status", [ErpOrderStatus(order.number, ErpOrderState.OPEN)])
    warehouse = product.stock_levels.get().warehouse
    run(memory_erp, "stock", [ErpStock(product.sku, warehouse.code, D("10"), D("2"))])
    assert not StockReservation.objects.filter(order=order, released_at__isnull=True).exists()
    assert product.stock_levels.get().reserved_portal == 0


def test_reservations_stay_until_the_erp_confirms(memory_erp):
    from erpsync.adapters.base import ErpStock

    order, product = placed_order()
    warehouse = product.stock_levels.get().warehouse
    run(memory_erp, "stock", [ErpStock(product.sku, warehouse.code, D("10"))])
    assert StockReservation.objects.filter(order=order, released_at__isnull=True).exists()


def test_head_and_branch_sharing_a_tax_number_land_in_one_feed(memory_erp):
    result = run(memory_erp, "customer", [customer("H1", 11), customer("H1-B", 11, parent_code="H1")])
    assert (result.created, result.failed) == (2, 0)
    assert Dealer.objects.get(code="H1-B").parent == Dealer.objects.get(code="H1")


def test_new_branch_of_an_existing_head_is_created_not_matched_to_the_head(memory_erp):
    run(memory_erp, "customer", [customer("H1", 11)])
    result = run(memory_erp, "customer", [customer("H1", 11), customer("H1-B", 11, parent_code="H1", title="Şube")])
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    head = Dealer.objects.get(code="H1")
    assert head.title == "Bayi H1" and Dealer.objects.get(code="H1-B").parent == head
    assert not ExternalRef.objects.exists()


def test_branch_of_an_unknown_head_is_refused(memory_erp):
    result = run(memory_erp, "customer", [customer("B1", 12, parent_code="NOPE")])
    assert result.failed == 1 and SyncIssue.objects.get().code == "unknown_parent"


def test_staff_quarantine_survives_the_import_but_the_sync_lifts_its_own(memory_erp):
    run(memory_erp, "customer", [customer("C1", 1), customer("C2", 2)])
    Dealer.objects.filter(code="C1").update(status=Dealer.Status.QUARANTINED, status_reason="Dispute")
    run(memory_erp, "customer", [customer("C1", 1), customer("C2", 2, tax_number="1234567891")])
    assert Dealer.objects.get(code="C2").status == Dealer.Status.QUARANTINED
    run(memory_erp, "customer", [customer("C1", 1, title="Renamed"), customer("C2", 2)])
    c1, c2 = Dealer.objects.get(code="C1"), Dealer.objects.get(code="C2")
    assert (c1.status, c1.status_reason, c1.title) == (Dealer.Status.QUARANTINED, "Dispute", "Renamed")
    assert c2.status == Dealer.Status.ACTIVE
