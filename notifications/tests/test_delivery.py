"""Notices are written once per event and recipient, e-mailed once on commit, kept pending while the mail server is
down and sent once when it is back; staff digests batch; preferences switch optional e-mails off."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule

from accounts.tests.factories import UserFactory
from notifications.checks import check_notification_templates
from notifications.kinds import _KINDS, Kind, all_kinds, register
from notifications.models import Notification, NotificationPreference
from notifications.services import (
    Address,
    backoff,
    notification_resend,
    notification_send,
    notifications_digest,
    notifications_retry,
    notify,
    preferences_for,
    preferences_set,
    staff_with_permission,
)
from notifications.tasks import notifications_send
from orders.notifications import APPROVED, HELD_STAFF, REJECTED
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
N = Notification.Status
DOWN = "notifications.tests.backends.DownBackend"


@pytest.fixture
def buyer():
    return UserFactory(language="en")


@pytest.fixture
def order(buyer):
    return OrderFactory(placed_by=buyer)


def _approved(order, buyer, event="1", commit=None):
    if commit is None:
        return notify(APPROVED.key, event=event, recipients=[buyer], params={"order_id": order.pk}, url="/orders/x/")
    with commit(execute=True):
        return notify(APPROVED.key, event=event, recipients=[buyer], params={"order_id": order.pk}, url="/orders/x/")


def test_an_event_is_mailed_once_on_commit(order, buyer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _approved(order, buyer)
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    notice = Notification.objects.get()
    assert notice.status == N.SENT and notice.attempts == 1 and notice.sent_at is not None


def test_the_same_event_notified_twice_is_one_notice_and_one_mail(order, buyer, django_capture_on_commit_callbacks):
    _approved(order, buyer, commit=django_capture_on_commit_callbacks)
    _approved(order, buyer, commit=django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_another_event_of_the_same_kind_is_another_notice(order, buyer, django_capture_on_commit_callbacks):
    _approved(order, buyer, event="1", commit=django_capture_on_commit_callbacks)
    _approved(order, buyer, event="2", commit=django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


def test_the_task_run_twice_sends_once(order, buyer):
    _approved(order, buyer)  # the test's transaction never commits: nothing is queued, the task is run by hand
    notice = Notification.objects.get()
    assert notice.status == N.PENDING and mail.outbox == []
    assert notifications_send([notice.pk]) == 1
    assert notifications_send([notice.pk]) == 0
    assert notification_send(notice.pk) is False
    assert len(mail.outbox) == 1


def test_mail_server_down_keeps_it_pending_and_a_later_retry_sends_once(
    order, buyer, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = DOWN
    _approved(order, buyer, commit=django_capture_on_commit_callbacks)
    notice = Notification.objects.get()
    assert notice.status == N.PENDING
    assert notice.attempts == 1
    assert "Connection refused" in notice.last_error
    assert notice.next_attempt_at > timezone.now()
    # Not due yet: the sweep leaves it alone, even with the server back.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_retry() == 0
    assert mail.outbox == []
    Notification.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert notifications_retry() == 1
    assert notifications_retry() == 0
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.status == N.SENT and notice.attempts == 2 and notice.last_error == ""


def test_backoff_doubles_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert backoff(30) == timedelta(hours=6)


def test_gives_up_after_the_last_attempt_and_staff_can_send_it_again(
    order, buyer, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = DOWN
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    _approved(order, buyer, commit=django_capture_on_commit_callbacks)
    Notification.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    notifications_retry()
    notice = Notification.objects.get()
    assert notice.status == N.FAILED and notice.attempts == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_retry() == 0  # a failed notice is not retried by itself
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_resend(queryset=Notification.objects.all()) == 1
    notice.refresh_from_db()
    assert notice.status == N.SENT
    assert len(mail.outbox) == 1


def test_a_worker_dying_while_sending_frees_the_notice_after_the_lease(order, buyer, settings):
    settings.EMAIL_BACKEND = DOWN
    _approved(order, buyer)
    Notification.objects.update(status=N.SENDING, claimed_at=timezone.now() - timedelta(hours=1), next_attempt_at=None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_retry() == 1
    assert Notification.objects.get().status == N.SENT


def test_a_fresh_sending_claim_is_left_to_its_worker(order, buyer, settings):
    settings.EMAIL_BACKEND = DOWN
    _approved(order, buyer)
    Notification.objects.update(status=N.SENDING, claimed_at=timezone.now(), next_attempt_at=None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_retry() == 0
    assert mail.outbox == []


def test_a_switched_off_optional_kind_is_listed_but_not_mailed(order, buyer, django_capture_on_commit_callbacks):
    preferences_set(user=buyer, email_on=[])
    _approved(order, buyer, commit=django_capture_on_commit_callbacks)
    notice = Notification.objects.get()
    assert notice.status == N.SKIPPED and notice.skip_reason == "switched off"
    assert mail.outbox == []


def test_a_mandatory_kind_ignores_the_preference(order, buyer, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=buyer, kind=REJECTED.key, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        notify(REJECTED.key, event="1", recipients=[buyer], params={"order_id": order.pk, "reason": "No stock"})
    assert Notification.objects.get().status == N.SENT
    assert len(mail.outbox) == 1


def test_preferences_cannot_switch_a_mandatory_kind_off(buyer):
    result = preferences_set(user=buyer, email_on=[])
    assert result[REJECTED.key] is True
    assert result[APPROVED.key] is False
    assert not NotificationPreference.objects.filter(user=buyer, kind=REJECTED.key).exists()
    assert preferences_for(buyer)[APPROVED.key] is False
    preferences_set(user=buyer, email_on=[APPROVED.key])
    assert preferences_for(buyer)[APPROVED.key] is True


def test_inactive_users_and_missing_addresses(order, django_capture_on_commit_callbacks):
    gone = UserFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        keys = notify(APPROVED.key, event="1", recipients=[gone, Address(email="")], params={"order_id": order.pk})
    assert Notification.objects.get(key__in=keys).skip_reason == "no e-mail address"
    assert not Notification.objects.filter(recipient=gone).exists()
    assert mail.outbox == []


def test_an_unknown_kind_is_refused(buyer):
    with pytest.raises(LookupError):
        notify("no_such_kind", event="1", recipients=[buyer])


def _staff(**kwargs):
    return UserFactory(is_staff=True, **kwargs)


def test_staff_recipients_hold_the_permission():
    holder, grouped, without = _staff(), _staff(), _staff()
    boss = UserFactory(is_staff=True, is_superuser=True)
    UserFactory(is_superuser=True, is_staff=False)  # not staff: never
    holder.user_permissions.add(Permission.objects.get(codename="change_order", content_type__app_label="orders"))
    group = Group.objects.create(name="Sales desk")
    group.permissions.add(Permission.objects.get(codename="change_order", content_type__app_label="orders"))
    grouped.groups.add(group)
    assert set(staff_with_permission("orders.change_order")) == {holder, grouped, boss}
    assert without not in staff_with_permission("orders.change_order")


def test_the_digest_batches_several_held_orders_into_one_mail_per_recipient():
    first = UserFactory(is_staff=True, is_superuser=True, language="en")
    second = UserFactory(is_staff=True, is_superuser=True, language="tr")
    orders = [OrderFactory() for _ in range(3)]
    for order in orders:
        notify(HELD_STAFF.key, event=str(order.pk), recipients=[first, second], params={"order_id": order.pk})
    assert mail.outbox == []  # digests wait for the scheduled run
    assert notifications_digest() == 2
    assert len(mail.outbox) == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    english, turkish = by_address[first.email], by_address[second.email]
    assert english.subject == "3 orders on hold for review"
    assert turkish.subject == "İncelemede bekleyen 3 sipariş"
    for message in (english, turkish):
        html = message.alternatives[0][0]
        for order in orders:
            assert order.number in message.body and order.number in html
    assert Notification.objects.filter(status=N.SENT).count() == 6
    # Nothing new: the next run sends nothing; a new held order is the next digest alone.
    assert notifications_digest() == 0
    late = OrderFactory()
    notify(HELD_STAFF.key, event=str(late.pk), recipients=[first], params={"order_id": late.pk})
    assert notifications_digest() == 1
    assert late.number in mail.outbox[-1].body and orders[0].number not in mail.outbox[-1].body


def test_a_digest_stays_pending_while_the_mail_server_is_down(settings):
    staff = UserFactory(is_staff=True, is_superuser=True)
    orders = [OrderFactory() for _ in range(2)]
    for order in orders:
        notify(HELD_STAFF.key, event=str(order.pk), recipients=[staff], params={"order_id": order.pk})
    settings.EMAIL_BACKEND = DOWN
    assert notifications_digest() == 0
    assert set(Notification.objects.values_list("status", flat=True)) == {N.PENDING}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert notifications_digest() == 1
    assert notifications_digest() == 0
    assert len(mail.outbox) == 1


def test_every_declared_kind_has_its_templates_and_a_missing_one_is_a_startup_error():
    keys = {kind.key for kind in all_kinds()}
    assert {"order_approved", "order_held_staff", "payment_link", "payment_received", "sync_issues"} <= keys
    assert check_notification_templates() == []
    register(Kind(key="broken_kind", label="Broken", template="nowhere/broken"))
    try:
        errors = check_notification_templates()
    finally:
        _KINDS.pop("broken_kind")
    assert [error.id for error in errors] == ["notifications.E001"] * 3
    assert "nowhere/broken_subject.txt" in errors[0].msg


def test_schedules_are_installed_by_migrate():
    names = set(Schedule.objects.filter(name__startswith="notifications:").values_list("name", flat=True))
    assert names == {"notifications:retry", "notifications:digest"}


def test_resending_leaves_sent_and_pending_notices_alone(order, buyer, django_capture_on_commit_callbacks):
    _approved(order, buyer, commit=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_resend(queryset=Notification.objects.all()) == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get().attempts == 1


def test_a_queue_that_cannot_be_reached_leaves_the_notice_to_the_sweep(
    order, buyer, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("notifications.services.async_task", unreachable)
    _approved(order, buyer, commit=django_capture_on_commit_callbacks)
    assert Notification.objects.get().status == N.PENDING and mail.outbox == []
    assert notifications_retry() == 1
    assert len(mail.outbox) == 1
