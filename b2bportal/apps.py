from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PortalAdminConfig(AdminConfig):
    """The Django admin, served by our site class (optional two-factor login for staff)."""

    default_site = "b2bportal.admin_site.PortalAdminSite"


class PortalConfig(AppConfig):
    name = "b2bportal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from b2bportal import checks  # noqa: F401  (registers the system checks)
        from b2bportal.tasks import schedules_install

        post_migrate.connect(schedules_install, sender=self, dispatch_uid="portal-schedules")
