"""Every page carries the Content-Security-Policy and Permissions-Policy; pages and downloads with account data are
never stored by a cache; no Server banner; no inline script is left in any template."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from dealers.models import DealerUser
from dealers.tests.factories import DealerUserFactory
from orders.tests.factories import OrderFactory

ROOT = Path(settings.BASE_DIR)


def assert_guarded(response):
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"].startswith("'self'")
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    assert "Server" not in response.headers


@pytest.fixture
def account_client(client):
    dealer_user = DealerUserFactory(role=DealerUser.Role.ADMIN)
    client.force_login(dealer_user.user)
    client.dealer_user = dealer_user
    return client


@pytest.mark.django_db
def test_the_sign_in_page_is_guarded():
    assert_guarded(Client().get(reverse("accounts:login")))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/orders/",
        "/account/",
        "/account/statement/?date_from=2026-01-01&date_to=2026-12-31",
        "/account/statement/?date_from=2026-01-01&date_to=2026-12-31&format=pdf",
        "/account/statement/?date_from=2026-01-01&date_to=2026-12-31&format=csv",
        "/account/statement/?date_from=2026-01-01&date_to=2026-12-31&format=xlsx",
        "/account/documents/",
        "/payments/pay/",
        "/catalog/",
        "/notifications/",
    ],
)
def test_account_pages_and_downloads_are_guarded_and_not_stored(account_client, url):
    response = account_client.get(url)
    assert response.status_code == 200, url
    assert_guarded(response)


@pytest.mark.django_db
def test_an_order_page_and_its_pdf_are_not_stored(account_client):
    order = OrderFactory(dealer=account_client.dealer_user.dealer, placed_by=account_client.dealer_user.user)
    for url in (reverse("orders:order_detail", args=[order.number]), reverse("orders:order_pdf", args=[order.number])):
        response = account_client.get(url)
        assert response.status_code == 200
        assert_guarded(response)


@pytest.mark.django_db
def test_the_admin_and_error_pages_are_guarded(staff_client):
    assert_guarded(staff_client.get(reverse("admin:index")))
    assert_guarded(staff_client.get("/no-such-page/"))


@pytest.mark.django_db
def test_static_files_keep_their_cache():
    response = Client().get("/static/b2bportal/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def project_templates():
    skip = {".venv", "node_modules", ".git"}
    return [
        path
        for path in ROOT.rglob("*.html")
        if not skip.intersection(path.relative_to(ROOT).parts) and "templates" in path.parts
    ]


def test_no_template_has_an_inline_script_or_event_handler():
    templates = project_templates()
    assert len(templates) > 50
    offenders = [
        str(path.relative_to(ROOT))
        for path in templates
        if INLINE_SCRIPT.search(path.read_text()) or EVENT_HANDLER.search(path.read_text())
    ]
    assert offenders == []
