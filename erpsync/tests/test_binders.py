import pytest
from django.db import connection as db
from django.utils import timezone

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from erpsync.binders import (
    BindingConflict,
    bind,
    bind_missing,
    bindings,
    bound_join,
    to_external,
    to_external_many,
    to_internal,
    to_internal_many,
)
from erpsync.models import ErpConnection, ExternalRef

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp():
    return ErpConnection.objects.create(code="erp", name="ERP", adapter="file")


@pytest.fixture
def other():
    return ErpConnection.objects.create(code="other", name="Other ERP", adapter="file")


def test_bound_ids_are_found_both_ways(erp, other):
    bind(erp, "product", 7, "ITM-7")
    assert to_internal(erp, "product", "ITM-7") == 7
    assert to_external(erp, "product", 7) == "ITM-7"
    assert to_internal(erp.pk, "product", "ITM-7") == 7  # a connection id will do


def test_unknown_ids_are_none_and_bindings_do_not_leak_across_connections_or_entities(erp, other):
    bind(erp, "product", 7, "ITM-7")
    assert to_internal(erp, "product", "ITM-8") is None
    assert to_external(erp, "product", 8) is None
    assert to_internal(other, "product", "ITM-7") is None
    assert to_external(erp, "customer", 7) is None


def test_many_finds_the_bound_ones_in_one_query(erp, django_assert_num_queries):
    bind(erp, "product", 1, "A")
    bind(erp, "product", 2, "B")
    with django_assert_num_queries(1):
        assert to_internal_many(erp, "product", ["A", "B", "C"]) == {"A": 1, "B": 2}
    with django_assert_num_queries(1):
        assert to_external_many(erp, "product", [1, 3]) == {1: "A"}
    assert to_internal_many(erp, "product", []) == {}


def test_bind_is_idempotent_and_refreshes(erp):
    first = bind(erp, "order", 5, "SO-5")
    at = timezone.now()
    again = bind(erp, "order", 5, "SO-5", external_updated_at=at, payload_hash="abc")
    assert again.pk == first.pk
    assert ExternalRef.objects.count() == 1
    assert (again.external_updated_at, again.payload_hash) == (at, "abc")
    assert again.synced_at >= first.synced_at


def test_bind_refuses_an_erp_id_bound_to_another_record(erp):
    bind(erp, "product", 1, "A")
    with pytest.raises(BindingConflict) as refused:
        bind(erp, "product", 2, "A")
    assert refused.value.existing.local_id == 1
    assert to_internal(erp, "product", "A") == 1
    assert to_external(erp, "product", 2) is None


def test_bind_refuses_a_record_bound_to_another_erp_id(erp):
    bind(erp, "product", 1, "A")
    with pytest.raises(BindingConflict):
        bind(erp, "product", 1, "B")
    assert to_external(erp, "product", 1) == "A"
    assert to_internal(erp, "product", "B") is None


def test_rebinding_moves_only_the_side_it_is_told_to(erp):
    bind(erp, "order", 1, "SO-1")
    bind(erp, "order", 1, "SO-1b", rebind_internal=True)  # the ERP filed the order again
    assert to_external(erp, "order", 1) == "SO-1b"
    assert to_internal(erp, "order", "SO-1") is None
    bind(erp, "product", 1, "X")
    bind(erp, "product", 2, "X", rebind_external=True)  # staff mapped the code to the right product
    assert to_internal(erp, "product", "X") == 2
    assert to_external(erp, "product", 1) is None
    bind(erp, "product", 3, "Y")
    with pytest.raises(BindingConflict):  # 2 already has X: moving Y onto it is not asked for
        bind(erp, "product", 2, "Y", rebind_external=True)
    assert to_internal(erp, "product", "Y") == 3


def test_rebinding_both_sides_leaves_one_binding(erp):
    bind(erp, "product", 1, "A")
    bind(erp, "product", 2, "B")
    bind(erp, "product", 1, "B", rebind_internal=True, rebind_external=True)
    assert to_internal_many(erp, "product", ["A", "B"]) == {"B": 1}
    assert to_external(erp, "product", 2) is None


def test_bindings_queryset_scopes_by_entity_and_connection(erp, other):
    bind(erp, "order", 1, "SO-1")
    bind(other, "order", 2, "SO-2")
    bind(erp, "product", 1, "A")
    assert set(bindings("order").values_list("local_id", flat=True)) == {1, 2}
    assert list(bindings("order", connection=erp).values_list("local_id", flat=True)) == [1]


def _resolve(erp, codes):
    joins, product_id = bound_join(erp.pk, "product", Product, "sku", "v.code", "p")
    values = " UNION ALL ".join(f"SELECT '{c}' AS code" for c in codes)
    with db.cursor() as cursor:
        cursor.execute(f"SELECT v.code, {product_id} FROM ({values}) v {joins} ORDER BY v.code")  # noqa: S608
        return dict(cursor.fetchall())


def test_bound_join_prefers_the_binding_then_the_natural_key(erp, other):
    mapped, by_sku = ProductFactory(sku="PORTAL-1"), ProductFactory(sku="ITM-2")
    bind(erp, "product", mapped.pk, "ITM-1")
    bind(other, "product", by_sku.pk, "ITM-9")  # another connection's binding is not ours
    assert _resolve(erp, ["ITM-1", "ITM-2", "ITM-9"]) == {"ITM-1": mapped.pk, "ITM-2": by_sku.pk, "ITM-9": None}


def test_bind_missing_binds_free_pairs_and_leaves_bound_ones(erp):
    bind(erp, "customer", 1, "C-1")
    pairs = "SELECT 1 AS local_id, 'C-1b' AS external_id UNION ALL SELECT 2, 'C-1' UNION ALL SELECT 3, 'C-3'"  # clashes
    recorded = bind_missing(erp.pk, "customer", f"SELECT * FROM ({pairs}) x WHERE TRUE", {"now": timezone.now()})  # noqa: S608
    assert recorded == 1
    assert to_internal_many(erp, "customer", ["C-1", "C-1b", "C-3"]) == {"C-1": 1, "C-3": 3}


def test_bind_missing_refuses_an_entity_that_is_not_an_identifier(erp):
    with pytest.raises(ValueError):
        bind_missing(erp.pk, "customer'; --", "SELECT 1 AS local_id, 'x' AS external_id", {"now": timezone.now()})
