"""Instant search: suggestions while typing (the catalogue's own search, visibility and prices), the result count and
page numbers of the search page, on PostgreSQL and on SQLite."""

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from b2bportal.tests.sqlite_run import sqlite_database, sqlite_script
from catalog import search as search_module
from catalog import suggestions as suggestions_module
from catalog.models import DealerAgreement, Product
from catalog.search import MAX_QUERY_LENGTH, SUGGEST_LIMIT, suggestion_query
from catalog.suggestions import ResultCount
from catalog.tests.factories import (
    CategoryFactory,
    DealerAgreementFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductUnitFactory,
    StockLevelFactory,
)
from dealers.tests.factories import DealerUserFactory

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/catalog/suggest/"
TRANSACTION = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT")


@pytest.fixture
def shop(dealer_client):
    dealer = dealer_client.dealer_user.dealer
    dealer.price_list = PriceListFactory(code="TRY-A")
    dealer.save()
    return dealer


HUNDRED = D("100")


def listed(shop, price=HUNDRED, **product_kwargs):
    product = ProductFactory(**product_kwargs)
    PriceListItemFactory(price_list=shop.price_list, product=product, price=price)
    return product


def suggested(client, q, **extra):
    response = client.get(URL, {"q": q}, **extra)
    assert response.status_code == 200
    found = response.context["suggestions"] if response.context else None
    return [row.product.sku for row in found.rows] if found else None


@pytest.fixture
def turkish(shop):
    return {
        "bottle": listed(shop, sku="CAM-100", name="ŞİŞE Cam 1 L", name_en="Glass bottle 1 l", barcode="8690000000011"),
        "bag": listed(shop, sku="IPK-7", name="İpek Çanta", name_en="Silk bag"),
        "screw": listed(shop, sku="VD-4x40", name="Vida 4x40", name_en="Screw 4x40", barcode="8690000000028"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sise", ["CAM-100"]),
        ("ŞİŞE", ["CAM-100"]),
        ("şişe cam", ["CAM-100"]),
        ("ipek", ["IPK-7"]),
        ("İPEK", ["IPK-7"]),
        ("IPEK canta", ["IPK-7"]),
        ("silk", ["IPK-7"]),
        ("cam-1", ["CAM-100"]),
        ("vd-4", ["VD-4x40"]),
        ("ipek vida", []),
    ],
)
def test_suggests_by_sku_and_names_with_turkish_letters_folded(dealer_client, turkish, query, expected):
    assert suggested(dealer_client, query) == expected


def test_a_barcode_finds_its_product_exactly_first(dealer_client, turkish):
    ProductUnitFactory(product=turkish["bag"], factor=D("12"), barcode="1869000000099")
    assert suggested(dealer_client, "8690000000011") == ["CAM-100"]
    assert suggested(dealer_client, "8690000000028") == ["VD-4x40"]
    # A pack's barcode finds its product only when typed in full.
    assert suggested(dealer_client, "1869000000099") == ["IPK-7"]
    assert suggested(dealer_client, "1869000000098") == []


def test_an_exact_sku_comes_first_then_skus_starting_with_the_query(dealer_client, shop):
    listed(shop, sku="KBL-10", name="Kablo B", name_en="Cable B")
    listed(shop, sku="KBL-1", name="Kablo Z", name_en="Cable Z")
    listed(shop, sku="KBL-100", name="Kablo A", name_en="Cable A")
    assert suggested(dealer_client, "kbl-1") == ["KBL-1", "KBL-10", "KBL-100"]


