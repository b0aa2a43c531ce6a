"""End to end in headless Debian Chromium: a buyer's order above their limit notifies the dealer's approver (e-mail
and the portal's list with its unread count); the approver opens the notice, approves, and the buyer is told."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from dealers.models import DealerUser
from dealers.tests.factories import DealerUserFactory
from notifications.models import Notification
from orders.services import cart_line_add
from orders.status import OrderStatus
from orders.tests.factories import buyer_of, make_shop, place

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
D = Decimal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting():
    """Created before the browser starts (Playwright's greenlets would give ORM calls a connection of their own)."""
    dealer, product = make_shop()
    buyer = buyer_of(dealer, approval_limit=D("100"), user=UserFactory(language="en"))
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER, user=UserFactory(language="tr"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    order = place(buyer)  # commits: the notices are e-mailed on commit (task queue in sync mode)
    assert order.status == OrderStatus.AWAITING_DEALER_APPROVAL
    return order, buyer, approver


def test_the_approver_is_notified_and_approves(waiting, portal_server, browser_page):
    order, buyer, approver = waiting
    page, base = browser_page, portal_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    assert [m.subject for m in mail.outbox if m.to == [approver.user.email]] == [
        f"{order.number} numaralı sipariş onayınızı bekliyor"
    ]

    page.goto(f"{base}/accounts/login/?next=/notifications/")
    page.fill("input[name=username]", approver.user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/notifications/")
    assert page.locator("[data-testid=unread-count]").inner_text() == "1"
    notice = page.locator("[data-testid=notification]").first
    assert f"{order.number} numaralı sipariş onayınızı bekliyor" in notice.inner_text()
    page.screenshot(path=str(ARTIFACTS / "notifications-approver-list.png"), full_page=True)

    notice.locator("button").click()
    page.wait_for_url(f"{base}/orders/{order.number}/")
    assert page.locator("[data-testid=unread-count]").count() == 0  # opened: read
    page.click("[data-testid=dealer-approve]")
    page.wait_for_load_state()

    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED
    told = Notification.objects.get(kind="order_approved", recipient=buyer.user)
    assert told.status == Notification.Status.SENT
    assert [m.subject for m in mail.outbox if m.to == [buyer.user.email]][-1] == f"Order {order.number} was approved"
