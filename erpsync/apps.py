from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ErpsyncConfig(AppConfig):
    name = "erpsync"
    verbose_name = _("ERP sync")

    def ready(self) -> None:
        # Reconciliation exports for accountants live in their own admin module; the domain apps reach the outbox
        # and the ERP through their hooks, which erpsync answers; the system checks register on import.
        from b2bportal.encryption import register_encrypted_fields
        from erpsync import admin_reconciliation, checks, handlers, notifications  # noqa: F401

        handlers.connect()
        register_encrypted_fields("erpsync.ApiToken", "access_token", "refresh_token")
