"""System checks of the API's settings: a default request rate that is not a rate is a start-up error, and in
production webhooks may not be allowed into private networks."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from api.throttling import parse_rate


@register()
def check_api_settings(app_configs=None, **kwargs):
    problems = []
    if parse_rate(settings.B2B_API_RATE) is None:
        problems.append(Error(f"API_RATE {settings.B2B_API_RATE!r} is not a rate such as 600/min.", id="api.E001"))
    if getattr(settings, "B2B_PRODUCTION", False) and settings.B2B_WEBHOOK_ALLOW_PRIVATE:
        problems.append(Warning("WEBHOOK_ALLOW_PRIVATE is on: webhooks may reach the private network.", id="api.W001"))
    return problems
