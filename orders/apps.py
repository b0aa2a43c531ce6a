from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # Credit exposure (dealers) counts the portal orders the ERP does not hold yet; only orders knows them.
        from dealers.hooks import portal_pending
        from orders import checks, notifications, quote_notifications  # noqa: F401  (rules check; notification kinds)
        from orders.quote_tasks import schedules_install
        from orders.selectors import portal_pending_totals

        post_migrate.connect(schedules_install, sender=self, dispatch_uid="orders-schedules")

        portal_pending.connect(portal_pending_totals)
