from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from orders.hooks import payment_instructions

        # The bank matching queue lives in its own admin module; the system checks register on import.
        from payments import admin_matching, checks  # noqa: F401
        from payments.hooks import collections_recorded
        from payments.notifications import collections_notify
        from payments.services import bank_transfer_instructions
        from payments.tasks import schedules_install

        post_migrate.connect(schedules_install, sender=self, dispatch_uid="payments-schedules")
        # Every collection the portal records (card or bank transfer) tells the dealer a payment was received.
        collections_recorded.connect(collections_notify)
        payment_instructions.connect(bank_transfer_instructions)
