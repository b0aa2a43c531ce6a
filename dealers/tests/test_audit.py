from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from b2bportal.bulk import rows_insert
from catalog.tests.factories import PriceListFactory
from dealers.audit import audit_text, dealer_changes_record_sql
from dealers.models import Dealer, DealerChange, PaymentTerms
from dealers.services import dealer_save
from dealers.tests.factories import DealerFactory

pytestmark = pytest.mark.django_db

FIELDS = ("credit_limit", "credit_hold", "price_list", "payment_terms", "status", "currency", "requires_manual_review")
STAGED = {
    "id": "bigint",
    "credit_limit": "numeric(16,2)",
    "credit_hold": "boolean",
    "price_list_id": "bigint",
    "payment_terms_id": "bigint",
    "status": "varchar(16)",
    "currency": "varchar(3)",
    "requires_manual_review": "boolean",
}


def _bulk(dealer: Dealer, **new) -> None:
    """The import's form: the new values staged in a table, audited in SQL before they are written."""
    names = list(STAGED)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS audit_new")
        cursor.execute(f"CREATE TEMPORARY TABLE audit_new ({', '.join(f'{c} {t}' for c, t in STAGED.items())})")
    values = {"id": dealer.pk, **{f"{k}_id" if k in ("price_list", "payment_terms") else k: v for k, v in new.items()}}
    rows_insert("audit_new", names, [tuple(values.get(c) for c in names)])
    for field in new:
        dealer_changes_record_sql(
            field=field, rows="audit_new", source=DealerChange.Source.ERP, reason="sync", now=timezone.now()
        )


def _rows(dealer: Dealer) -> set[tuple]:
    return set(
        DealerChange.objects.filter(dealer=dealer).values_list("field", "old_value", "new_value", "source", "reason")
    )


def test_the_same_change_audited_singly_and_in_bulk_gives_the_same_rows():
    old_list, new_list = PriceListFactory(), PriceListFactory()
    terms = PaymentTerms.objects.create(code="30G", name="30 gün", days=30)
    start = {"credit_limit": Decimal("1000"), "credit_hold": False, "price_list": old_list, "currency": "TRY"}
    single, bulk = DealerFactory(**start), DealerFactory(**start)
    change = {
        "credit_limit": Decimal("5000"),
        "credit_hold": True,
        "price_list": new_list,
        "payment_terms": terms,
        "status": Dealer.Status.QUARANTINED,
        "currency": "EUR",
        "requires_manual_review": True,
    }
    for field, value in change.items():
        setattr(single, field, value)
    dealer_save(dealer=single, source=DealerChange.Source.ERP, reason="sync")
    _bulk(bulk, **{k: (v.pk if hasattr(v, "pk") else v) for k, v in change.items()})

    assert _rows(single) == _rows(bulk)
    assert {row[0] for row in _rows(bulk)} == set(FIELDS)


def test_values_are_stored_in_one_format_whatever_the_database():
    # The import used to store the database's own spelling (1000 / 1 on SQLite, 1000.00 / true on PostgreSQL)
    # and a price list's id; staff saves stored an amount as typed.
    old_list, new_list = PriceListFactory(), PriceListFactory()
    dealer = DealerFactory(credit_limit=Decimal("1000"), credit_hold=False, price_list=old_list)
    _bulk(dealer, credit_limit=Decimal("5000"), credit_hold=True, price_list=None)
    rows = {row[0]: row[1:3] for row in _rows(dealer)}
    assert rows["credit_limit"] == ("1000.00", "5000.00")
    assert rows["credit_hold"] == ("False", "True")
    assert rows["price_list"] == (str(old_list), "")

    staff = DealerFactory(credit_limit=Decimal("1000.00"), price_list=None)
    staff.credit_limit, staff.price_list = Decimal("5000"), new_list
    dealer_save(dealer=staff)
    rows = {row[0]: row[1:3] for row in _rows(staff)}
    assert rows["credit_limit"] == ("1000.00", "5000.00")
    assert rows["price_list"] == ("", str(new_list))


def test_bulk_audit_writes_nothing_for_values_that_do_not_change():
    dealer = DealerFactory(credit_limit=Decimal("1000.00"), credit_hold=False)
    _bulk(dealer, credit_limit=Decimal("1000"), credit_hold=False)
    assert not DealerChange.objects.exists()


def test_the_audit_names_a_related_record_as_it_names_itself():
    price_list, head = PriceListFactory(), DealerFactory()
    branch = DealerFactory(price_list=price_list, parent=head, payment_terms=None)
    assert audit_text(branch, "price_list") == str(price_list)
    assert audit_text(branch, "parent") == str(head)
    assert audit_text(branch, "payment_terms") == ""
    assert audit_text(
        DealerFactory(payment_terms=PaymentTerms.objects.create(code="P", name="Peşin")), "payment_terms"
    ) == str(PaymentTerms.objects.get(code="P"))


def test_a_field_the_audit_cannot_store_is_refused():
    with pytest.raises(ValueError):
        dealer_changes_record_sql(
            field="created_at", rows="(SELECT 1 AS id)", source="erp", reason="", now=timezone.now()
        )
