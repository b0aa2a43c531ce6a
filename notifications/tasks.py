"""Background work for notifications (django-q2), installed as schedules after ``migrate`` (see ``apps.py``)."""

from __future__ import annotations

from django.conf import settings

from b2bportal.schedules import schedules_ensure
from notifications.services import notification_send, notifications_digest, notifications_retry


def schedules() -> dict[str, tuple[str, int]]:
    # name: (function, minutes)
    return {
        "notifications:retry": ("notifications.tasks.notifications_retry_due", 1),
        "notifications:digest": (
            "notifications.tasks.notifications_digest_send",
            settings.NOTIFICATIONS_DIGEST_MINUTES,
        ),
    }


def notifications_send(notification_ids: list[int]) -> int:
    """Send the notices queued on commit; each is claimed, so running this twice sends each once."""
    return sum(notification_send(pk) for pk in notification_ids)


def notifications_retry_due() -> int:
    return notifications_retry()


def notifications_digest_send() -> int:
    return notifications_digest()


def schedules_install(**_kwargs) -> None:
    """Create the notification schedules that are missing (``post_migrate``); staff may change their timing."""
    schedules_ensure(schedules())
