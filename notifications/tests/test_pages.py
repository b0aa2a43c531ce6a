"""The portal's notification list, the unread count in the navigation, marking read, and the preferences page:
each user sees and changes only their own."""

import pytest
from django.urls import reverse

from dealers.tests.factories import DealerUserFactory
from notifications.models import Notification, NotificationPreference
from notifications.services import notify, unread_count
from orders.notifications import APPROVED, HELD_STAFF, REJECTED
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _approved(user, event="1"):
    order = OrderFactory(placed_by=user)
    notify(
        APPROVED.key,
        event=event,
        recipients=[user],
        params={"order_id": order.pk},
        url=reverse("orders:order_detail", args=[order.number]),
    )
    return Notification.objects.get(recipient=user, key__contains=f":{event}:"), order


def test_the_list_shows_my_notices_with_their_titles(dealer_client, dealer_user):
    _notice, order = _approved(dealer_user.user)
    response = dealer_client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert f"Order {order.number} was approved" in response.content.decode()


def test_another_users_notices_are_neither_listed_nor_opened(dealer_client, dealer_user):
    stranger = DealerUserFactory()
    notice, order = _approved(stranger.user)
    response = dealer_client.get(reverse("notifications:list"))
    assert order.number not in response.content.decode()
    assert dealer_client.post(reverse("notifications:open", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None
    dealer_client.post(reverse("notifications:read_all"))
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_unread_count_is_in_the_navigation_and_opening_marks_read(dealer_client, dealer_user):
    first, order = _approved(dealer_user.user, event="1")
    _approved(dealer_user.user, event="2")
    _approved(DealerUserFactory().user, event="3")  # someone else's: not counted
    page = dealer_client.get(reverse("home")).content.decode()
    assert 'data-testid="unread-count"' in page and ">2</span>" in page
    response = dealer_client.post(reverse("notifications:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("orders:order_detail", args=[order.number])
    first.refresh_from_db()
    assert first.read_at is not None
    assert unread_count(dealer_user.user) == 1
    dealer_client.post(reverse("notifications:read_all"))
    assert unread_count(dealer_user.user) == 0
    assert 'data-testid="unread-count"' not in dealer_client.get(reverse("home")).content.decode()


def test_opening_needs_a_post_and_a_signed_in_user(client, dealer_client, dealer_user):
    notice, _order = _approved(dealer_user.user)
    assert dealer_client.get(reverse("notifications:open", args=[notice.pk])).status_code == 405
    client.logout()
    assert client.get(reverse("notifications:list")).status_code == 302


def test_the_preferences_page_switches_optional_kinds_and_keeps_mandatory_ones(dealer_client, dealer_user):
    page = dealer_client.get(reverse("notifications:preferences")).content.decode()
    assert APPROVED.key in page and REJECTED.key in page
    assert HELD_STAFF.key not in page  # staff kinds are not offered to dealer users
    # Everything unticked, and a forged mandatory/staff kind: only the optional dealer kinds are switched off.
    dealer_client.post(reverse("notifications:preferences"), {"email": [HELD_STAFF.key]})
    off = set(NotificationPreference.objects.filter(user=dealer_user.user, email=False).values_list("kind", flat=True))
    assert APPROVED.key in off
    assert REJECTED.key not in off and HELD_STAFF.key not in off
    dealer_client.post(reverse("notifications:preferences"), {"email": [APPROVED.key]})
    assert NotificationPreference.objects.get(user=dealer_user.user, kind=APPROVED.key).email is True


def test_staff_see_the_staff_kinds_on_the_same_page(staff_client):
    page = staff_client.get(reverse("notifications:preferences")).content.decode()
    assert HELD_STAFF.key in page and "sync_issues" in page


def test_staff_see_delivery_state_in_the_admin(staff_client, dealer_user, settings):
    settings.EMAIL_BACKEND = "notifications.tests.backends.DownBackend"
    _approved(dealer_user.user)
    page = staff_client.get(reverse("admin:notifications_notification_changelist") + "?status__exact=pending")
    assert page.status_code == 200
    assert dealer_user.user.email in page.content.decode()
