from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from notifications import checks  # noqa: F401  (registers the template check)
        from notifications.tasks import schedules_install

        post_migrate.connect(schedules_install, sender=self, dispatch_uid="notifications-schedules")