def test_each_suggestion_shows_sku_name_the_dealers_own_price_and_availability(dealer_client, shop):
    product = listed(shop, sku="LMB-1", name="Lamba Nova", name_en="Lamp Nova", price=D("200"))
    StockLevelFactory(product=product, on_hand=D("40"))
    other = DealerUserFactory()
    other.dealer.price_list = shop.price_list
    other.dealer.save()
    DealerAgreementFactory(dealer=shop, product=product, kind=DealerAgreement.Kind.DISCOUNT, value=D("10"))
    DealerAgreementFactory(
        dealer=other.dealer, product=product, kind=DealerAgreement.Kind.FIXED_PRICE, value=D("1.00"), currency="TRY"
    )
    html = dealer_client.get(URL, {"q": "lamba"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "LMB-1" in html and "Lamp Nova" in html
    assert "₺180.00" in html and "₺1.00" not in html
    assert "In stock" in html
    assert f'href="{reverse("catalog:product_detail", args=["LMB-1"])}"' in html
    turkish = dealer_client.get(URL, {"q": "lamba"}, HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert "Lamba Nova" in turkish and "180,00 ₺" in turkish and "Stokta" in turkish


def test_another_dealers_private_product_and_hidden_products_are_not_suggested(dealer_client, shop):
    listed(shop, sku="KAB-OK", name="Kablo açık")
    theirs = ProductFactory(sku="KAB-THEIRS", name="Kablo özel")
    PriceListItemFactory(price_list=PriceListFactory(), product=theirs)
    private = ProductFactory(sku="KAB-PRIVATE", name="Kablo proje")
    other = DealerUserFactory()
    DealerAgreementFactory(
        dealer=other.dealer, product=private, kind=DealerAgreement.Kind.FIXED_PRICE, value=D("50"), currency="TRY"
    )
    listed(shop, sku="KAB-Q", name="Kablo karantina", status=Product.Status.QUARANTINED)
    listed(shop, sku="KAB-OFF", name="Kablo kapalı", status=Product.Status.INACTIVE)
    listed(shop, sku="KAB-CAT", name="Kablo gizli", category=CategoryFactory(parent=CategoryFactory(is_active=False)))
    assert suggested(dealer_client, "kablo") == ["KAB-OK"]
    assert suggested(dealer_client, "KAB-PRIVATE") == []
    # The same private product is suggested to the dealer it is priced for.
    other.dealer.price_list = shop.price_list
    other.dealer.save()
    dealer_client.force_login(other.user)
    assert suggested(dealer_client, "kablo proje") == ["KAB-PRIVATE"]


def test_unpriced_products_are_suggested_exactly_as_the_catalogue_lists_them(dealer_client, shop, settings):
    listed(shop, sku="PRC-1", name="Priz fiyatlı")
    ProductFactory(sku="PRC-2", name="Priz fiyatsız")
    settings.B2B_UNPRICED_PRODUCTS = "hide"
    assert suggested(dealer_client, "priz") == ["PRC-1"]
    assert [row.product.sku for row in dealer_client.get("/catalog/", {"q": "priz"}).context["page"].rows] == ["PRC-1"]
    settings.B2B_UNPRICED_PRODUCTS = "on_request"
    response = dealer_client.get(URL, {"q": "priz"}, HTTP_ACCEPT_LANGUAGE="en")
    assert [row.product.sku for row in response.context["suggestions"].rows] == ["PRC-1", "PRC-2"]
    assert response.content.decode().count("Price on request") == 1


@pytest.mark.parametrize("query", ["", "   ", "a", "ş", " x "])
def test_an_empty_or_too_short_query_answers_empty_without_searching(dealer_client, shop, query):
    listed(shop, sku="A-1", name="a")
    dealer_client.get(URL, {"q": "ab"})  # the session and dealer are read once
    with CaptureQueriesContext(connection) as ctx:
        response = dealer_client.get(URL, {"q": query})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""
    # Only the session, the user and the dealer membership are read: no price, no product.
    assert not [q["sql"] for q in ctx.captured_queries if 'FROM "catalog_' in q["sql"]]


def test_no_parameter_at_all_answers_empty(dealer_client, shop):
    response = dealer_client.get(URL)
    assert response.status_code == 200 and response.content.decode().strip() == ""


def test_a_query_without_matches_says_so(dealer_client, shop):
    listed(shop, sku="A-1", name="Vida")
    response = dealer_client.get(URL, {"q": "zzz"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "No products match “zzz”." in response.content.decode()
    assert 'data-testid="suggestion-all"' not in response.content.decode()


def test_an_overlong_query_answers_empty(dealer_client, shop):
    listed(shop, sku="A-1", name="a" * 150)
    response = dealer_client.get(URL, {"q": "a" * (MAX_QUERY_LENGTH + 1)})
    assert response.status_code == 200 and response.content.decode().strip() == ""
    assert suggested(dealer_client, "a" * MAX_QUERY_LENGTH) == ["A-1"]


@pytest.mark.parametrize(
    "query",
    [
        "%%",
        "__",
        "\\",
        "%' OR 1=1 --",
        "'; DROP TABLE catalog_product; --",
        "<script>alert(1)</script>",
        "a " * 40,
        "İ̇ı̇\u200b\ufeff",
        "\U0001f600\U0001f600",
    ],
)
def test_hostile_queries_are_searched_as_text(dealer_client, shop, query):
    listed(shop, sku="A-1", name="Vida %50")
    response = dealer_client.get(URL, {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html
    assert Product.objects.filter(sku="A-1").exists()


def test_wildcards_match_only_themselves(dealer_client, shop):
    listed(shop, sku="A-1", name="Vida %50 indirimli")
    listed(shop, sku="A-2", name="Vida 5x50")
    assert suggested(dealer_client, "%5") == ["A-1"]
    assert suggested(dealer_client, "_5") == []


def test_a_nul_byte_is_refused_before_the_view(dealer_client, shop):
    assert dealer_client.get(URL + "?q=ab%00").status_code == 400


def test_the_total_and_a_link_to_all_results(dealer_client, shop):
    for n in range(SUGGEST_LIMIT + 3):
        listed(shop, sku=f"VD-{n:02d}", name=f"Vida {n:02d}", name_en=f"Screw {n:02d}")
    response = dealer_client.get(URL, {"q": "vida"}, HTTP_ACCEPT_LANGUAGE="en")
    found = response.context["suggestions"]
    assert len(found.rows) == SUGGEST_LIMIT and found.count == ResultCount(total=SUGGEST_LIMIT + 3)
    html = response.content.decode()
    assert f"See all {SUGGEST_LIMIT + 3} results" in html
    assert 'href="/catalog/?q=vida"' in html
    one = dealer_client.get(URL, {"q": "vida 07"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "See the 1 result" in one
    turkish = dealer_client.get(URL, {"q": "vida"}, HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert f"{SUGGEST_LIMIT + 3} sonucun tümünü gör" in turkish


def test_a_huge_result_is_counted_only_up_to_the_cap(dealer_client, shop, monkeypatch):
    monkeypatch.setattr(suggestions_module, "COUNT_CAP", 5)
    for n in range(7):
        listed(shop, sku=f"VD-{n:02d}", name=f"Vida {n:02d}", name_en=f"Screw {n:02d}")
    response = dealer_client.get(URL, {"q": "vida"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["suggestions"].count == ResultCount(total=5, capped=True)
    assert "See all 5+ results" in response.content.decode()


def test_query_count_does_not_grow_with_the_number_of_suggestions(dealer_client, shop):
    category = CategoryFactory()
    DealerAgreementFactory(dealer=shop, category=category, kind=DealerAgreement.Kind.DISCOUNT, value=D("3"))
    for n in range(SUGGEST_LIMIT + 2):
        product = listed(shop, sku=f"VD-{n:02d}", name=f"Vida {n:02d}", name_en=f"Screw {n:02d}", category=category)
        StockLevelFactory(product=product, on_hand=D(n))
        DealerAgreementFactory(dealer=shop, product=product, kind=DealerAgreement.Kind.DISCOUNT, value=D("5"))
    dealer_client.get(URL, {"q": "vida"})  # caches the category tree

    def queries(q):
        with CaptureQueriesContext(connection) as ctx:
            response = dealer_client.get(URL, {"q": q})
        statements = [query["sql"] for query in ctx.captured_queries if not query["sql"].startswith(TRANSACTION)]
        return len(statements), len(response.context["suggestions"].rows)

    one, many = queries("vida 03"), queries("vida")
    assert one[1] == 1 and many[1] == SUGGEST_LIMIT
    # Session, user, dealer; price lists, agreements; SET LOCAL jit on PostgreSQL; count, products; prices, stock.
    assert one[0] == many[0] <= 11


def test_a_signed_out_visitor_and_staff_are_sent_where_the_catalogue_sends_them(superuser):
    client, staff_client = Client(), Client()
    staff_client.force_login(superuser)
    for url in (URL, "/catalog/"):
        response = client.get(url, {"q": "vida"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for url in (URL, "/catalog/"):
        response = staff_client.get(url, {"q": "vida"})
        assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_a_user_without_a_dealer_is_refused_as_on_the_catalogue(client, django_user_model):
    user = django_user_model.objects.create_user("nobody@example.com", "x-Password-1")
    client.force_login(user)
    assert client.get(URL, {"q": "vida"}).status_code == 403
    assert client.get("/catalog/", {"q": "vida"}).status_code == 403


def test_the_catalogue_search_box_offers_suggestions(dealer_client, shop):
    html = dealer_client.get("/catalog/").content.decode()
    assert f'data-suggest-url="{URL}"' in html
    assert "catalog/search" in html and ".js" in html
    assert 'name="q"' in html and 'data-testid="search"' in html


def test_suggestion_query_trims_and_refuses_short_long_and_empty_queries():
    assert suggestion_query("  şi   şe ") == "şi şe"
    assert suggestion_query("ab") == "ab"
    assert suggestion_query("a") is None
    assert suggestion_query("   ") is None
    assert suggestion_query("x" * (MAX_QUERY_LENGTH + 1)) is None


# --- The search page: how many products, and page numbers -------------------------------------------------------


def test_the_search_page_shows_the_result_count_and_page_numbers(dealer_client, shop):
    for n in range(30):
        listed(shop, sku=f"VD-{n:02d}", name=f"Vida {n:02d}", name_en=f"Screw {n:02d}")
    listed(shop, sku="SM-1", name="Somun")
    response = dealer_client.get("/catalog/", {"q": "vida", "per_page": 24}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["found"] == ResultCount(total=30)
    assert response.context["page_numbers"] == [1, 2]
    html = response.content.decode()
    assert '<span data-testid="result-count">30 products</span>' in html
    assert '<span class="pager__current" aria-current="page">1</span>' in html
    assert "?q=vida&amp;per_page=24&amp;page=2" in html
    second = dealer_client.get("/catalog/", {"q": "vida", "per_page": 24, "page": 2}, HTTP_ACCEPT_LANGUAGE="tr")
    assert '<span data-testid="result-count">30 ürün</span>' in second.content.decode()
    assert len(second.context["page"].rows) == 6


def test_the_count_follows_the_other_filters(dealer_client, shop):
    category = CategoryFactory()
    for n in range(3):
        listed(shop, sku=f"VD-{n}", name=f"Vida {n}", category=category if n else None)
    response = dealer_client.get("/catalog/", {"q": "vida", "category": category.pk})
    assert response.context["found"] == ResultCount(total=2)
    assert len(response.context["page"].rows) == 2


def test_the_catalogue_without_a_search_is_not_counted(dealer_client, shop):
    listed(shop, sku="A-1")
    response = dealer_client.get("/catalog/")
    assert response.context["found"] is None and response.context["page_numbers"] == []
    assert 'data-testid="result-count"' not in response.content.decode()


def test_a_search_without_results_counts_zero(dealer_client, shop):
    response = dealer_client.get("/catalog/", {"q": "zzz"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["found"] == ResultCount(total=0)
    assert '<span data-testid="result-count">0 products</span>' in response.content.decode()


@pytest.mark.parametrize(
    ("count", "current", "per_page", "expected"),
    [
        (ResultCount(0), 1, 24, [1]),
        (ResultCount(24), 1, 24, [1]),
        (ResultCount(25), 1, 24, [1, 2]),
        (ResultCount(240), 1, 24, [1, 2, 3, None, 10]),
        (ResultCount(240), 5, 24, [1, None, 3, 4, 5, 6, 7, None, 10]),
        (ResultCount(240), 10, 24, [1, None, 8, 9, 10]),
        (ResultCount(1000, capped=True), 1, 50, [1, 2, 3, None]),
        (ResultCount(1000, capped=True), 20, 50, [1, None, 18, 19, 20, None]),
        (ResultCount(1000, capped=True), 25, 50, [1, None, 23, 24, 25, None]),
    ],
)
def test_page_numbers(count, current, per_page, expected):
    assert count.page_numbers(current, per_page) == expected


# --- SQLite, the try-out database ---------------------------------------------------------------------------------


def test_suggestions_and_counts_on_sqlite(tmp_path):
    """The try-out database: the same suggestions, prices and counts on a real SQLite file."""
    database = sqlite_database(tmp_path)
    results = sqlite_script(
        database,
        """
        import json
        from decimal import Decimal
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, setup_test_environment
        from django.db import connection
        from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory
        from dealers.tests.factories import DealerUserFactory

        setup_test_environment()  # responses carry their template context, as in the suite
        member = DealerUserFactory()
        dealer = member.dealer
        dealer.price_list = PriceListFactory(code="TRY-S")
        dealer.save()
        rows = [("CAM-100", "ŞİŞE Cam 1 L", "Glass bottle", "8690000000011"), ("IPK-7", "İpek Çanta", "Silk bag", ""),
                ("IPK-8", "İpek Şal", "Silk scarf", ""), ("GIZ-1", "Şişe gizli", "Hidden bottle", "")]
        for sku, name, name_en, barcode in rows:
            product = ProductFactory(sku=sku, name=name, name_en=name_en, barcode=barcode)
            if sku != "GIZ-1":
                PriceListItemFactory(price_list=dealer.price_list, product=product, price=Decimal("100"))
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(member.user)
        found, queries = {}, {}
        for q in ["sise", "ŞİŞE", "ipek", "İPEK", "silk", "8690000000011", "ipk-", "a", "%"]:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get("/catalog/suggest/", {"q": q})
            assert response.status_code == 200, response.status_code
            suggestions = response.context["suggestions"] if response.context else None
            found[q] = [row.product.sku for row in suggestions.rows] if suggestions else None
            queries[q] = len(ctx.captured_queries)
        html = client.get("/catalog/suggest/", {"q": "ipek"}).content.decode()
        page = client.get("/catalog/", {"q": "ipek"})
        print(json.dumps({
            "found": found,
            "price": "₺100.00" in html,
            "all": "See all 2 results" in html,
            "count": page.context["found"].total,
            "same_queries": queries["ipek"] == queries["ŞİŞE"],
        }))
        """,
    )
    assert results == {
        "found": {
            "sise": ["CAM-100"],
            "ŞİŞE": ["CAM-100"],
            "ipek": ["IPK-7", "IPK-8"],
            "İPEK": ["IPK-7", "IPK-8"],
            "silk": ["IPK-7", "IPK-8"],
            "8690000000011": ["CAM-100"],
            "ipk-": ["IPK-7", "IPK-8"],
            "a": None,
            "%": None,
        },
        "price": True,
        "all": True,
        "count": 2,
        "same_queries": True,
    }


def test_a_dealer_offered_few_of_the_first_matches_still_gets_its_own(dealer_client, shop, monkeypatch):
    """Candidates come from all products; when most of them are not offered to this dealer, all matches are ranked."""
    monkeypatch.setattr(search_module, "CANDIDATES", 1)
    for n in range(SUGGEST_LIMIT + 2):
        ProductFactory(sku=f"VD-A{n:02d}", name=f"Vida A{n:02d}", name_en=f"Screw A{n:02d}")  # not priced for them
    listed(shop, sku="VD-Y1", name="Vida Y1", name_en="Screw Y1")
    listed(shop, sku="VD-Z1", name="Vida Z1", name_en="Screw Z1")
    response = dealer_client.get(URL, {"q": "vida"})
    assert [row.product.sku for row in response.context["suggestions"].rows] == ["VD-Y1", "VD-Z1"]
    assert response.context["suggestions"].count == ResultCount(total=2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the indexes exist on PostgreSQL only")
def test_suggestion_candidates_are_read_from_the_sku_prefix_and_trigram_indexes(shop):
    listed(shop, sku="KBL-1", name="Kablo")
    queryset = search_module.product_suggestions(Product.objects.filter(status="active"), "kbl-1 kablo", limit=8)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "product_sku_search_key_idx" in plan and "product_search_trgm_idx" in plan, plan
    assert [p.sku for p in queryset] == ["KBL-1"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT compilation is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_instant_search_queries_run_without_jit_and_leave_the_setting_as_it_was():
    """SET LOCAL ends with the transaction: here the search's own (a request is not one transaction)."""

    def jit():
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    before = jit()
    with search_module.search_transaction(connection.alias):
        assert jit() == "off"
    assert jit() == before


# --- What makes instant search fast on a large catalogue ----------------------------------------------------------


def test_suggestions_are_counted_only_up_to_their_own_cap_the_search_page_to_its(dealer_client, shop, monkeypatch):
    monkeypatch.setattr(suggestions_module, "SUGGEST_COUNT_CAP", 3)
    for n in range(5):
        listed(shop, sku=f"VD-{n:02d}", name=f"Vida {n:02d}", name_en=f"Screw {n:02d}")
    response = dealer_client.get(URL, {"q": "vida"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["suggestions"].count == ResultCount(total=3, capped=True)
    assert len(response.context["suggestions"].rows) == 5
    assert "See all 3+ results" in response.content.decode()
    page = dealer_client.get("/catalog/", {"q": "vida"})
    assert page.context["found"] == ResultCount(total=5)
    # Exactly as many matches as the cap is an exact count.
    monkeypatch.setattr(suggestions_module, "SUGGEST_COUNT_CAP", 5)
    assert dealer_client.get(URL, {"q": "vida"}).context["suggestions"].count == ResultCount(total=5)


def test_up_to_the_cap_the_suggestions_are_ranked_among_the_matches_found(dealer_client, shop, monkeypatch):
    """No more matches than the cap: all of them are known, and the first by rank are shown without the candidates
    of ``catalog.search.product_suggestions`` (which would miss them here: one candidate per suggestion)."""
    monkeypatch.setattr(search_module, "CANDIDATES", 1)
    monkeypatch.setattr(suggestions_module, "SUGGEST_COUNT_CAP", 4)
    for n in range(3):
        ProductFactory(sku=f"KBL-A{n}", name=f"Kablo A{n}", name_en=f"Cable A{n}")  # not priced for the dealer
    listed(shop, sku="KBL-Z2", name="Kablo Z2", name_en="Cable Z2")
    listed(shop, sku="KBL-Z1", name="Kablo Z1", name_en="Cable Z1")
    listed(shop, sku="ZZZ-1", name="Kablo B", name_en="Cable B")
    found = dealer_client.get(URL, {"q": "kablo"}, HTTP_ACCEPT_LANGUAGE="tr").context["suggestions"]
    assert [row.product.sku for row in found.rows] == ["ZZZ-1", "KBL-Z1", "KBL-Z2"]
    assert found.count == ResultCount(total=3)
    # The SKU typed: exact SKU first, then the SKUs it starts with, whatever their names.
    assert suggested(dealer_client, "kbl-z") == ["KBL-Z1", "KBL-Z2"]


def test_an_agreement_changed_changes_the_suggestions_at_once(dealer_client, shop):
    """Visibility is decided on every request from the dealer's agreements as they are now: nothing is kept."""
    private = ProductFactory(sku="PRJ-1", name="Proje kablosu", name_en="Project cable")
    agreement = DealerAgreementFactory(
        dealer=shop, product=private, kind=DealerAgreement.Kind.FIXED_PRICE, value=D("75"), currency="TRY"
    )
    assert suggested(dealer_client, "proje") == ["PRJ-1"]
    agreement.is_active = False
    agreement.save()
    assert suggested(dealer_client, "proje") == []
    assert suggested(dealer_client, "PRJ-1") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored search text exists on PostgreSQL only")
def test_the_stored_search_text_follows_every_write_of_a_product(shop):
    """The folded text is a generated column: the database computes it on every write, also on those that bypass
    ``save()`` (a queryset update, a bulk insert)."""
    product = listed(shop, sku="CAM-1", name="ŞİŞE Cam", name_en="Glass bottle")

    def found(query):
        return sorted(search_module.product_search(Product.objects.all(), query).values_list("sku", flat=True))

    def stored():
        with connection.cursor() as cursor:
            cursor.execute("SELECT search_document FROM catalog_product WHERE id = %s", [product.pk])
            return cursor.fetchone()[0]

    assert stored() == "cam-1 sise cam glass bottle " and found("sise") == ["CAM-1"]
    Product.objects.filter(pk=product.pk).update(name="Çanta Deri", barcode="8690000000097")
    assert stored() == "cam-1 canta deri glass bottle 8690000000097"
    assert found("sise") == [] and found("canta") == ["CAM-1"] and found("8690000000097") == ["CAM-1"]
    same = {"category": product.category, "brand": product.brand, "base_unit": product.base_unit}
    Product.objects.bulk_create([ProductFactory.build(sku="IPK-9", name="İpek Şal", name_en="Silk scarf", **same)])
    assert found("ipek sal") == ["IPK-9"]
    with pytest.raises(Exception, match="search_document"), connection.cursor() as cursor, transaction.atomic():
        cursor.execute("UPDATE catalog_product SET search_document = 'x' WHERE id = %s", [product.pk])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SKU-prefix index exists on PostgreSQL only")
def test_sku_candidates_are_read_from_the_index_in_its_order_without_sorting_them(shop):
    for n in range(3):
        listed(shop, sku=f"KBL-{n}", name=f"Kablo {n}")

    def plan(queryset):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    suggestions = search_module.product_suggestions(Product.objects.filter(status="active"), "kbl-", limit=8)
    found = plan(suggestions)
    assert "Index Scan using product_sku_search_key_idx" in found, found
    assert not re.search(r"Sort Key: \(?lower\(translate\(\((\w+\.)?sku\)", found), found
    # In the database's own collation the index cannot give the order: every SKU with the prefix is sorted.
    key = search_module._Folded("sku")
    in_collation = Product.objects.filter(search_module._Match(key, "kbl-%")).order_by(key).values("pk")[:8]
    assert re.search(r"Sort Key: \(?lower\(translate\(\((\w+\.)?sku\)", plan(in_collation))
    assert [p.sku for p in suggestions] == ["KBL-0", "KBL-1", "KBL-2"]


def test_suggestion_counts_and_ranking_on_sqlite(tmp_path):
    """The try-out database has no stored search text (the migration leaves SQLite alone): the same ids, count cap
    and ranking come from the folded expression."""
    database = sqlite_database(tmp_path)
    results = sqlite_script(
        database,
        """
        import json
        from decimal import Decimal
        from django.db import connection
        from catalog import suggestions
        from catalog.pricing import DealerPricing
        from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory
        from dealers.tests.factories import DealerUserFactory

        dealer = DealerUserFactory().dealer
        dealer.price_list = PriceListFactory(code="TRY-S")
        dealer.save()
        for sku, name in [("SIS-2", "Şişe B"), ("SIS-1", "Şişe A"), ("GIZ-1", "Şişe gizli"), ("SIS-3", "Şişe C")]:
            product = ProductFactory(sku=sku, name=name, name_en=name)
            if sku != "GIZ-1":
                PriceListItemFactory(price_list=dealer.price_list, product=product, price=Decimal("10"))
        with connection.cursor() as cursor:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, "catalog_product")]

        def found(query):
            result = suggestions.product_suggestions(pricing=DealerPricing(dealer), query=query)
            return [row.product.sku for row in result.rows], [result.count.total, result.count.capped]

        uncapped = found("sise")
        suggestions.SUGGEST_COUNT_CAP = 2
        capped = found("sise")
        print(json.dumps({"stored": "search_document" in columns, "uncapped": uncapped, "capped": capped,
                          "sku": found("sis-")}))
        """,
    )
    assert results == {
        "stored": False,
        "uncapped": [["SIS-1", "SIS-2", "SIS-3"], [3, False]],
        "capped": [["SIS-1", "SIS-2", "SIS-3"], [2, True]],
        "sku": [["SIS-1", "SIS-2", "SIS-3"], [2, True]],
    }
