from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        # Credit exposure (dealers) counts the portal orders the ERP does not hold yet; only orders knows them.
        from django.db.models.signals import post_migrate

        from dealers.hooks import portal_pending
        from orders import (  # noqa: F401  (rules check; notification kinds)
            checks,
            notifications,
            quote_notifications,
            recurring_notifications,
        )
        from orders.quote_tasks import schedules_install as quote_schedules_install
        from orders.recurring_tasks import schedules_install as recurring_schedules_install
        from orders.selectors import portal_pending_totals
        from orders.tasks import schedules_install as confirmation_schedules_install

        portal_pending.connect(portal_pending_totals)
        # Each task's schedule, created after migrate when missing.
        post_migrate.connect(confirmation_schedules_install, sender=self, dispatch_uid="orders-confirmation-schedules")
        post_migrate.connect(quote_schedules_install, sender=self, dispatch_uid="orders-quote-schedules")
        post_migrate.connect(recurring_schedules_install, sender=self, dispatch_uid="orders-recurring-schedules")
