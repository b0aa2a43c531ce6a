"""The dealer catalogue and product pages: own prices only, visibility, filters, sort, paging, query counts."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import DealerAgreement, Product
from catalog.pricing import prices_for
from catalog.tests.factories import (
    BrandFactory,
    CategoryFactory,
    DealerAgreementFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    StockLevelFactory,
)
from dealers.tests.factories import DealerUserFactory

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/catalog/"


@pytest.fixture
def shop(dealer_client):
    dealer = dealer_client.dealer_user.dealer
    dealer.price_list = PriceListFactory(code="TRY-A")
    dealer.save()
    return dealer


def listed(shop, **product_kwargs):
    product = ProductFactory(**product_kwargs)
    PriceListItemFactory(price_list=shop.price_list, product=product, price=D("100"))
    return product


def skus(response):
    return [row.product.sku for row in response.context["page"].rows]


def test_needs_a_signed_in_dealer(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_shows_the_dealers_own_price_and_not_another_dealers_agreement(dealer_client, shop):
    product = listed(shop, sku="A-1")
    other = DealerUserFactory()
    other.dealer.price_list = shop.price_list
    other.dealer.save()
    DealerAgreementFactory(
        dealer=other.dealer, product=product, kind=DealerAgreement.Kind.FIXED_PRICE, value=D("1.00"), currency="TRY"
    )
    response = dealer_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "₺100.00" in html and "₺120.00" in html
    assert "₺1.00" not in html


def test_unpriced_products_hidden_or_on_request(dealer_client, shop, settings):
    listed(shop, sku="PRICED")
    ProductFactory(sku="UNPRICED")
    settings.B2B_UNPRICED_PRODUCTS = "hide"
    assert skus(dealer_client.get(URL)) == ["PRICED"]
    assert dealer_client.get(reverse("catalog:product_detail", args=["UNPRICED"])).status_code == 404
    settings.B2B_UNPRICED_PRODUCTS = "on_request"
    response = dealer_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert skus(response) == ["PRICED", "UNPRICED"]
    assert "Price on request" in response.content.decode()
    assert response.content.decode().count('data-testid="add-to-cart"') == 1


def test_inactive_products_and_categories_are_not_shown(dealer_client, shop):
    listed(shop, sku="OK")
    listed(shop, sku="Q", status=Product.Status.QUARANTINED)
    listed(shop, sku="OFF", category=CategoryFactory(parent=CategoryFactory(is_active=False)))
    assert skus(dealer_client.get(URL)) == ["OK"]
    assert dealer_client.get(reverse("catalog:product_detail", args=["Q"])).status_code == 404


def test_filters_category_with_children_brand_and_stock(dealer_client, shop):
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    brand = BrandFactory()
    a = listed(shop, sku="A", category=child, brand=brand)
    listed(shop, sku="B", category=root)
    listed(shop, sku="C")
    StockLevelFactory(product=a, on_hand=D("5"))
    assert skus(dealer_client.get(URL, {"category": root.pk})) == ["A", "B"]
    assert skus(dealer_client.get(URL, {"category": child.pk})) == ["A"]
    assert skus(dealer_client.get(URL, {"brand": brand.pk})) == ["A"]
    assert skus(dealer_client.get(URL, {"in_stock": "on"})) == ["A"]


def test_search_and_sorting(dealer_client, shop):
    cheap = ProductFactory(sku="S-1", name="Beta vida", name_en="Beta screw")
    dear = ProductFactory(sku="S-2", name="Alfa vida", name_en="Alpha screw")
    ProductFactory(sku="S-3", name="Somun", name_en="Nut")
    PriceListItemFactory(price_list=shop.price_list, product=cheap, price=D("100"))
    PriceListItemFactory(price_list=shop.price_list, product=dear, price=D("150"))
    DealerAgreementFactory(dealer=shop, product=dear, kind=DealerAgreement.Kind.DISCOUNT, value=D("50"))
    assert skus(dealer_client.get(URL, {"q": "vida", "sort": "name"})) == ["S-2", "S-1"]
    # Alfa: 150 − 50 % = 75 is cheaper than Beta's 100; the agreement counts in the sort.
    assert skus(dealer_client.get(URL, {"q": "vida", "sort": "price"})) == ["S-2", "S-1"]
    assert skus(dealer_client.get(URL, {"q": "vida", "sort": "price_desc"})) == ["S-1", "S-2"]


def test_price_sort_follows_the_policy_on_a_mixed_page(dealer_client, shop):
    for n in range(12):
        product = listed(shop, sku=f"M-{n:02d}")
        PriceListItemFactory(price_list=shop.price_list, product=product, min_quantity=D("10"), price=D(50 + n))
        if n % 3 == 0:
            DealerAgreementFactory(dealer=shop, product=product, kind=DealerAgreement.Kind.DISCOUNT, value=D(n * 4))
    response = dealer_client.get(URL, {"sort": "price", "per_page": 24})
    nets = [row.price.net for row in response.context["page"].rows]
    assert nets == sorted(nets)
    assert len(set(nets)) > 3


def test_pages_know_whether_another_follows(dealer_client, shop):
    for n in range(30):
        listed(shop, sku=f"P-{n:02d}")
    first = dealer_client.get(URL, {"per_page": 24})
    assert len(skus(first)) == 24 and first.context["page"].has_next
    second = dealer_client.get(URL, {"per_page": 24, "page": 2})
    assert len(skus(second)) == 6 and not second.context["page"].has_next


def test_invalid_parameters_are_reported_and_ignored(dealer_client, shop):
    listed(shop, sku="A")
    response = dealer_client.get(
        URL, {"category": "999999", "brand": "x", "per_page": "7", "page": "-3"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert skus(response) == ["A"]
    assert "This category does not exist." in response.content.decode()


@pytest.mark.parametrize("view", ["list", "grid"])
def test_list_and_grid_views(dealer_client, shop, view):
    listed(shop, sku="A")
    response = dealer_client.get(URL, {"view": view})
    assert f"products--{view}" in response.content.decode()


def _queries(client, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["page"].rows)


def test_query_count_is_the_same_for_10_and_50_items(dealer_client, shop):
    brand = BrandFactory()
    category = CategoryFactory()
    for n in range(60):
        product = listed(shop, sku=f"Q-{n:02d}", brand=brand, category=category)
        StockLevelFactory(product=product, on_hand=D(n))
    DealerAgreementFactory(dealer=shop, brand=brand, kind=DealerAgreement.Kind.DISCOUNT, value=D("5"))
    DealerAgreementFactory(dealer=shop, category=category, kind=DealerAgreement.Kind.DISCOUNT, value=D("3"))
    dealer_client.get(URL)  # caches the category tree and brands
    ten = _queries(dealer_client, {"per_page": 24, "sort": "price"})
    fifty = _queries(dealer_client, {"per_page": 50, "sort": "price"})
    searched_small = _queries(dealer_client, {"per_page": 24, "q": "Q-", "in_stock": "on"})
    searched = _queries(dealer_client, {"per_page": 50, "q": "Q-", "in_stock": "on"})
    assert ten[1] == 24 and fifty[1] == 50 and searched[1] == 50
    # Sorting by price first checks the list is small enough to sort (one more query).
    assert ten[0] == fifty[0] <= 10
    assert searched_small[0] == searched[0] <= 10


def test_product_page_shows_breaks_explanation_and_stock(dealer_client, shop):
    product = listed(shop, sku="P/1", name="Panel")
    PriceListItemFactory(price_list=shop.price_list, product=product, min_quantity=D("50"), price=D("90"))
    StockLevelFactory(product=product, on_hand=D("40"))
    with CaptureQueriesContext(connection) as ctx:
        response = dealer_client.get(reverse("catalog:product_detail", args=["P/1"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert len(ctx.captured_queries) <= 14  # with one query each for the product's pictures and documents
    detail = response.context["detail"]
    assert [(q, p.net) for q, p in detail.breaks] == [(D("1"), D("100.00")), (D("50"), D("90.00"))]
    html = response.content.decode()
    # The dealer reads "List price", never the price list's internal code.
    assert "List price: ₺100.00" in html and "TRY-A" not in html
    assert 'data-testid="warehouses"' in html and "40" in html


def test_another_dealers_list_is_not_visible(dealer_client, shop):
    other_list = PriceListFactory()
    product = ProductFactory(sku="THEIRS")
    PriceListItemFactory(price_list=other_list, product=product)
    assert dealer_client.get(reverse("catalog:product_detail", args=["THEIRS"])).status_code == 404


def test_bulk_prices_on_the_page_equal_the_single_ones(dealer_client, shop):
    for n in range(10):
        listed(shop, sku=f"E-{n}")
    rows = dealer_client.get(URL).context["page"].rows
    single = prices_for(shop, [row.product for row in rows])
    assert all(row.price == single[row.product.pk] for row in rows)


def test_ids_in_links_and_forms_are_never_grouped_in_turkish(dealer_client, shop):
    category = CategoryFactory(pk=654321)
    product = ProductFactory(pk=123456, sku="BIG", category=category)
    PriceListItemFactory(price_list=shop.price_list, product=product)
    html = dealer_client.get(URL, {"category": category.pk}, HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert 'name="product" value="123456"' in html
    assert 'name="category" value="654321"' in html and "123.456" not in html
    detail = dealer_client.get(reverse("catalog:product_detail", args=["BIG"]), HTTP_ACCEPT_LANGUAGE="tr")
    assert "?category=654321" in detail.content.decode()


def test_price_sort_of_a_huge_list_asks_to_narrow_it(dealer_client, shop, settings):
    settings.B2B_CATALOG_PRICE_SORT_LIMIT = 3
    category = CategoryFactory()
    for n in range(5):
        listed(shop, sku=f"H-{n}", category=category if n < 2 else None)
    response = dealer_client.get(URL, {"sort": "price"})
    assert response.context["page"].price_sort_refused
    assert 'data-testid="price-sort-refused"' in response.content.decode()
    narrowed = dealer_client.get(URL, {"sort": "price", "category": category.pk})
    assert not narrowed.context["page"].price_sort_refused and len(skus(narrowed)) == 2


def test_the_price_sort_limit_counts_unpriced_candidates_too(dealer_client, shop, settings):
    """Sorting prices every candidate to find the priced ones, so hidden unpriced products count to the limit."""
    settings.B2B_CATALOG_PRICE_SORT_LIMIT = 3
    settings.B2B_UNPRICED_PRODUCTS = "hide"
    category = CategoryFactory()
    for n in range(2):
        listed(shop, sku=f"L-{n}", category=category)
    ProductFactory(sku="U-0", category=category)
    within = dealer_client.get(URL, {"sort": "price", "category": category.pk})
    assert not within.context["page"].price_sort_refused and skus(within) == ["L-0", "L-1"]
    ProductFactory(sku="U-1", category=category)
    over = dealer_client.get(URL, {"sort": "price", "category": category.pk})
    assert over.context["page"].price_sort_refused and skus(over) == ["L-0", "L-1"]


def test_list_rows_say_what_the_product_page_says(dealer_client, shop):
    """The list's rows are made in Python (catalog/rows.py): the same price, VAT, unit, stock and as-of texts
    and the same add-to-cart quantities as the product page's partials."""
    product = listed(shop, sku="R/1", name="Vida", name_en="Screw", order_multiple=D("6"), min_order_qty=D("5"))
    StockLevelFactory(product=product, on_hand=D("40"), as_of=timezone.now())

    def html(url, language):
        text = dealer_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        return re.sub(r"\s+", " ", text).replace(" >", ">")

    for language in ("en", "tr"):
        row_html = html(URL, language)
        page_html = html(reverse("catalog:product_detail", args=["R/1"]), language)
        fragments = [
            'class="price__net">',
            'class="price__gross muted">',
            'class="badge badge--stock-',
            'class="as-of"',
            'class="add-to-cart__unit muted">',
            'min="',
            'step="',
        ]
        for fragment in fragments:
            start = page_html.index(fragment)
            expected = page_html[start : page_html.index("<", start + len(fragment))].strip()
            assert expected in row_html, (language, expected)
    assert 'href="/catalog/p/R/1/"' in row_html and 'min="6" step="6" value="6"' in row_html
    english = html(URL, "en")
    assert "as of " in english and f"per {product.base_unit.name_en}" in english and "in multiples of 6" in english


