from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        # Credit exposure (dealers) counts the portal orders the ERP does not hold yet; only orders knows them.
        from django.db.models.signals import post_migrate

        from dealers.hooks import portal_pending
        from orders import checks, notifications  # noqa: F401  (the placement rules check; notification kinds)
        from orders.selectors import portal_pending_totals
        from orders.tasks import schedules_install

        portal_pending.connect(portal_pending_totals)
        post_migrate.connect(schedules_install, sender=self, dispatch_uid="orders-schedules")
