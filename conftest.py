"""Shared fixtures: users with a dealer, staff, signed-in clients, and a live server with headless Chromium."""

from pathlib import Path

import pytest

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD
from catalog.tests.factories import PriceListFactory
from dealers.tests.factories import DealerUserFactory

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts with an empty cache: a category tree cached by one test must not leak into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """A request in another language leaves that language active in the thread: every test ends back on the
    default, so no test depends on which ran before it."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def media_dirs(tmp_path_factory):
    """Product thumbnails (MEDIA_ROOT) and private files (PRIVATE_MEDIA_ROOT) of a test go to its own folders,
    never into the project's. (Not through pytest-django's ``settings``: some modules name a fixture so.)"""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=root / "public", PRIVATE_MEDIA_ROOT=root / "private"):
        yield root


@pytest.fixture
def dealer_user(db):
    return DealerUserFactory()


@pytest.fixture
def dealer_client(client, dealer_user):
    client.force_login(dealer_user.user)
    client.dealer_user = dealer_user
    return client


@pytest.fixture
def shop(dealer_client):
    """The signed-in dealer, on a price list of its own (test files that need another shop define their own)."""
    dealer = dealer_client.dealer_user.dealer
    dealer.price_list = PriceListFactory()
    dealer.save()
    return dealer


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin@example.com", TEST_PASSWORD)


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def portal_server():
    """A live server of our own, stopped after the test so its database connection closes before teardown."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        context = browser.new_context(locale="tr-TR", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()
