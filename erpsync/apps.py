from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ErpsyncConfig(AppConfig):
    name = "erpsync"
    verbose_name = _("ERP sync")
