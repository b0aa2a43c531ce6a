from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealersConfig(AppConfig):
    name = "dealers"
    verbose_name = _("Dealers")

    def ready(self) -> None:
        from accounts.hooks import access_refused
        from dealers import notifications  # noqa: F401  (notification kinds)
        from dealers.access import access_refused as dealer_access_refused

        access_refused.connect(dealer_access_refused)
