"""The pricing policy: precedence, validity edges, VAT, currency, units, rounding and the explanation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import DealerAgreement, PriceList, Product
from catalog.prices import NoPrice, Price, QuotedPrice
from catalog.pricing import (
    PRICE_DATA_VERSION_KEY,
    DealerPricing,
    _Item,
    price_data_changed,
    price_data_version,
    price_for,
    prices_for,
)
from catalog.tests.factories import (
    BrandFactory,
    CategoryFactory,
    DealerAgreementFactory,
    ExchangeRateFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductUnitFactory,
    UnitFactory,
)
from dealers.tests.factories import DealerFactory

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 15)
D = Decimal


@pytest.fixture
def world(db):
    """One TRY list with breaks at 1 and 50, a product in a child category of a brand, and a dealer on the list."""
    price_list = PriceListFactory(code="TRY-B", currency="TRY")
    parent = CategoryFactory(name="Aydınlatma")
    child = CategoryFactory(name="Panel", parent=parent)
    brand = BrandFactory(name="Volta")
    product = ProductFactory(sku="P-1", category=child, brand=brand, vat_rate=D("20"))
    PriceListItemFactory(price_list=price_list, product=product, min_quantity=D("1"), price=D("120.00"))
    PriceListItemFactory(price_list=price_list, product=product, min_quantity=D("50"), price=D("114.00"))
    dealer = DealerFactory(price_list=price_list, currency="TRY")
    return type(
        "World",
        (),
        {
            "price_list": price_list,
            "parent": parent,
            "child": child,
            "brand": brand,
            "product": product,
            "dealer": dealer,
        },
    )


def agreement(world, **kwargs):
    kwargs.setdefault("dealer", world.dealer)
    if not {"product", "category", "brand"} & kwargs.keys():
        kwargs["product"] = world.product
    if kwargs.get("kind") == DealerAgreement.Kind.FIXED_PRICE:
        kwargs.setdefault("currency", "TRY")
    return DealerAgreementFactory(**kwargs)


# -- precedence, table-driven ------------------------------------------------------------------------------------

FIXED, DISCOUNT = DealerAgreement.Kind.FIXED_PRICE, DealerAgreement.Kind.DISCOUNT

PRECEDENCE_CASES = [
    # (case, agreements as (target, kind, value, extra), quantity, expected net)
    ("list price", [], 1, D("120.00")),
    ("below the first break is not a tier", [], 49, D("120.00")),
    ("tier at exactly 50", [], 50, D("114.00")),
    ("tier above 50", [], 500, D("114.00")),
    ("brand discount on the tier", [("brand", DISCOUNT, D("5"), {})], 50, D("108.30")),
    (
        "category discount beats brand",
        [("brand", DISCOUNT, D("5"), {}), ("child", DISCOUNT, D("10"), {})],
        1,
        D("108.00"),
    ),
    (
        "nearest category beats parent",
        [("parent", DISCOUNT, D("20"), {}), ("child", DISCOUNT, D("10"), {})],
        1,
        D("108.00"),
    ),
    ("parent category covers children", [("parent", DISCOUNT, D("20"), {})], 1, D("96.00")),
    ("product beats category", [("child", DISCOUNT, D("10"), {}), ("product", FIXED, D("99.50"), {})], 1, D("99.50")),
    ("fixed price ignores the tier", [("product", FIXED, D("99.50"), {})], 50, D("99.50")),
    ("agreement threshold not reached", [("product", DISCOUNT, D("10"), {"min_quantity": D("10")})], 9, D("120.00")),
    ("agreement threshold reached", [("product", DISCOUNT, D("10"), {"min_quantity": D("10")})], 10, D("108.00")),
    (
        "higher threshold wins within a target",
        [("product", DISCOUNT, D("10"), {}), ("product", DISCOUNT, D("15"), {"min_quantity": D("20")})],
        20,
        D("102.00"),
    ),
    ("ends today: still valid", [("product", DISCOUNT, D("10"), {"valid_to": ON})], 1, D("108.00")),
    ("ended yesterday", [("product", DISCOUNT, D("10"), {"valid_to": ON - dt.timedelta(days=1)})], 1, D("120.00")),
    ("starts today", [("product", DISCOUNT, D("10"), {"valid_from": ON})], 1, D("108.00")),
    ("starts tomorrow", [("product", DISCOUNT, D("10"), {"valid_from": ON + dt.timedelta(days=1)})], 1, D("120.00")),
    (
        "later start wins at the same threshold",
        [
            ("product", DISCOUNT, D("10"), {"valid_from": ON - dt.timedelta(days=30)}),
            ("product", DISCOUNT, D("3"), {"valid_from": ON - dt.timedelta(days=1)}),
        ],
        1,
        D("116.40"),
    ),
    ("discount rounds half up", [("product", DISCOUNT, D("0.5125"), {})], 1, D("119.39")),
]


@pytest.mark.parametrize(
    ("case", "agreements", "quantity", "expected"), PRECEDENCE_CASES, ids=[c[0] for c in PRECEDENCE_CASES]
)
def test_precedence(world, case, agreements, quantity, expected):
    targets = {
        "brand": {"brand": world.brand},
        "child": {"category": world.child},
        "parent": {"category": world.parent},
        "product": {"product": world.product},
    }
    for target, kind, value, extra in agreements:
        agreement(world, kind=kind, value=value, **targets[target], **extra)
    price = price_for(world.dealer, world.product, D(quantity), on=ON)
    assert price.exists, price
    assert price.net == expected
    assert price.gross == price.net + price.vat


def test_explanation_reads_as_the_chain_of_rules(world):
    agreement(world, brand=world.brand, kind=DISCOUNT, value=D("5"))
    price = price_for(world.dealer, world.product, D("50"), on=ON)
    with translation.override("en"):
        assert price.explanation == (
            "List price: ₺120.00 → tier ≥ 50: ₺114.00 → agreement −5 % on brand Volta: ₺108.30 → VAT 20%: ₺129.96"
        )
    with translation.override("tr"):
        assert price.explanation == (
            "Liste fiyatı: 120,00 ₺ → kademe ≥ 50: 114,00 ₺ → anlaşma (Volta markası) −%5: 108,30 ₺ → KDV %20: 129,96 ₺"
        )
    assert (price.net, price.vat, price.gross) == (D("108.30"), D("21.66"), D("129.96"))
    assert price.tier_min_quantity == D("50")
    assert price.agreement_id is not None


def test_no_price_list_means_no_price(world):
    world.dealer.price_list = None
    world.dealer.save()
    price = price_for(world.dealer, world.product, on=ON)
    assert not price.exists
    assert price.reason == "no_price_list"


def test_fixed_agreement_prices_a_product_without_a_list(world):
    world.dealer.price_list = None
    world.dealer.save()
    agreement(world, kind=FIXED, value=D("77.00"))
    price = price_for(world.dealer, world.product, on=ON)
    assert price.exists and price.net == D("77.00")
    assert price.price_list_code is None


def test_discount_without_a_list_price_is_no_price(world):
    other = ProductFactory(brand=world.brand)
    agreement(world, brand=world.brand, kind=DISCOUNT, value=D("5"))
    price = price_for(world.dealer, other, on=ON)
    assert isinstance(price, NoPrice)
    assert price.reason == "not_on_list"


def test_quantity_below_the_lowest_break_has_no_price(world):
    product = ProductFactory()
    PriceListItemFactory(price_list=world.price_list, product=product, min_quantity=D("10"), price=D("5"))
    price = price_for(world.dealer, product, D("9"), on=ON)
    assert price.reason == "below_lowest_break"
    assert price_for(world.dealer, product, D("10"), on=ON).net == D("5.00")


@pytest.mark.parametrize("quantity", [D("0"), D("-1")])
def test_quantity_must_be_above_zero(world, quantity):
    assert price_for(world.dealer, world.product, quantity, on=ON).reason == "invalid_quantity"


@pytest.mark.parametrize(
    ("window", "active", "priced"),
    [
        ((None, None), True, True),
        ((ON, ON), True, True),
        ((ON + dt.timedelta(days=1), None), True, False),
        ((None, ON - dt.timedelta(days=1)), True, False),
        ((None, None), False, False),
    ],
)
def test_price_list_validity_window(world, window, active, priced):
    world.price_list.valid_from, world.price_list.valid_to = window
    world.price_list.is_active = active
    world.price_list.save()
    price = price_for(world.dealer, world.product, on=ON)
    assert price.exists is priced
    if not priced:
        assert price.reason == "price_list_not_valid"


def test_successor_list_takes_over_on_its_start_date(world):
    successor = PriceListFactory(code="TRY-B-2027", supersedes=world.price_list, valid_from=ON)
    PriceListItemFactory(price_list=successor, product=world.product, price=D("130.00"))
    day_before = price_for(world.dealer, world.product, on=ON - dt.timedelta(days=1))
    assert (day_before.net, day_before.price_list_code) == (D("120.00"), "TRY-B")
    on_the_day = price_for(world.dealer, world.product, on=ON)
    assert (on_the_day.net, on_the_day.price_list_code) == (D("130.00"), "TRY-B-2027")


def test_successor_chain_and_inactive_successor(world):
    second = PriceListFactory(supersedes=world.price_list, valid_from=ON - dt.timedelta(days=10))
    third = PriceListFactory(supersedes=second, valid_from=ON - dt.timedelta(days=1), is_active=False)
    PriceListItemFactory(price_list=second, product=world.product, price=D("125"))
    PriceListItemFactory(price_list=third, product=world.product, price=D("999"))
    assert price_for(world.dealer, world.product, on=ON).net == D("125.00")


def test_vat_included_list_keeps_the_listed_gross(world):
    vat_list = PriceListFactory(code="TRY-K", vat_included=True)
    PriceListItemFactory(price_list=vat_list, product=world.product, price=D("100.00"))
    world.dealer.price_list = vat_list
    world.dealer.save()
    price = price_for(world.dealer, world.product, on=ON)
    assert (price.net, price.vat, price.gross) == (D("83.33"), D("16.67"), D("100.00"))
    assert price.gross_is_listed
    line = price.line(D("3"))
    assert (line.net, line.vat, line.gross) == (D("250.00"), D("50.00"), D("300.00"))


def test_vat_included_list_with_discount_works_from_net(world):
    vat_list = PriceListFactory(code="TRY-K", vat_included=True)
    PriceListItemFactory(price_list=vat_list, product=world.product, price=D("144.00"))
    world.dealer.price_list = vat_list
    world.dealer.save()
    agreement(world, kind=DISCOUNT, value=D("10"))
    price = price_for(world.dealer, world.product, on=ON)
    # 144 incl. 20 % = 120 net; −10 % = 108 net; VAT 21.60
    assert (price.net, price.vat, price.gross) == (D("108.00"), D("21.60"), D("129.60"))
    assert not price.gross_is_listed
    assert [s.kind for s in price.steps] == ["list", "without_vat", "agreement_discount", "vat"]


def test_usd_list_for_a_try_dealer_uses_the_latest_rate_on_or_before_the_day(world):
    usd_list = PriceListFactory(code="USD-A", currency="USD")
    PriceListItemFactory(price_list=usd_list, product=world.product, price=D("10.00"))
    world.dealer.price_list = usd_list
    world.dealer.save()
    ExchangeRateFactory(currency="USD", rate_date=ON - dt.timedelta(days=2), rate=D("34.000000"))
    ExchangeRateFactory(currency="USD", rate_date=ON - dt.timedelta(days=1), rate=D("34.123400"))
    ExchangeRateFactory(currency="USD", rate_date=ON + dt.timedelta(days=1), rate=D("99"))
    price = price_for(world.dealer, world.product, on=ON)
    assert price.currency == "TRY"
    assert price.net == D("341.23")
    assert (price.exchange_rate, price.exchange_rate_date) == (D("34.1234"), ON - dt.timedelta(days=1))
    with translation.override("en"):
        assert "USD→TRY at 34.1234" in price.explanation


def test_missing_or_stale_rate_means_no_price(world, settings):
    settings.B2B_EXCHANGE_RATE_MAX_AGE_DAYS = 7
    usd_list = PriceListFactory(code="USD-A", currency="USD")
    PriceListItemFactory(price_list=usd_list, product=world.product, price=D("10.00"))
    world.dealer.price_list = usd_list
    world.dealer.save()
    assert price_for(world.dealer, world.product, on=ON).reason == "no_exchange_rate"
    ExchangeRateFactory(currency="USD", rate_date=ON - dt.timedelta(days=8), rate=D("34"))
    assert price_for(world.dealer, world.product, on=ON).reason == "no_exchange_rate"
    ExchangeRateFactory(currency="USD", rate_date=ON - dt.timedelta(days=7), rate=D("34"))
    assert price_for(world.dealer, world.product, on=ON).net == D("340.00")


def test_cross_currency_goes_through_the_base_currency(world):
    usd_list = PriceListFactory(code="USD-A", currency="USD")
    PriceListItemFactory(price_list=usd_list, product=world.product, price=D("10.00"))
    eur_dealer = DealerFactory(price_list=usd_list, currency="EUR")
    ExchangeRateFactory(currency="USD", rate_date=ON, rate=D("34"))
    ExchangeRateFactory(currency="EUR", rate_date=ON - dt.timedelta(days=1), rate=D("40"))
    price = price_for(eur_dealer, world.product, on=ON)
    assert (price.currency, price.net, price.exchange_rate_date) == ("EUR", D("8.50"), ON - dt.timedelta(days=1))


def test_a_case_costs_factor_times_the_unit_price_unless_the_list_prices_it(world):
    case = ProductUnitFactory(product=world.product, factor=D("12")).unit
    price = price_for(world.dealer, world.product, D("1"), case, on=ON)
    assert (price.net, price.unit_code, price.unit_factor) == (D("1440.00"), "KOLI", D("12"))
    # 5 cases = 60 pieces: the ≥ 50 tier of the base-unit price applies
    assert price_for(world.dealer, world.product, D("5"), case, on=ON).net == D("1368.00")
    PriceListItemFactory(price_list=world.price_list, product=world.product, unit=case, price=D("1300.00"))
    listed = price_for(world.dealer, world.product, D("1"), case, on=ON)
    assert listed.net == D("1300.00")
    assert "pack" not in [s.kind for s in listed.steps]


def test_unit_not_sold_has_no_price(world):
    other_unit = UnitFactory(code="KG", name="Kilogram")
    assert price_for(world.dealer, world.product, D("1"), other_unit, on=ON).reason == "unit_not_sold"
    pack = ProductUnitFactory(
        product=world.product, factor=D("6"), is_sales_unit=False, unit=UnitFactory(code="PAKET", name="Paket")
    )
    assert price_for(world.dealer, world.product, D("1"), pack.unit, on=ON).reason == "unit_not_sold"


def test_fixed_price_agreement_in_another_currency_is_converted(world):
    agreement(world, kind=FIXED, value=D("3.00"), currency="USD")
    ExchangeRateFactory(currency="USD", rate_date=ON, rate=D("34.5"))
    price = price_for(world.dealer, world.product, on=ON)
    assert price.net == D("103.50")


def test_line_totals_round_once_per_line(world):
    product = ProductFactory(vat_rate=D("20"))
    PriceListItemFactory(price_list=world.price_list, product=product, price=D("0.3333"))
    price = price_for(world.dealer, product, D("1"), on=ON)
    assert price.net == D("0.33")
    line = price.line(D("1000"))
    assert (line.net, line.vat, line.gross) == (D("330.00"), D("66.00"), D("396.00"))


# -- properties --------------------------------------------------------------------------------------------------


@given(
    list_price=st.decimals(min_value=D("0.0001"), max_value=D("99999"), places=4),
    vat_included=st.booleans(),
    vat_rate=st.sampled_from([D("0"), D("1"), D("10"), D("18"), D("20")]),
    discount=st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("100"), places=4)),
    fixed=st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("99999"), places=4)),
    quantity=st.decimals(min_value=D("1"), max_value=D("10000"), places=0),
)
# The examples only read the fixture's rows; the inputs are set on the loaded pricing in memory.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_net_plus_vat_is_gross_for_any_combination(
    world, list_price, vat_included, vat_rate, discount, fixed, quantity
):
    pricing = DealerPricing(world.dealer, on=ON)
    pricing.price_list.vat_included = vat_included
    product = Product(
        pk=world.product.pk,
        sku="P-1",
        base_unit=world.product.base_unit,
        vat_rate=vat_rate,
        category_id=None,
        brand_id=world.brand.pk,
    )
    pricing._items[product.pk] = [_Item(None, D("1"), list_price)]
    pricing._by_product.clear()
    if fixed is not None:
        pricing._by_product[product.pk] = [
            DealerAgreement(pk=1, kind=FIXED, value=fixed, currency="TRY", min_quantity=D("1"), product=world.product)
        ]
    elif discount is not None:
        pricing._by_product[product.pk] = [
            DealerAgreement(pk=1, kind=DISCOUNT, value=discount, min_quantity=D("1"), product=world.product)
        ]
    price = pricing.price(product, quantity)
    assert isinstance(price, Price)
    for amount in (price.net, price.vat, price.gross):
        assert amount == amount.quantize(D("0.01"))
        assert amount >= 0
    assert price.net + price.vat == price.gross
    if vat_included and fixed is None and discount is None:
        assert price.gross == list_price.quantize(D("0.01"), rounding="ROUND_HALF_UP")
    line = price.line(quantity)
    assert line.net + line.vat == line.gross


# -- bulk ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def page_of_products(world):
    """30 products covering every path: breaks, agreements on each target, no price, VAT-included."""
    other_brand = BrandFactory()
    products = []
    for n in range(30):
        product = ProductFactory(
            category=world.child if n % 3 == 0 else world.parent,
            brand=world.brand if n % 2 else other_brand,
            vat_rate=[D("20"), D("10"), D("1")][n % 3],
            min_order_qty=D("1") if n % 4 else D("12"),
            order_multiple=D("1") if n % 4 else D("12"),
        )
        products.append(product)
        if n % 7 == 6:
            continue  # not on the list
        PriceListItemFactory(price_list=world.price_list, product=product, price=D(100 + n) + D("0.1234"))
        PriceListItemFactory(price_list=world.price_list, product=product, min_quantity=D("12"), price=D(90 + n))
    agreement(world, product=products[0], kind=FIXED, value=D("50"))
    agreement(world, product=products[6], kind=FIXED, value=D("60"))  # priced only by agreement
    agreement(world, category=world.child, kind=DISCOUNT, value=D("7.5"))
    agreement(world, brand=world.brand, kind=DISCOUNT, value=D("3"), min_quantity=D("12"))
    return products


def test_bulk_equals_single_for_every_product(world, page_of_products):
    bulk = prices_for(
        world.dealer, Product.objects.filter(pk__in=[p.pk for p in page_of_products]).select_related("base_unit"), on=ON
    )
    assert len(bulk) == 30
    assert any(not p.exists for p in bulk.values()) and any(p.exists for p in bulk.values())
    for product in page_of_products:
        single = price_for(world.dealer, product, product.min_order_qty, on=ON)
        assert bulk[product.pk] == single, product.sku


def test_bulk_query_count_does_not_grow_with_the_page(world, page_of_products):
    from django.db import connection

    def count(n):
        products = list(Product.objects.filter(pk__in=[p.pk for p in page_of_products[:n]]).select_related("base_unit"))
        with CaptureQueriesContext(connection) as ctx:
            prices_for(world.dealer, products, on=ON)
        return len(ctx.captured_queries)

    count(1)  # the category tree is loaded once, then cached
    assert count(3) == count(30) <= 3


def test_sql_price_expression_agrees_with_the_policy(world, page_of_products):
    """The SQL used to sort and hide gives NULL exactly where the policy gives no price, and the same amount to
    within a cent elsewhere."""
    pricing = DealerPricing(world.dealer, on=ON)
    rows = (
        Product.objects.filter(pk__in=[p.pk for p in page_of_products])
        .annotate(sql_price=pricing.net_price_expression())
        .select_related("base_unit")
    )
    for product in rows:
        price = pricing.price(product, product.min_order_qty)
        if not price.exists:
            assert product.sql_price is None, product.sku
        else:
            assert abs(product.sql_price - price.net) <= D("0.01"), product.sku


def test_sql_price_expression_without_any_price_source_is_null(world):
    world.dealer.price_list = None
    world.dealer.save()
    pricing = DealerPricing(world.dealer, on=ON)
    rows = Product.objects.filter(Q(pk=world.product.pk)).annotate(sql_price=pricing.net_price_expression())
    assert rows.get().sql_price is None


def test_priced_condition_is_true_exactly_where_the_policy_prices(world, page_of_products):
    """The cheap SQL used to hide unpriced products agrees with ``is_priced``, including the edges: a product-level
    discount over a brand-level fixed price without a list price (no price), and a fixed price in a currency
    without a rate (no price even though the list prices it)."""
    no_list = ProductFactory(brand=world.brand, category=None)
    agreement(world, product=no_list, kind=DISCOUNT, value=D("5"))
    agreement(world, brand=world.brand, kind=FIXED, value=D("70"), min_quantity=D("1"))
    listed_but_usd = ProductFactory(category=None)
    PriceListItemFactory(price_list=world.price_list, product=listed_but_usd, price=D("10"))
    agreement(world, product=listed_but_usd, kind=FIXED, value=D("1"), currency="USD")
    products = [*page_of_products, no_list, listed_but_usd]
    pricing = DealerPricing(world.dealer, on=ON)
    ids = [p.pk for p in products]
    priced_in_sql = set(
        Product.objects.filter(pk__in=ids).filter(pricing.priced_condition()).values_list("pk", flat=True)
    )
    loaded = Product.objects.filter(pk__in=ids).select_related("base_unit")
    pricing.prime(loaded)
    priced_in_python = {p.pk for p in loaded if pricing.is_priced(p)}
    assert priced_in_sql == priced_in_python
    # Offered means priced at the minimum, or priced by the list from a higher quantity.
    for product in loaded:
        price = pricing.price(product, product.min_order_qty)
        assert price.exists or product.pk not in priced_in_python or price.reason == "below_lowest_break"
    assert no_list.pk not in priced_in_sql and listed_but_usd.pk not in priced_in_sql
    assert len(priced_in_sql) > 20
    from_ten = ProductFactory(category=None, brand=None)
    PriceListItemFactory(price_list=world.price_list, product=from_ten, min_quantity=D("10"), price=D("5"))
    fresh = DealerPricing(world.dealer, on=ON)
    assert Product.objects.filter(pk=from_ten.pk).filter(fresh.priced_condition()).exists()


def test_priced_condition_without_agreements_or_list(world):
    pricing = DealerPricing(world.dealer, on=ON)
    assert Product.objects.filter(pricing.priced_condition()).count() == 1
    world.dealer.price_list = None
    world.dealer.save()
    assert not Product.objects.filter(DealerPricing(world.dealer, on=ON).priced_condition()).exists()


# -- a quote's price: the last step, in the one pricing path -----------------------------------------------------


def _quoted(world, **kwargs):
    return {(world.product.pk, None): QuotedPrice(reference="Q2026-000001/1", **kwargs)}


def test_a_quoted_net_price_replaces_the_rules_and_says_so(world):
    agreement(world, kind=DISCOUNT, value=D("10"))
    price = DealerPricing(world.dealer, on=ON, quoted=_quoted(world, net=D("90"))).price(world.product, D("5"))
    assert (price.net, price.vat, price.gross) == (D("90.00"), D("18.00"), D("108.00"))
    assert [s.kind for s in price.steps] == ["list", "agreement_discount", "quoted", "vat"]
    with translation.override("en"):
        assert "quoted price (Q2026-000001/1): ₺90.00" in price.explanation
    # Without the quote the same dealer pays the agreement's price.
    assert DealerPricing(world.dealer, on=ON).price(world.product, D("5")).net == D("108.00")


def test_a_quoted_discount_comes_off_the_normal_price_in_the_dealers_currency(world):
    usd_list = PriceListFactory(code="USD-Q", currency="USD")
    PriceListItemFactory(price_list=usd_list, product=world.product, price=D("10.00"))
    world.dealer.price_list = usd_list
    world.dealer.save()
    ExchangeRateFactory(currency="USD", rate_date=ON, rate=D("30"))
    price = DealerPricing(world.dealer, on=ON, quoted=_quoted(world, percent=D("10"))).price(world.product)
    assert (price.currency, price.net) == ("TRY", D("270.00"))
    assert [s.kind for s in price.steps] == ["list", "currency", "quote_discount", "vat"]


def test_a_quoted_net_price_prices_a_product_off_the_list_but_a_discount_does_not(world):
    other = ProductFactory(sku="P-2", vat_rate=D("20"))
    fixed = DealerPricing(world.dealer, on=ON, quoted={(other.pk, None): QuotedPrice("Q/1", net=D("12.5"))})
    assert fixed.price(other).net == D("12.50")
    discount = DealerPricing(world.dealer, on=ON, quoted={(other.pk, None): QuotedPrice("Q/1", percent=D("5"))})
    assert isinstance(discount.price(other), NoPrice) and discount.price(other).reason == "not_on_list"


def test_a_quoted_price_is_either_a_price_or_a_discount():
    with pytest.raises(ValueError):
        QuotedPrice("Q/1", net=D("1"), percent=D("1"))
    with pytest.raises(ValueError):
        QuotedPrice("Q/1")


def test_priced_condition_holds_inside_a_subquery(world):
    """The agreement CASE names the product's columns as the query aliases them, also as an inner query."""
    agreement(world, category=world.parent, kind=DISCOUNT, value=D("5"))
    unlisted = ProductFactory(category=world.child)
    agreement(world, product=unlisted, kind=FIXED, value=D("7"))
    pricing = DealerPricing(world.dealer, on=ON)
    inner = Product.objects.filter(pricing.priced_condition()).values("pk")
    assert set(Product.objects.filter(pk__in=inner).values_list("sku", flat=True)) == {"P-1", unlisted.sku}