def test_query_count_of_list_category_and_search_is_the_same_at_every_page_size(dealer_client, shop):
    category = CategoryFactory(parent=CategoryFactory())
    for n in range(60):
        product = listed(shop, sku=f"K-{n:02d}", category=category)
        StockLevelFactory(product=product, on_hand=D(n))
    DealerAgreementFactory(dealer=shop, category=category.parent, kind=DealerAgreement.Kind.DISCOUNT, value=D("3"))
    DealerAgreementFactory(
        dealer=shop, product=product, kind=DealerAgreement.Kind.FIXED_PRICE, value=D("2"), currency="USD"
    )
    dealer_client.get(URL)
    for params in ({}, {"category": category.parent.pk}, {"q": "K-"}, {"sort": "price"}):
        counts = {_queries(dealer_client, {**params, "per_page": size}) for size in (24, 50, 100)}
        assert {queries for queries, _rows in counts} == {min(q for q, _r in counts)}, params
        assert min(q for q, _r in counts) <= 10, params
        assert {rows for _q, rows in counts} == {24, 50, 59}, params


def test_a_search_finds_matches_past_the_first_page_of_the_catalogue(dealer_client, shop):
    """Search pages query the product table as it is named; found by name after 30 products that do not match."""
    for n in range(30):
        listed(shop, sku=f"A-{n:02d}", name=f"Alfa {n:02d}", name_en=f"Alpha {n:02d}")
    listed(shop, sku="Z-1", name="Zımba vida", name_en="Staple screw")
    assert skus(dealer_client.get(URL, {"q": "zimba", "per_page": 24})) == ["Z-1"]
    category = CategoryFactory()
    listed(shop, sku="Z-2", name="Zımba teli", name_en="Staples", category=category)
    assert skus(dealer_client.get(URL, {"category": category.pk, "per_page": 24})) == ["Z-2"]
