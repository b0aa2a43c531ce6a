"""The notice the API app sends: a webhook endpoint switched off after repeated failures → the dealer's admins
(mandatory: the dealer's system stops hearing of its orders until someone acts)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealers.models import DealerUser
from notifications.kinds import Kind, register
from notifications.services import notify

ENDPOINT_DISABLED = register(
    Kind(
        key="webhook_endpoint_disabled",
        label=_("A webhook address was switched off after repeated failures"),
        template="api/notifications/webhook_endpoint_disabled",
        mandatory=True,
    )
)


UNDECRYPTABLE = "secret_unreadable"


def endpoint_disabled_notify(*, endpoint, reason: str = "") -> list[str]:
    """Tell the dealer's admins why: repeated failures (no ``reason``), or ``UNDECRYPTABLE``."""
    admins = DealerUser.objects.filter(
        dealer_id=endpoint.dealer_id, is_active=True, role=DealerUser.Role.ADMIN
    ).select_related("user")
    return notify(
        ENDPOINT_DISABLED.key,
        event=f"{endpoint.pk}:{endpoint.updated_at.isoformat()}",
        recipients=[admin.user for admin in admins],
        params={"address": endpoint.url, "failures": endpoint.failures, "reason": reason},
        url=reverse("api_portal:webhook_list"),
    )
