"""System checks of the orders app's settings."""

from django.conf import settings
from django.core.checks import Error, register

from orders.rules import validate_rules


@register()
def check_order_rules(app_configs=None, **kwargs) -> list[Error]:
    """A misspelt placement rule would silently approve what should be held."""
    configured = getattr(settings, "B2B_ORDER_RULES", {})
    if not isinstance(configured, dict):
        return [Error("B2B_ORDER_RULES must be a mapping of rule to action.", id="b2bportal.E010")]
    return [Error(f"B2B_ORDER_RULES: {problem}.", id="b2bportal.E010") for problem in validate_rules(configured)]
