"""Every admin page opens for staff, the audit and money models refuse hand edits, and changelists are set-based."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import DealerAgreement, ExchangeRate, ProductUnit, StockAlert, Unit
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.models import (
    AccountEntry,
    Dealer,
    DealerChange,
    DealerIban,
    DealerInvitation,
    DealerUser,
    PaymentTerms,
    SalesRep,
)
from dealers.services import dealer_save
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from erpsync.models import (
    ApiToken,
    ErpConnection,
    ExternalRef,
    ReconciliationExport,
    SyncCursor,
    SyncIssue,
    SyncJob,
    SyncRun,
    ValueMap,
    WebhookDelivery,
)
from notifications.models import Notification, NotificationPreference
from orders.models import (
    Cart,
    CartLine,
    DealerItemCode,
    EdiMessage,
    Order,
    OrderStatusChange,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteVersion,
    RecurringOrder,
    RecurringRun,
)
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, OrderLineFactory
from payments.models import (
    Allocation,
    BankCsvProfile,
    BankStatement,
    BankTransaction,
    Payment,
    PaymentLink,
    StatementImport,
)

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
PORTAL_APPS = {"dealers", "catalog", "orders", "payments", "erpsync", "notifications"}
PORTAL_MODELS = [model for model in REGISTERED if model._meta.app_label in PORTAL_APPS]

# Records that are written only by services (placement, transitions, gateways, imports, the sync) or are
# audit trails: the admin has no add page for them.
ADD_DISABLED = {
    "catalog.StockLevel",
    "catalog.StockAlert",
    "dealers.DealerChange",
    "dealers.AccountEntry",
    "dealers.DealerInvitation",
    "orders.Order",
    "orders.HeldOrder",
    "orders.OrderLine",
    "orders.OrderStatusChange",
    "orders.Quote",
    "orders.EdiMessage",
    "orders.RecurringOrder",
    "orders.RecurringRun",
    "payments.Payment",
    "payments.BankStatement",
    "payments.BankTransaction",
    "payments.StatementImport",
    "payments.UnmatchedTransfer",
    "payments.Allocation",
    "erpsync.SyncRun",
    "erpsync.SyncJob",
    "erpsync.SyncIssue",
    "erpsync.WebhookDelivery",
    "erpsync.ApiToken",
    "notifications.Notification",
    "api.WebhookEndpoint",
    "api.WebhookDelivery",
    # django-axes' login records, django-q2's task results and queue
    "axes.AccessAttempt",
    "axes.AccessFailureLog",
    "axes.AccessLog",
    "django_q.Failure",
    "django_q.OrmQ",
    "django_q.Success",
}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def changeform_data(response) -> dict:
    """The POST a browser sends for the admin change form in ``response`` when nothing is edited."""
    data: dict = {}
    all_forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        all_forms.append(inline.formset.management_form)
        all_forms.extend(inline.formset.forms)
    for form in all_forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(field.widget, forms.MultiWidget):
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else part
            else:
                data[bound.html_name] = "" if value is None else value
    return data


@pytest.fixture
def one_of_each(db, superuser):
    """At least one row of every portal model, linked the way real data is."""
    rep = SalesRep.objects.create(code="S01", name="Ayşe Yılmaz")
    terms = PaymentTerms.objects.create(code="N30", name="Net 30", days=30)
    price_list = PriceListFactory()
    dealer = DealerFactory(sales_rep=rep, payment_terms=terms, price_list=price_list)
    member = DealerUserFactory(dealer=dealer)
    DealerInvitation.objects.create(dealer_user=member, invited_by=superuser, expires_at=timezone.now())
    address = DealerAddressFactory(dealer=dealer)
    DealerIban.objects.create(dealer=dealer, iban="TR330006100519786457841326")
    dealer.credit_limit = Decimal("150000.00")
    dealer_save(dealer=dealer, actor=superuser, reason="test")

    product = ProductFactory()
    case = Unit.objects.create(code="KOLI", name="Koli", name_en="Case")
    ProductUnit.objects.create(product=product, unit=case, factor=Decimal("12"))
    StockLevelFactory(product=product)
    PriceListItemFactory(price_list=price_list, product=product)
    DealerAgreement.objects.create(
        dealer=dealer, category=product.category, kind=DealerAgreement.Kind.DISCOUNT, value=Decimal("5")
    )
    ExchangeRate.objects.create(currency="EUR", rate_date=timezone.localdate(), rate=Decimal("35.5"))
    StockAlert.objects.create(user=member.user, dealer=dealer, product=product, requested_at=timezone.now())
    DealerItemCode.objects.create(dealer=dealer, code="BAYI-001", product=product)

    order = OrderFactory(dealer=dealer, placed_by=superuser, delivery_address=address)
    OrderLineFactory(order=order, product=product)
    held = OrderFactory(
        dealer=dealer, status=OrderStatus.ON_HOLD, hold_reasons=[{"rule": "manual_review", "action": "hold"}]
    )
    OrderLineFactory(order=held, product=product)
    OrderStatusChange.objects.create(
        order=order, from_status=OrderStatus.DRAFT, to_status=OrderStatus.SUBMITTED, actor=superuser
    )
    cart = Cart.objects.create(dealer=dealer, owner=superuser)
    CartLine.objects.create(cart=cart, product=product, quantity=Decimal("2"))
    quote = Quote.objects.create(number="Q2026-000001", dealer=dealer, requested_by=superuser)
    version = QuoteVersion.objects.create(quote=quote, number=1)
    QuoteLine.objects.create(version=version, line_no=1, product=product, quantity=Decimal("5"))
    QuoteEvent.objects.create(quote=quote, action="requested", to_status="requested", actor=superuser)
    saved = Cart.objects.create(dealer=dealer, owner=superuser, kind=Cart.Kind.SAVED, name="Weekly")
    recurring = RecurringOrder.objects.create(
        dealer=dealer, owner=superuser, saved_list=saved, start_date=date(2026, 1, 5), delivery_address=address
    )
    RecurringRun.objects.create(recurring=recurring, run_on=date(2026, 1, 5), outcome="placed", order=order)
    EdiMessage.objects.create(
        format=EdiMessage.Format.EDIFACT,
        channel=EdiMessage.Channel.API,
        status=EdiMessage.Status.ACCEPTED,
        dealer=dealer,
        sender="8690000000001",
        reference="REF-1",
        order=order,
        payload="UNA:+.? 'UNB+UNOC:3+8690000000001:14+8690000000002:14+261207:1200+REF-1'",
    )
    RecurringRun.objects.create(
        recurring=recurring, run_on=date(2026, 1, 12), outcome="skipped", reasons=[{"rule": "credit_hold"}]
    )

    payment = Payment.objects.create(
        dealer=dealer, order=order, method=Payment.Method.CARD, gateway="sim", amount=Decimal("1200.00")
    )
    PaymentLink.objects.create(dealer=dealer, amount=Decimal("500.00"), expires_at=timezone.now() + timedelta(days=3))
    statement = BankStatement.objects.create(
        account_iban="TR320010009999901234567890", format="csv", file_sha256="a" * 64
    )
    transaction = BankTransaction.objects.create(
        statement=statement,
        account_iban=statement.account_iban,
        booking_date=timezone.localdate(),
        amount=Decimal("800.00"),
        counterparty_name=dealer.title,
        fingerprint="f" * 64,
    )
    Allocation.objects.create(dealer=dealer, bank_transaction=transaction, amount=Decimal("800.00"))
    StatementImport.objects.create(
        file_name="ekstre-mart.sta", size=900_000, format="mt940", status=StatementImport.Status.DONE,
        rows_total=12_000, rows_done=12_000, summary="Created 5,800 lines.", statement=statement,
    )  # fmt: skip
    BankCsvProfile.objects.create(
        name="bank-a", settings={"columns": {"booking_date": "Tarih", "amount": "Tutar", "description": "Açıklama"}}
    )
    Allocation.objects.create(dealer=dealer, payment=payment, order=order, amount=Decimal("1200.00"))

    erp = ErpConnection.objects.create(code="sim", name="Simulator", adapter="file")
    ExternalRef.objects.create(connection=erp, entity="product", local_id=product.pk, external_id="ITM-1")
    ValueMap.objects.create(connection=erp, kind=ValueMap.Kind.UNIT, external_value="AD", local_value="ADET")
    SyncCursor.objects.create(connection=erp, entity="product", watermark=timezone.now())
    run = SyncRun.objects.create(connection=erp, entity="product", finished_at=timezone.now() + timedelta(seconds=75))
    job = SyncJob.objects.create(
        connection=erp, kind=SyncJob.Kind.ORDER_EXPORT, identity_key=f"order:{order.number}", object_id=order.pk
    )
    SyncIssue.objects.create(
        connection=erp, run=run, job=job, entity="product", external_id="ITM-2", code="unknown_unit", message="Unit XX?"
    )
    ReconciliationExport.objects.create(report=ReconciliationExport.Report.BALANCES, requested_by=superuser)
    WebhookDelivery.objects.create(connection=erp, digest="0" * 64, resource="product", action="update", record_id="7")
    ApiToken.objects.create(key="parasut:115:client:user", expires_at=timezone.now(), version=1)
    Notification.objects.create(
        kind="order_approved", key=f"order_approved:1:u:{superuser.pk}", recipient=superuser, email=superuser.email,
        language="tr", params={"order_id": order.pk}, url="/orders/",
    )  # fmt: skip
    NotificationPreference.objects.create(user=superuser, kind="order_approved", email=False)
    AccountEntry.objects.create(
        connection=erp,
        erp_id="JE-1",
        dealer=dealer,
        kind=AccountEntry.Kind.INVOICE,
        posted_on=timezone.localdate(),
        document_number="GIB2026000000001",
        amount=Decimal("1180.00"),
        as_of=timezone.now(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_opens(staff_client, model):
    response = staff_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_add_page_opens_unless_add_is_disabled(staff_client, model):
    response = staff_client.get(admin_url(model, "add"))

    assert response.status_code == (403 if model._meta.label in ADD_DISABLED else 200)


@pytest.mark.parametrize("model", PORTAL_MODELS, ids=lambda model: model._meta.label)
def test_changelist_and_change_page_open_with_data(staff_client, one_of_each, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the fixture made no {model._meta.label}"

    listing = staff_client.get(admin_url(model, "changelist"))
    page = staff_client.get(admin_url(model, "change", obj.pk))

    assert listing.status_code == 200
    assert listing.context["cl"].result_count >= 1
    assert page.status_code == 200


def test_audit_rows_cannot_be_edited_or_deleted(staff_client, one_of_each):
    change = DealerChange.objects.get()

    post = staff_client.post(admin_url(DealerChange, "change", change.pk), {"new_value": "0"})
    delete = staff_client.post(admin_url(DealerChange, "delete", change.pk), {"post": "yes"})

    assert post.status_code == 403
    assert delete.status_code == 403
    change.refresh_from_db()
    assert change.new_value == "150000.00"


def test_order_status_and_totals_are_read_only(staff_client, one_of_each):
    order = Order.objects.get(status=OrderStatus.SUBMITTED)
    page = staff_client.get(admin_url(Order, "change", order.pk))
    form_fields = page.context["adminform"].form.fields
    assert "status" not in form_fields
    assert "total_gross" not in form_fields
    data = changeform_data(page)
    data.update(status=OrderStatus.CANCELLED, total_gross="0", note="Call before delivery")

    response = staff_client.post(admin_url(Order, "change", order.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    order.refresh_from_db()
    assert order.note == "Call before delivery"
    assert order.status == OrderStatus.SUBMITTED
    assert order.total_gross == Decimal("1200.00")
    assert order.status_changes.count() == 1


def test_payment_link_records_who_created_it(staff_client, superuser, db):
    dealer = DealerFactory()
    expires = timezone.localtime() + timedelta(days=7)

    response = staff_client.post(
        admin_url(PaymentLink, "add"),
        {
            "dealer": dealer.pk,
            "amount": "2500.00",
            "currency": "TRY",
            "description": "March invoices",
            "invoice_numbers": "[]",
            "expires_at_0": expires.date().isoformat(),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    link = PaymentLink.objects.get()
    assert link.created_by == superuser
    assert link.status == PaymentLink.Status.ACTIVE


def _changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == model._default_manager.count()
    return len(queries)


def _dealer_with_terms(n: int):
    rep = SalesRep.objects.create(code=f"S{n:03d}", name=f"Rep {n}")
    return DealerFactory(sales_rep=rep, price_list=PriceListFactory())


def test_dealer_changelist_queries_do_not_grow_with_rows(staff_client):
    for n in range(2):
        _dealer_with_terms(n)
    staff_client.get(admin_url(Dealer, "changelist"))  # the first request warms the session and caches
    two = _changelist_queries(staff_client, Dealer)

    for n in range(2, 20):
        _dealer_with_terms(n)
    twenty = _changelist_queries(staff_client, Dealer)

    assert twenty == two


def test_order_changelist_queries_do_not_grow_with_rows(staff_client):
    for n in range(2):
        OrderFactory(dealer=_dealer_with_terms(n))
    staff_client.get(admin_url(Order, "changelist"))
    two = _changelist_queries(staff_client, Order)

    for n in range(2, 20):
        OrderFactory(dealer=_dealer_with_terms(n))
    twenty = _changelist_queries(staff_client, Order)

    assert twenty == two


def test_dealer_user_changelist_queries_do_not_grow_with_rows(staff_client, superuser):
    def member_with_invitation():
        member = DealerUserFactory()
        DealerInvitation.objects.create(dealer_user=member, invited_by=superuser, expires_at=timezone.now())

    for _n in range(2):
        member_with_invitation()
    staff_client.get(admin_url(DealerUser, "changelist"))
    two = _changelist_queries(staff_client, DealerUser)

    for _n in range(2, 20):
        member_with_invitation()
    twenty = _changelist_queries(staff_client, DealerUser)

    assert twenty == two


def test_a_role_changed_on_the_dealer_page_is_audited(staff_client, superuser, one_of_each):
    member = DealerUser.objects.get()
    dealer = member.dealer
    page = staff_client.get(admin_url(Dealer, "change", dealer.pk))
    data = changeform_data(page)
    prefix = next(key for key, value in data.items() if key.endswith("-role") and value == member.role)
    data[prefix] = DealerUser.Role.BUYER

    response = staff_client.post(admin_url(Dealer, "change", dealer.pk), data)

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == DealerUser.Role.BUYER
    row = DealerChange.objects.get(field="user_role")
    assert (row.subject, row.old_value, row.new_value, row.actor) == (member.user.email, "admin", "buyer", superuser)
