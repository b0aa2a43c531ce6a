from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # Credit exposure (dealers) counts the portal orders the ERP does not hold yet; only orders knows them.
        from dealers.hooks import portal_pending
        from orders import (  # noqa: F401  (rules check; notification kinds)
            checks,
            notifications,
            quote_notifications,
            recurring_notifications,
        )
        from orders.quote_tasks import schedules_install
        from orders.recurring_tasks import schedules_install as recurring_schedules_install
        from orders.selectors import portal_pending_totals

        post_migrate.connect(schedules_install, sender=self, dispatch_uid="orders-schedules")
        post_migrate.connect(recurring_schedules_install, sender=self, dispatch_uid="orders-recurring-schedules")

        portal_pending.connect(portal_pending_totals)
