from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Dealer API")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from api import checks, notifications, schema  # noqa: F401  (system checks; notification kind; schema)
        from api.models import WebhookEndpoint
        from api.tasks import schedules_install
        from api.webhooks import (
            endpoints_forget,
            on_collections_recorded,
            on_document_issued,
            on_order_status_changed,
            on_quote_sent,
        )
        from b2bportal.encryption import register_encrypted_fields
        from dealers.access import register_dealer_path
        from orders.hooks import document_issued, order_status_changed, quote_sent
        from payments.hooks import collections_recorded

        for label, path in {
            "api.apikey": "dealer",
            "api.webhookendpoint": "dealer",
            "api.webhookdelivery": "endpoint__dealer",
            "api.webhookattempt": "delivery__endpoint__dealer",
        }.items():
            register_dealer_path(label, path)
        register_encrypted_fields("api.WebhookEndpoint", "secret_encrypted", "previous_secret_encrypted")
        # Webhooks are written in the transaction of their event (the outbox).
        order_status_changed.connect(on_order_status_changed)
        document_issued.connect(on_document_issued)
        collections_recorded.connect(on_collections_recorded)
        quote_sent.connect(on_quote_sent)
        post_save.connect(endpoints_forget, sender=WebhookEndpoint, dispatch_uid="api-endpoints-saved")
        post_delete.connect(endpoints_forget, sender=WebhookEndpoint, dispatch_uid="api-endpoints-deleted")
        post_migrate.connect(schedules_install, sender=self, dispatch_uid="api-schedules")