# -- price lists and exchange rates kept per process under the price-data version -------------------------------


def _price_queries(dealer, *, currency="USD"):
    with CaptureQueriesContext(connection) as ctx:
        pricing = DealerPricing(dealer, on=ON)
        pricing.conversion(currency, "TRY")
    return [q["sql"] for q in ctx.captured_queries], pricing


def test_price_lists_and_rates_are_read_once_per_version(world):
    ExchangeRateFactory(currency="USD", rate_date=ON, rate=D("40"))
    _price_queries(world.dealer)
    queries, pricing = _price_queries(world.dealer)
    assert not [sql for sql in queries if "catalog_pricelist" in sql or "catalog_exchangerate" in sql]
    assert pricing.price_list == world.price_list and pricing.conversion("USD", "TRY")[0] == D("40")
    price_data_changed()
    queries, _pricing = _price_queries(world.dealer)
    assert [sql for sql in queries if "catalog_pricelist" in sql] and [
        sql for sql in queries if "catalog_exchangerate" in sql
    ]


def test_a_price_list_or_rate_saved_is_seen_at_once(world):
    assert price_for(world.dealer, world.product, on=ON).net == D("120.00")
    world.price_list.valid_to = ON - dt.timedelta(days=1)
    world.price_list.save()
    assert price_for(world.dealer, world.product, on=ON).reason == "price_list_not_valid"
    assert DealerPricing(world.dealer, on=ON).conversion("USD", "TRY") is None
    rate = ExchangeRateFactory(currency="USD", rate_date=ON, rate=D("40"))
    assert DealerPricing(world.dealer, on=ON).conversion("USD", "TRY")[0] == D("40")
    rate.delete()
    assert DealerPricing(world.dealer, on=ON).conversion("USD", "TRY") is None


def test_a_bulk_write_is_not_seen_until_the_version_is_bumped(world):
    """Bulk writes send no signals: the kept lists stay until the writer bumps the version, as importers do."""
    assert price_for(world.dealer, world.product, on=ON).exists
    PriceList.objects.filter(pk=world.price_list.pk).update(is_active=False)
    assert price_for(world.dealer, world.product, on=ON).exists
    price_data_changed()
    assert price_for(world.dealer, world.product, on=ON).reason == "price_list_not_valid"


def test_another_process_bumping_the_version_is_seen(world):
    assert price_for(world.dealer, world.product, on=ON).exists
    PriceList.objects.filter(pk=world.price_list.pk).update(is_active=False)
    cache.set(PRICE_DATA_VERSION_KEY, "changed-by-another-process")
    assert price_for(world.dealer, world.product, on=ON).reason == "price_list_not_valid"


def test_the_version_is_bumped_again_after_the_commit(world, django_capture_on_commit_callbacks):
    """Another process may read the lists between the change and its commit: the bump after the commit makes it
    read them again."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        price_data_changed()
    during = price_data_version()
    assert len(callbacks) == 1
    callbacks[0]()
    assert price_data_version() != during
